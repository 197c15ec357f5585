"""Term alignment as a BM25 query expander: English question words reach their nearest Japanese BM25 terms in an
embedder's space. Its builder embeds the BM25 vocabulary, reusing the previous build's term vectors by term."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..embedders import Embedder, slug
from ..errors import IndexCorruptError
from ..stores.align import TermAligner
from ..stores.bridge import content_words
from . import Corpus, Entry, Need, Previous, Progress, Question
from .lexical import BM25Builder

logger = logging.getLogger(__name__)


class AlignExpander:
    """One group per English content word: its `terms` nearest vocabulary terms at cosine ≥ `min_similarity`."""

    def __init__(self, embedder: str, aligner: TermAligner, terms: int, min_similarity: float, max_words: int) -> None:
        self.embedder = embedder
        self.aligner = aligner
        self.terms = terms
        self.min_similarity = min_similarity
        self.max_words = max_words

    def words(self, text: str) -> list[str]:
        return content_words(text)[: self.max_words]

    def needs(self, text: str) -> list[Need]:
        return [Need(self.embedder, "query", w) for w in self.words(text)]

    def groups(self, question: Question) -> list[list[str]]:
        words = self.words(question.text)
        if not words:
            return []
        vectors = np.stack([question.vector(self.embedder, "query", w) for w in words])
        return self.aligner.groups(vectors, self.terms, self.min_similarity)


class AlignBuilder:
    """Embeds every term of the BM25 vocabulary that `bm25` produced in this build."""

    kind = "align"

    def __init__(self, embedder: Embedder, bm25: BM25Builder) -> None:
        self.embedder = embedder
        self.bm25 = bm25
        self.name = f"{embedder.name}-align"

    def _params(self) -> dict[str, object]:
        return {"embedder": self.embedder.name, "fingerprint": self.embedder.fingerprint, "dim": self.embedder.dim}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        t0 = time.perf_counter()
        reuse = {}
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        if old is not None:
            try:
                reuse = TermAligner.load(previous.build_dir / old.files[0]).by_term()
            except IndexCorruptError as exc:
                logger.warning("cannot reuse %s term vectors: %s", self.embedder.name, exc)
        aligner, fresh = TermAligner.build(self.bm25.vocabulary, self.embedder.encode_queries, reuse, self.embedder.dim)
        name = f"align.{slug(self.embedder.name)}.npz"
        aligner.save(out / name)
        logger.info("%s: embedded %d, reused %d vocabulary terms in %.2fs", self.embedder.name, fresh,
                    len(aligner) - fresh, time.perf_counter() - t0)
        return Entry(self.name, self.kind, (name,), self._params()), fresh
