"""BM25 over Japanese analyzer terms, with query expanders that carry English words to Japanese terms.

A Japanese question is scored with its own terms. An English question is scored by groups of alternative terms, one
group per source word, each group counting its best-scoring term: the expanders' groups (the JMdict bridge, the
embedding alignment) plus the question's own Latin terms (NATO, EU).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from ..stores.bm25 import BM25Store
from ..stores.bridge import Bridge, build_bridge
from ..stores.japanese import JapaneseAnalyzer
from . import Corpus, Entry, Language, Need, Previous, Progress, Question, Ranking

logger = logging.getLogger(__name__)
BRIDGE_FILE = "bridge.json"


class Expander(Protocol):
    """Turns an English question into groups of alternative Japanese BM25 terms."""

    def needs(self, text: str) -> list[Need]: ...

    def groups(self, question: Question) -> list[list[str]]: ...


class BridgeExpander:
    """The JMdict/JMnedict bridge, restricted to the index's vocabulary when it was built."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def needs(self, text: str) -> list[Need]:
        return []

    def groups(self, question: Question) -> list[list[str]]:
        return self.bridge.expand(question.text)


class BM25Component:
    """BM25 (bm25s) over analyzer terms; English questions go through the expanders."""

    name = "bm25"

    def __init__(self, store: BM25Store, analyzer: JapaneseAnalyzer, expanders: list[Expander],
                 weights: dict[str, float], max_words: int) -> None:
        self.store = store
        self.analyzer = analyzer
        self.expanders = expanders
        self._weights = weights
        self.max_words = max_words

    def needs(self, text: str, lang: Language) -> list[Need]:
        return [n for e in self.expanders for n in e.needs(text)] if lang == "en" else []

    def weight(self, lang: Language) -> float:
        return self._weights[lang]

    def term_groups(self, question: Question) -> list[list[str]] | None:
        """An English question's term groups (alternatives per source word); None for a question read as is."""
        if question.lang != "en" or not self.expanders:
            return None
        # each source bounded: a question of hundreds of words must not cost one BM25 pass per word
        groups = [g for e in self.expanders for g in e.groups(question)[: self.max_words]]
        return groups + [[term] for term in self.analyzer.terms(question.text)[: self.max_words]]

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        groups = self.term_groups(question)
        if groups is not None:
            return self.store.top_groups(groups, k, allowed, question.scope)
        return self.store.top(self.analyzer.terms(question.text), k, allowed, question.scope)


class BM25Builder:
    """Indexes every passage's analyzer terms and writes the bridge restricted to the resulting vocabulary."""

    name = "bm25"
    kind = "bm25"

    def __init__(self, analyzer: JapaneseAnalyzer, cache_dir: Path, params: dict[str, object]) -> None:
        self.analyzer = analyzer
        self.cache_dir = cache_dir
        self.params = params  # analyzer and bridge ids: an index made with other ones is not reused
        self.vocabulary: set[str] = set()

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        t0 = time.perf_counter()
        store = BM25Store.build([self.analyzer.terms(t) for t in corpus.texts])
        store.save(out / "bm25")
        self.vocabulary = store.vocabulary
        Bridge(build_bridge(self.vocabulary, cache_dir=self.cache_dir)).save(out / BRIDGE_FILE)
        logger.info("bm25: %d passages in %.2fs", len(corpus.texts), time.perf_counter() - t0)
        files = tuple(sorted(p.relative_to(out).as_posix() for p in (out / "bm25").rglob("*") if p.is_file()))
        return Entry(self.name, self.kind, (*files, BRIDGE_FILE), self.params), len(corpus.texts)
