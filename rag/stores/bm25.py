"""BM25 over analyzer terms through bm25s; full score vectors so fusion and filters stay exact."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from .ranking import Ranking

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

    def _ids(self, terms: Sequence[str]) -> list[int]:
        vocab = self._r.vocab_dict
        return [vocab[t] for t in terms if self._vocab is None or t in self._vocab]

    def _postings(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the terms' postings, term after term: the BM25 matrix is stored column per term."""
        sc = self._r.scores
        spans = [(int(sc["indptr"][i]), int(sc["indptr"][i + 1])) for i in ids]
        rows = np.concatenate([sc["indices"][s:e] for s, e in spans]) if spans else np.zeros(0, np.int64)
        vals = np.concatenate([sc["data"][s:e] for s, e in spans]) if spans else np.zeros(0, np.float32)
        return rows, vals

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query terms (zeros when no term is known). Only the terms' postings are
        read, added in query order in float32, exactly as bm25s's get_scores adds them."""
        total = np.zeros(self.size, np.float32)
        ids = self._ids(terms)
        if ids and self.size:
            rows, vals = self._postings(ids)
            np.add.at(total, rows, vals.astype(np.float32, copy=False))
        return total

    def top(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None, scope: object = None) -> Ranking:
        """The k best rows for the query terms (`scope` is for stores that filter server-side; `allowed` is its rows)."""
        return Ranking.top(self.scores(terms), k, allowed)

    def top_groups(self, groups: Sequence[Sequence[str]], k: int, allowed: np.ndarray | None = None,
                   scope: object = None) -> Ranking:
        return Ranking.top(self.group_scores(groups), k, allowed)

    def document_frequency(self, term: str) -> int:
        """How many passages hold `term`: its postings' length."""
        if self._vocab is not None and term not in self._vocab:
            return 0
        i = self._r.vocab_dict.get(term)
        if i is None:
            return 0
        indptr = self._r.scores["indptr"]
        return int(indptr[i + 1] - indptr[i])

    @property
    def vocabulary(self) -> set[str]:
        """The corpus's terms (without the empty-passage marker)."""
        return set(self._vocab or ()) - {EMPTY}

    def group_scores(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        """Sum over groups of the best-scoring alternative term in each group (one group per source word), from the
        groups' postings only: per group, each row keeps its best term's score."""
        total = np.zeros(self.size, np.float32)
        for group in groups:
            ids = list(dict.fromkeys(self._ids(group)))
            if not ids:
                continue
            rows, vals = self._postings(ids)
            if len(ids) > 1:
                order = np.lexsort((-vals, rows))
                rows, vals = rows[order], vals[order]
                first = np.ones(rows.size, bool)
                first[1:] = rows[1:] != rows[:-1]
                rows, vals = rows[first], vals[first]
            np.add.at(total, rows, vals.astype(np.float32, copy=False))
        return total

    def term_frequencies(self) -> tuple[Any, list[str], np.ndarray]:
        """(passage-major CSR matrix of BM25's saturated term frequencies, the vocabulary in column order, document
        frequencies): what a store that applies its own IDF (Qdrant's IDF modifier) indexes. bm25s keeps
        idf × saturated tf per term; dividing its Lucene IDF back out leaves the saturated tf."""
        from scipy.sparse import csc_matrix

        sc = self._r.scores
        n = int(sc["num_docs"])
        indptr = np.asarray(sc["indptr"])
        df = np.diff(indptr)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        data = np.asarray(sc["data"], np.float64) / np.repeat(idf, df)
        rows = csc_matrix((data, np.asarray(sc["indices"]), indptr), shape=(n, len(df))).tocsr()
        terms = [""] * len(df)
        for t, i in self._r.vocab_dict.items():
            if i < len(df):  # bm25s lists "" in its vocabulary beyond the columns, without postings
                terms[i] = t
        return rows, terms, df

    def save(self, directory: Path) -> None:
        self._r.save(str(directory))

    @classmethod
    def load(cls, directory: Path, size: int | None = None) -> BM25Store:
        r = bm25s.BM25.load(str(directory), load_corpus=False)
        return cls(r, int(r.scores["num_docs"]) if size is None else size)
