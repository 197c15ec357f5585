"""BM25 over analyzer terms through bm25s; full score vectors so fusion and filters stay exact."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

# bm25s sets its logger to DEBUG when imported; undo that so the application's logging config decides.
logging.getLogger("bm25s").setLevel(logging.NOTSET)
EMPTY = "\u2205"  # the one term of a passage that has none: bm25s drops rows without terms


class BM25Store:
    """A bm25s index whose documents are passage rows, in the order of the index's passages."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._r = retriever
        self.size = size
        # bm25s also lists "" in its vocabulary, with no postings: asking for it raises, so it is never "known"
        self._vocab = set(retriever.vocab_dict) - {""} if getattr(retriever, "vocab_dict", None) else None

    @classmethod
    def build(cls, corpus_terms: Sequence[list[str]], k1: float = 1.2, b: float = 0.75) -> BM25Store:
        r = bm25s.BM25(k1=k1, b=b)
        # an empty term list would make bm25s drop the row; a sentinel keeps rows aligned with passages
        r.index([terms or [EMPTY] for terms in corpus_terms], show_progress=False)
        return cls(r, len(corpus_terms))

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query terms (zeros when no term is known)."""
        known = [t for t in terms if self._vocab is None or t in self._vocab]
        if not known or self.size == 0:
            return np.zeros(self.size, np.float32)
        return np.asarray(self._r.get_scores(known), dtype=np.float32)

    @property
    def vocabulary(self) -> set[str]:
        """The corpus's terms (without the empty-passage marker)."""
        return set(self._vocab or ()) - {EMPTY}

    def group_scores(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        """Sum over groups of the best-scoring alternative term in each group (one group per source word)."""
        total = np.zeros(self.size, np.float32)
        for group in groups:
            best = np.zeros(self.size, np.float32)
            for term in group:
                if self._vocab is None or term in self._vocab:
                    best = np.maximum(best, np.asarray(self._r.get_scores([term]), dtype=np.float32))
            total += best
        return total

    def save(self, directory: Path) -> None:
        self._r.save(str(directory))

    @classmethod
    def load(cls, directory: Path, size: int | None = None) -> BM25Store:
        r = bm25s.BM25.load(str(directory), load_corpus=False)
        return cls(r, int(r.scores["num_docs"]) if size is None else size)
