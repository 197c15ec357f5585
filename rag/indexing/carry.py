"""One e5 pass per passage in a build: the dense builder's pass also makes the sparse head's rows and the answers'
sentence vectors, which wait on disk until the sparse and sentence builders ask for them.

The builders stay separate components (dense first, then BM25, the sparse head, the sentences:
rag/components/registry.py); what they share is the embedder. For the length of one build, an embedder whose
forward pass can make more than the dense vector (e5 on its fused engine) is wrapped so that `encode_passages` keeps
the rest on the side, in a scratch file (about 2 KB a passage for the sparse row, 1.5 KB a sentence for its vector;
in memory only a small index entry each), and `encode_sparse_passages` / `encode_passages_in_context` hand them
back; a text it has not seen is encoded as before. The rows and vectors are the very ones a separate pass makes
(tests/embedders/test_e5_fused.py), so a build ranks and answers the same either way.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..embedders import Embedder, sparse_capable
from ..stores.sentences import ENCODE, sentence_spans


def carries_sparse(embedder: Embedder) -> bool:
    """True for an embedder whose passage pass can yield the sparse rows too, at no second pass."""
    return (bool(getattr(embedder, "fused", False)) and hasattr(embedder, "encode_passages_with_sparse")
            and sparse_capable(embedder))


def carries_sentences(embedder: Embedder) -> bool:
    """True for an embedder whose passage pass can yield the answers' sentence vectors (read in their passage)."""
    return embedder.name in ENCODE and bool(getattr(embedder, "in_context", False))


class PassageCarry:
    """`inner` for one build, its passage pass keeping the sparse rows (`sparse`) and every sentence's vector in its
    passage (`sentences`) for the builders after it (see the module)."""

    def __init__(self, inner: Embedder, scratch: Path, sparse: bool, sentences: bool) -> None:
        self.inner = inner
        self.sparse, self.sentences = sparse, sentences
        self._file = open(scratch, "w+b")  # noqa: SIM115 (closed by close(), when the build ends)
        self._end = 0
        self._rows: dict[bytes, tuple[int, int]] = {}  # text digest → (offset, features)
        self._vectors: dict[tuple[bytes, int, int], int] = {}  # (text digest, span) → offset

    def __getattr__(self, name: str):
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode_passages(texts)
        if self.sentences:
            spans = [[(s.start, s.end) for s in sentence_spans(t)] for t in texts]
            vectors, rows, pooled = self.inner.encode_passages_in_context(texts, spans, sparse=self.sparse)
            for text, ss, vs in zip(texts, spans, pooled):
                key = _digest(text)
                for (a, b), v in zip(ss, vs):
                    self._vectors[(key, a, b)] = self._write(np.ascontiguousarray(v, np.float32).tobytes())
        else:
            vectors, rows = self.inner.encode_passages_with_sparse(texts)
        for text, (idx, val) in zip(texts, rows if self.sparse else ()):
            data = np.ascontiguousarray(idx, np.int32).tobytes() + np.ascontiguousarray(val, np.float32).tobytes()
            self._rows[_digest(text)] = (self._write(data), len(idx))
        return vectors

    def encode_sparse_passages(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        kept = [self._rows.get(_digest(t)) for t in texts]
        missing = [t for t, k in zip(texts, kept) if k is None]
        fresh = iter(self.inner.encode_sparse_passages(missing) if missing else [])
        return [next(fresh) if k is None else self._read_row(*k) for k in kept]

    def encode_passages_in_context(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                   sparse: bool = False):
        """The inner embedder's, with the vectors of spans this build's passage pass already read (sparse rows and
        dense vectors are not carried this way: only the sentence builder asks, for vectors)."""
        if sparse:
            return self.inner.encode_passages_in_context(texts, spans, sparse)
        keys = [_digest(t) for t in texts]
        kept = [[self._vectors.get((k, a, b)) for a, b in ss] for k, ss in zip(keys, spans)]
        missing = [i for i, ks in enumerate(kept) if any(o is None for o in ks)]
        fresh = dict(zip(missing, self.inner.encode_passages_in_context(
            [texts[i] for i in missing], [spans[i] for i in missing])[2])) if missing else {}
        dim = self.inner.dim
        pooled = [fresh[i] if i in fresh else
                  np.vstack([self._read_vector(o, dim) for o in ks]).reshape(-1, dim)
                  for i, ks in enumerate(kept)]
        return np.zeros((0, dim), np.float32), [], pooled

    def _write(self, data: bytes) -> int:
        at = self._end
        os.pwrite(self._file.fileno(), data, at)
        self._end += len(data)
        return at

    def _read_row(self, offset: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        data = os.pread(self._file.fileno(), 8 * n, offset)
        return np.frombuffer(data[: 4 * n], np.int32).copy(), np.frombuffer(data[4 * n :], np.float32).copy()

    def _read_vector(self, offset: int, dim: int) -> np.ndarray:
        return np.frombuffer(os.pread(self._file.fileno(), 4 * dim, offset), np.float32).copy()

    def close(self) -> None:
        self._file.close()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
