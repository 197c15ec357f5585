"""Embedding alignment: English question words → the nearest Japanese terms of the BM25 vocabulary.

The dictionary bridge only knows words JMdict glosses exactly ("treasuries" and most inflections miss it). A
multilingual embedder places a single English word near the Japanese words that mean it (alliance → 同盟, oil → 原油),
so each English content word of a question also gets a group of its nearest corpus terms. Built per index from the
index's own vocabulary; nothing in it is specific to a question or a document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import IndexCorruptError
from .dense import DenseStore

Encode = Callable[[Sequence[str]], np.ndarray]
ANN_TERMS = 50_000


class TermAligner:
    """Row i of `vectors` is the L2-normalised embedding of `terms[i]`."""

    def __init__(self, terms: Sequence[str], vectors: np.ndarray) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != len(terms):
            raise IndexCorruptError(f"term alignment: {vectors.shape} vectors for {len(terms)} terms")
        self.terms = list(terms)
        self.vectors = vectors
        # a large vocabulary (hundreds of thousands of terms at a million passages) is searched through an
        # approximate index instead of a product with every term per word
        self._ann = DenseStore.build(vectors, "ivf") if len(terms) >= ANN_TERMS else None
        self._blas = None  # a threadpoolctl controller, made on first use (it inspects the loaded libraries, ~2 ms)

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def build(cls, vocabulary: Sequence[str], encode: Encode, reuse: Mapping[str, np.ndarray] | None = None,
              dim: int = 0) -> tuple[TermAligner, int]:
        """Embed every vocabulary term, taking the ones `reuse` already holds from there; (aligner, terms embedded)."""
        terms = sorted(vocabulary)
        reuse = reuse or {}
        need = [t for t in terms if t not in reuse]
        fresh = dict(zip(need, encode(need))) if need else {}
        width = dim or next((len(v) for v in (*fresh.values(), *reuse.values())), 0)
        vectors = np.zeros((len(terms), width), np.float32)
        for i, t in enumerate(terms):
            vectors[i] = fresh[t] if t in fresh else reuse[t]
        return cls(terms, vectors), len(need)

    def by_term(self) -> dict[str, np.ndarray]:
        return dict(zip(self.terms, self.vectors))

    def groups(self, word_vectors: np.ndarray, k: int, min_similarity: float) -> list[list[str]]:
        """Per word vector, its `k` most similar terms at cosine ≥ `min_similarity`, best first (empty groups dropped)."""
        if not len(self.terms) or k <= 0 or not len(word_vectors):
            return []
        if self._ann is not None:
            out = []
            for vec in word_vectors:
                rows, sims = self._ann.search(vec, k)
                group = [self.terms[r] for r, s in zip(rows.tolist(), sims.tolist()) if s >= min_similarity]
                if group:
                    out.append(group)
            return out
        with self._one_blas_thread():
            sims = word_vectors @ self.vectors.T
        k = min(k, sims.shape[1])
        out = []
        for row in sims:
            top = np.argpartition(-row, k - 1)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            group = [self.terms[i] for i in top if row[i] >= min_similarity]
            if group:
                out.append(group)
        return out

    def _one_blas_thread(self):
        """A context with BLAS on one thread. Its worker threads keep spinning after a multi-threaded call, and e5's
        OpenMP threads, which run next in the same query, then go at half speed (measured: e5 15 → 38 ms a query)."""
        if self._blas is None:
            from threadpoolctl import ThreadpoolController

            self._blas = ThreadpoolController()
        return self._blas.limit(limits=1, user_api="blas")

    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, terms=np.array(self.terms, dtype=str), vectors=self.vectors)

    @classmethod
    def load(cls, path: Path) -> TermAligner:
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["terms"].tolist(), data["vectors"])
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(f"term alignment {path.name!r} cannot be read: {exc}") from None
