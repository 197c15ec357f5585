"""A FAISS inner-product index over normalised vectors: exact (flat) for small corpora, approximate above a size.

`ivf` is an inverted file with 8-bit scalar-quantised codes (a quarter of float32's memory); its candidates are
re-scored exactly against the stored float32 vectors, which are memory-mapped, so only the candidates' pages are read.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from ..errors import ConfigError, IndexCorruptError

KINDS = ("auto", "flat", "hnsw", "ivf")
REFINE = 4  # an approximate search fetches k × REFINE candidates, then re-scores them exactly
MMAP_ROWS = 50_000  # vectors of larger stores stay on disk, memory-mapped


def choose_kind(kind: str, n: int, threshold: int) -> str:
    """`auto` is exact below `threshold` passages and IVF above; any other kind is taken as asked."""
    if kind not in KINDS:
        raise ConfigError(f"faiss kind {kind!r}: allowed {', '.join(KINDS)}")
    if kind != "auto":
        return kind
    return "flat" if n < threshold else "ivf"


def _nlist(n: int) -> int:
    return max(1, min(int(4 * math.sqrt(max(n, 1))), max(1, n // 39)))


class DenseStore:
    """Vectors (kept for exact filtered search, re-scoring and incremental reuse) plus the FAISS index over them."""

    def __init__(self, vectors: np.ndarray, index: faiss.Index, kind: str) -> None:
        self.vectors = vectors
        self.index = index
        self.kind = kind
        if kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = min(faiss.extract_index_ivf(index).nlist, 48)
        elif kind == "hnsw":
            index.hnsw.efSearch = 128

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> DenseStore:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        elif kind == "ivf":
            nlist = _nlist(n)
            index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
            if n:
                sample = vectors if n <= 100 * nlist else vectors[np.random.default_rng(0).choice(n, 100 * nlist, replace=False)]
                index.train(sample)
        else:
            raise ConfigError(f"faiss kind {kind!r}: allowed flat, hnsw, ivf (or auto)")
        if n:
            index.add(vectors)
        return cls(vectors, index, kind)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               scope: object = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the k best rows; with `allowed` rows, an exact scan of just those rows (`scope`, the
        restriction they come from, is for stores that filter server-side)."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        n = self.vectors.shape[0]
        if allowed is not None:
            if allowed.size == 0:
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            sims = self.vectors[allowed] @ q[0]
            order = np.argsort(-sims, kind="stable")[:k]
            return allowed[order].astype(np.int64), sims[order].astype(np.float32)
        k = min(k, n)
        if k == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self.kind == "flat":
            scores, rows = self.index.search(q, k)
            keep = rows[0] >= 0
            return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)
        _, cand = self.index.search(q, min(n, k * REFINE))
        cand = np.sort(cand[0][cand[0] >= 0])
        sims = self.vectors[cand] @ q[0]  # exact scores: the approximate index only proposes
        order = np.lexsort((cand, -sims))[:k]
        return cand[order].astype(np.int64), sims[order].astype(np.float32)

    def save(self, vectors_path: Path, index_path: Path) -> None:
        np.save(vectors_path, self.vectors, allow_pickle=False)
        faiss.write_index(self.index, str(index_path))

    @classmethod
    def load(cls, vectors_path: Path, index_path: Path, kind: str) -> DenseStore:
        vectors = np.load(vectors_path, allow_pickle=False, mmap_mode="r")
        if vectors.shape[0] < MMAP_ROWS:
            vectors = np.ascontiguousarray(vectors)  # small: in memory, no page faults on the hot path
        index = faiss.read_index(str(index_path))
        if index.ntotal != vectors.shape[0] or index.d != vectors.shape[1]:
            raise IndexCorruptError(
                f"{index_path.name}: FAISS index holds {index.ntotal}x{index.d} but vectors are {vectors.shape}"
            )
        return cls(vectors, index, kind)
