"""One e5 pass per passage in a build: the dense builder's pass also makes the sparse head's rows and the answers'
sentence vectors, which wait on disk until the sparse and sentence builders ask for them.

The builders stay separate components (dense first, then BM25, the sparse head, the sentences:
rag/components/registry.py); what they share is the embedder. For the length of one build, an embedder whose
forward pass can make more than the dense vector (e5 on its fused engine) is wrapped so that `encode_passages` keeps
the rest on the side, in a scratch file (about 2 KB a passage for the sparse row, 1.5 KB a sentence for its vector;
in memory ~100 bytes a passage for where they are), and `encode_sparse_passages` / `sentence_vectors` hand them
back; a text it has not seen (or a span it did not keep) is encoded as before. The rows and vectors are the very
ones a separate pass makes (tests/embedders/test_e5_fused.py), so a build ranks and answers the same either way.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..embedders import Embedder, reads_in_context
from ..stores.sentences import ENCODE, sentence_spans


def carries_sentences(embedder: Embedder) -> bool:
    """True for an embedder whose passage pass can yield the answers' sentence vectors (read in their passage)."""
    return embedder.name in ENCODE and reads_in_context(embedder)


class PassageCarry:
    """`inner` for one build, its passage pass keeping the sparse rows (`sparse`) and every sentence's vector in its
    passage (`sentences`) for the builders after it (see the module)."""

    def __init__(self, inner: Embedder, scratch: Path, sparse: bool, sentences: bool) -> None:
        self.inner = inner
        self.sparse, self.sentences = sparse, sentences
        self._file = open(scratch, "w+b")  # noqa: SIM115 (closed by close(), when the build ends)
        self._end = 0
        self._rows: dict[bytes, tuple[int, int]] = {}  # text digest → (offset, features)
        self._vectors: dict[bytes, tuple[int, bytes]] = {}  # text digest → (offset, its spans as int32 pairs)

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
            for text, ss, vs in zip(texts, spans, pooled):  # a passage's sentences one after the other
                self._vectors[_digest(text)] = (self._write(np.ascontiguousarray(vs, np.float32).tobytes()),
                                                np.asarray(ss, np.int32).tobytes())
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

    def sentence_vectors(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]:
        """Each text's spans read in that text: the ones this build's passage pass kept, the rest from the model."""
        kept = [self._kept(t, ss) for t, ss in zip(texts, spans)]
        missing = [i for i, k in enumerate(kept) if k is None]
        fresh = dict(zip(missing, self.inner.sentence_vectors([texts[i] for i in missing],
                                                              [spans[i] for i in missing]))) if missing else {}
        return [fresh[i] if k is None else k for i, k in enumerate(kept)]

    def _kept(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray | None:
        """The kept vectors of `spans` of `text` (any of the sentences its pass read, in any order), else None."""
        at = self._vectors.get(_digest(text))
        if at is None:
            return None
        offset, stored = at
        where = {ab: i for i, ab in enumerate(map(tuple, np.frombuffer(stored, np.int32).reshape(-1, 2).tolist()))}
        rows = [where.get((int(a), int(b))) for a, b in spans]
        if any(r is None for r in rows):
            return None
        dim = self.inner.dim
        data = os.pread(self._file.fileno(), 4 * dim * len(where), offset)
        return np.frombuffer(data, np.float32).reshape(len(where), dim)[rows].copy()

    def _write(self, data: bytes) -> int:
        at = self._end
        os.pwrite(self._file.fileno(), data, at)
        self._end += len(data)
        return at

    def _read_row(self, offset: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        data = os.pread(self._file.fileno(), 8 * n, offset)
        return np.frombuffer(data[: 4 * n], np.int32).copy(), np.frombuffer(data[4 * n :], np.float32).copy()

    def close(self) -> None:
        self._file.close()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
