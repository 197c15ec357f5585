"""A FAISS inner-product index over normalised vectors: flat by default, HNSW or IVF for large corpora."""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from ..errors import ConfigError


class DenseStore:
    """Vectors (kept for exact filtered search and incremental reuse) plus the FAISS index over them."""

    def __init__(self, vectors: np.ndarray, index: faiss.Index, kind: str) -> None:
        self.vectors = vectors
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> DenseStore:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        elif kind == "ivf":
            nlist = max(1, min(int(math.sqrt(max(n, 1))), max(1, n // 39)))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            if n:
                index.train(vectors)
            index.nprobe = min(nlist, 16)
        else:
            raise ConfigError(f"faiss kind {kind!r}: allowed flat, hnsw, ivf")
        if n:
            index.add(vectors)
        return cls(vectors, index, kind)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the k best rows; with `allowed` rows, an exact scan of just those rows."""
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
        scores, rows = self.index.search(q, k)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def save(self, vectors_path: Path, index_path: Path) -> None:
        np.save(vectors_path, self.vectors, allow_pickle=False)
        faiss.write_index(self.index, str(index_path))

    @classmethod
    def load(cls, vectors_path: Path, index_path: Path, kind: str) -> DenseStore:
        vectors = np.load(vectors_path, allow_pickle=False)
        index = faiss.read_index(str(index_path))
        if index.ntotal != vectors.shape[0] or index.d != vectors.shape[1]:
            from ..errors import IndexCorruptError

            raise IndexCorruptError(
                f"{index_path.name}: FAISS index holds {index.ntotal}x{index.d} but vectors are {vectors.shape}; "
                f"rebuild with: rag index build --full"
            )
        return cls(vectors, index, kind)
