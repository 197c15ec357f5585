"""The extractive answer's sentences as an index part: every passage's sentences with their vectors, terms and
answer-kind bits, encoded at build time (reused by sentence key) so that an answer costs no encoding per request.
It ranks nothing; `LoadedIndex.sentences` hands it to rag/answers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..embedders import Embedder
from ..stores.japanese import JapaneseAnalyzer
from ..stores.sentences import ENCODE, FILE, build_for_index
from . import Corpus, Entry, Previous, Progress


class SentencesBuilder:
    """Splits, encodes and analyses every passage's sentences, reusing the previous build's store by sentence key."""

    kind = "sentences"

    def __init__(self, embedders: Sequence[Embedder], analyzer: JapaneseAnalyzer) -> None:
        # e5 alone picks the evidence best (docs/answers.md); an index without e5 uses its own embedders
        self.embedders = [e for e in embedders if e.name in ENCODE] or list(embedders)
        self.analyzer = analyzer
        self.name = "+".join(e.name for e in self.embedders) + "-sentences"  # "e5-sentences", as the report says

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        store, fresh, _ = build_for_index(list(corpus.texts), self.embedders, self.analyzer,
                                          previous.build_dir if previous is not None else None)
        store.save(out / FILE)
        return Entry(self.name, self.kind, (FILE,), {"encoders": sorted(fresh)}), sum(fresh.values())
