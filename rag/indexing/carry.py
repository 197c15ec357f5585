"""One e5 pass per passage in a build: the dense builder's pass also makes the sparse head's rows, which wait on disk
until the sparse builder asks for them.

The builders stay separate components (dense first, then BM25, then the sparse head: rag/components/registry.py);
what they share is the embedder. For the length of one build, an embedder that makes both from one forward pass
(`fused`: e5 on its fused engine) is wrapped so that `encode_passages` keeps the sparse rows it made on the side, in
a scratch file (about 2 KB a passage on disk; in memory only a ~200-byte index entry per passage), and
`encode_sparse_passages` hands them back; a text it has not seen is encoded as before. The rows are the very ones
a separate sparse pass makes (bit for bit, tests/embedders/test_e5_fused.py), so a build ranks the same either way.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..embedders import Embedder, sparse_capable


def carries_sparse(embedder: Embedder) -> bool:
    """True for an embedder whose passage pass can yield the sparse rows too, at no second pass."""
    return (bool(getattr(embedder, "fused", False)) and hasattr(embedder, "encode_passages_with_sparse")
            and sparse_capable(embedder))


class SparseCarry:
    """`inner` for one build, its passage pass keeping the sparse rows for the sparse builder (see the module)."""

    def __init__(self, inner: Embedder, scratch: Path) -> None:
        self.inner = inner
        self._file = open(scratch, "w+b")  # noqa: SIM115 (closed by close(), when the build ends)
        self._end = 0
        self._rows: dict[bytes, tuple[int, int]] = {}  # text digest → (offset, features)

    def __getattr__(self, name: str):
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode_passages(texts)
        vectors, rows = self.inner.encode_passages_with_sparse(texts)
        for text, (idx, val) in zip(texts, rows):
            data = np.ascontiguousarray(idx, np.int32).tobytes() + np.ascontiguousarray(val, np.float32).tobytes()
            os.pwrite(self._file.fileno(), data, self._end)
            self._rows[_digest(text)] = (self._end, len(idx))
            self._end += len(data)
        return vectors

    def encode_sparse_passages(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        kept = [self._rows.get(_digest(t)) for t in texts]
        missing = [t for t, k in zip(texts, kept) if k is None]
        fresh = iter(self.inner.encode_sparse_passages(missing) if missing else [])
        return [next(fresh) if k is None else self._read(*k) for k in kept]

    def _read(self, offset: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        data = os.pread(self._file.fileno(), 8 * n, offset)
        return np.frombuffer(data[: 4 * n], np.int32).copy(), np.frombuffer(data[4 * n :], np.float32).copy()

    def close(self) -> None:
        self._file.close()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
