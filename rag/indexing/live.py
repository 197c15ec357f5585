"""Live rebuilds beside a serving index: one background build at a time, and its progress (the seeds watcher that
starts them is rag/indexing/watch.py; the build's own process, rag/indexing/live_child.py).

The build itself is build_index (atomic and incremental): until it writes the new manifest the old index stays live
on disk, and the serving process keeps its loaded index until `serve` loads the new one and swaps it in. A build that fails,
for whatever reason, changes nothing that is served; its status says why. By default (`live_build=process`) it runs
in a process of its own (`live_child.child_main`), which reports its progress as JSON lines; a crash or a kill there is a
failed build, and its Python work takes no turn from the serving threads.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from ..embedders import Embedder
from ..embedders.e5_engine import InContext
from ..errors import BuildBusyError, BuildsOffError
from ..settings import Settings
from ..shown import without_server_paths
from . import backend
# child_main is imported from here by build processes that servers started before the split launch
from .live_child import build_in_child, build_outcome, child_main, failure_reason, source_id  # noqa: F401
from .load import LoadedIndex

logger = logging.getLogger(__name__)
BuildState = Literal["running", "succeeded", "failed"]
T = TypeVar("T")
# Passages per embedder call during a live build: the e5 engine runs one call at a time, so a query that arrives
# mid-build waits for at most this many passages (~75 ms each for e5) instead of a whole batch of 32.
LIVE_EMBED_BATCH = 2


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """One live build as /v1/index shows it: while it runs, and after it has finished or failed."""

    build_id: str
    trigger: str  # "api", "watch", or "start" (api/live.py LoadRetry: no index once another process's build ended)
    state: BuildState
    stage: str
    done: int
    total: int
    started_at: str
    finished_at: str | None = None
    index_version: str | None = None  # the version it produced and swapped in
    error: str | None = None
    warnings: tuple[str, ...] = ()
    changes: dict[str, int] = field(default_factory=dict)  # added, changed, removed, unchanged documents
    last_error: str | None = None  # the latest failure of any build so far, this one or an earlier one
    up_to_date: bool = False  # it found nothing new: the live version stayed
    store: dict[str, Any] | None = None  # what publishing did, for a store other than local files (Qdrant's counts)

    def as_json(self) -> dict[str, Any]:
        return {"build_id": self.build_id, "trigger": self.trigger, "state": self.state, "stage": self.stage,
                "done": self.done, "total": self.total, "started_at": self.started_at,
                "finished_at": self.finished_at, "index_version": self.index_version, "error": self.error,
                "warnings": list(self.warnings), "changes": dict(self.changes), "last_error": self.last_error,
                "up_to_date": self.up_to_date, "store": self.store}


class _Interleaved:
    """An embedder for the background build: passages go through in small calls, so queries interleave with them."""

    def __init__(self, inner: Embedder, batch: int) -> None:
        self.inner, self._batch = inner, batch

    def __getattr__(self, name: str):
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        # the vocabulary for term alignment: thousands of words on a first build, in calls a query can slip between
        if len(texts) <= 64:
            return self.inner.encode_queries(texts)
        return np.vstack([self.inner.encode_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode_passages(texts)
        return np.vstack([self.inner.encode_passages(texts[i : i + self._batch])
                          for i in range(0, len(texts), self._batch)])

    def encode_sparse_passages(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for i in range(0, len(texts), self._batch):
            out.extend(self.inner.encode_sparse_passages(texts[i : i + self._batch]))
        return out

    def encode_passages_with_sparse(self, texts: Sequence[str]
                                    ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        if not texts:
            return self.inner.encode_passages_with_sparse(texts)
        parts = [self.inner.encode_passages_with_sparse(texts[i : i + self._batch])
                 for i in range(0, len(texts), self._batch)]
        return np.vstack([d for d, _ in parts]), [row for _, rows in parts for row in rows]

    def encode_passages_in_context(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                   sparse: bool = False) -> InContext:
        if not texts:
            return self.inner.encode_passages_in_context(texts, spans, sparse)
        parts = [self.inner.encode_passages_in_context(texts[i : i + self._batch], spans[i : i + self._batch], sparse)
                 for i in range(0, len(texts), self._batch)]
        return InContext(np.vstack([p.dense for p in parts]), [r for p in parts for r in p.sparse],
                         [v for p in parts for v in p.spans])

    def sentence_vectors(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]:
        return self.encode_passages_in_context(texts, spans).spans


def _locked_elsewhere(index_dir: Path) -> bool:
    """Whether another build holds the index's lock (rag/indexing/folder.py `exclusive`) right now; a build starting
    just after this look still fails as a build, as before it."""
    from filelock import FileLock, Timeout

    path = index_dir / ".build.lock"
    if not path.exists():
        return False
    lock = FileLock(path, timeout=0, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:  # an unwritable folder: the build says so
        return False
    lock.release()
    return False


# serve(serving): load the version on disk, then swap it in inside `with serving(index):`, and return it
Serve = Callable[[Callable[[LoadedIndex], AbstractContextManager[None]]], LoadedIndex]


class LiveBuilder:
    """Runs incremental builds of settings.index_dir on a background thread, one at a time, and after each calls
    `serve(serving)`, which loads the version now on disk, swaps it in inside `with serving(index):` (where nothing
    may fail) and returns it; `status()` says what the current or last build is doing or did. The loading is the
    caller's so that it can be serialized with its other loads (a reload): a reload that read the disk before this
    build published, then installed after it, served the older version. `serving` marks the build succeeded under
    the lock that `observe` reads with, so that the build's status and the version served change in one step: a
    client saw the new version served (GET /readyz) and then its build still running."""

    def __init__(self, settings: Settings, embedders: Mapping[str, Embedder],
                 serve: Serve, *, embed_batch: int = LIVE_EMBED_BATCH) -> None:
        if settings.live_build == "process" and backend.store(settings).in_process(settings):
            # a child publishing into Qdrant's :memory: writes its own memory, gone when it exits: the build "succeeded"
            # and the server went on serving the old version
            logger.info("live builds run in a thread: the Qdrant store is this process's memory (RAG_QDRANT_PATH=%s)",
                        settings.qdrant_path)
            settings = replace(settings, live_build="thread")
        self._settings = settings
        self._embedders = [_Interleaved(e, embed_batch) for e in embedders.values()]
        self._serve = serve
        # the code this server runs, read when it starts (only a build process compares it)
        self._source = source_id() if settings.live_build == "process" else ""
        self._lock = threading.Lock()
        self._status: BuildStatus | None = None
        self._thread: threading.Thread | None = None
        # for monitoring (api/metrics.py): builds finished by outcome, and the last one's duration and end
        self.finished = {"succeeded": 0, "failed": 0}
        self.last_duration_s: float | None = None
        self.last_success_at: float | None = None  # seconds since the epoch
        self._lost_lock = False  # the last build failed because another process was building this index

    def start(self, trigger: str = "api") -> BuildStatus:
        """Start a build now; raises BuildBusyError while another one runs."""
        if self._settings.live_build == "off":
            # a replica (docs/qdrant.md): it serves what the store holds, and a rebuild there embedded the whole corpus
            # on CPUs meant for serving and moved the alias off the builder's working copy (an operator's probe)
            raise BuildsOffError("this server does not build (RAG_LIVE_BUILD=off): it serves the version the store "
                                 "holds; rebuild on the builder, then POST /v1/admin/reload here")
        with self._lock:
            running = self._status
            if running is not None and running.state == "running":
                raise BuildBusyError(f"build {running.build_id} is still running ({running.stage}, "
                                     f"{running.done}/{running.total}); wait for it to finish")
            if _locked_elsewhere(Path(self._settings.index_dir)):  # a `rag index build` of this index, say
                raise BuildBusyError("another process is building this index (its build lock is held); wait for it "
                                     "to finish, then rebuild")
            started = datetime.now(timezone.utc)
            build_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
            self._status = BuildStatus(build_id, trigger, "running", "starting", 0, 0, _now(),
                                       last_error=running.last_error if running is not None else None)
            self._lost_lock = False
            self._thread = threading.Thread(target=self._run, args=(build_id,), name=f"live-build-{build_id}",
                                            daemon=True)  # a build cut short by exit leaves the old index intact
            self._thread.start()
            logger.info("live build %s started (%s)", build_id, trigger)
            return self._status

    def status(self) -> BuildStatus | None:
        """The current or last build, or None if none has started."""
        with self._lock:
            return self._status

    def observe(self, served: Callable[[], T]) -> tuple[BuildStatus | None, T]:
        """The current or last build's status and `served()` (what the server serves), read in one step with respect
        to a build's swap (see the class)."""
        with self._lock:
            return self._status, served()

    def running(self) -> bool:
        status = self.status()
        return status is not None and status.state == "running"

    def lost_to_another_build(self) -> bool:
        """Whether the last build failed only because another process held the index's build lock (another server
        watching the same seeds, or a `rag index build` that started between this one's look and its lock): what is
        on disk may be newer than what this server serves, so the watcher builds again once the lock is free."""
        with self._lock:
            return self._lost_lock and self._status is not None and self._status.state == "failed"

    def wait(self, timeout: float | None = None) -> BuildStatus | None:
        """Block until the current build (if any) has finished; its final status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _public(self, text: str) -> str:
        """A message without server paths (the status is shown to anyone); the log keeps the full text."""
        return without_server_paths(text, self._settings)

    def _update(self, build_id: str, **changes: Any) -> None:
        with self._lock:
            if self._status is not None and self._status.build_id == build_id:
                self._status = replace(self._status, **changes)

    def _progress(self, build_id: str) -> Callable[[str, int, int], None]:
        def report(stage: str, done: int, total: int) -> None:
            status = self.status()
            if status is not None and status.stage != stage:
                logger.info("live build %s: %s, %d to do", build_id, stage, total)
            self._update(build_id, stage=stage, done=done, total=total)

        return report

    def _build(self, build_id: str) -> dict[str, Any]:
        """The build's outcome: its document changes and warnings."""
        progress = self._progress(build_id)
        if self._settings.live_build == "process":
            return build_in_child(self._settings, progress, self._source)
        return build_outcome(backend.build(self._settings, self._embedders, progress=progress))

    def _run(self, build_id: str) -> None:
        t0 = time.perf_counter()
        try:
            self._update(build_id, stage="reading seeds")
            outcome = self._build(build_id)
            self._update(build_id, stage="loading the new index", done=0, total=0)
            done: list[LoadedIndex] = []

            @contextmanager
            def serving(index: LoadedIndex) -> Iterator[None]:
                with self._lock:  # the swap, inside this block, and the status change in one step for `observe`
                    # done/total: the passages of the version now served (the last stage's count was 0 of 0)
                    self._finish_locked(build_id, time.perf_counter() - t0, state="succeeded", stage="done",
                                        done=len(index.passages), total=len(index.passages),
                                        index_version=index.version, finished_at=_now(),
                                        warnings=tuple(self._public(w) for w in outcome["warnings"]),
                                        changes=outcome["changes"], up_to_date=bool(outcome.get("up_to_date")),
                                        store=outcome.get("store"))
                    done.append(index)
                    yield

            index = self._serve(serving)
            if not done:  # a `serve` that did not call it
                with serving(index):
                    pass
            changes = outcome["changes"]
            logger.info("live build %s: index %s is live after %.1fs (%s%s)", build_id, index.version,
                        time.perf_counter() - t0, changes, "; it was up to date" if outcome.get("up_to_date") else "")
        except Exception as exc:  # anything at all: the old index keeps serving, and the status says why
            with self._lock:
                self._lost_lock = isinstance(exc, BuildBusyError)
            reason = failure_reason(exc)
            logger.error("live build %s failed after %.1fs, the index served before it (if any) keeps serving: %s",
                         build_id, time.perf_counter() - t0, reason)
            at, reason = _now(), self._public(reason)
            self._finish(build_id, time.perf_counter() - t0, state="failed", error=reason, finished_at=at,
                         last_error=f"build {build_id} failed at {at}: {reason}")
        finally:
            status = self.status()
            if status is not None and status.build_id == build_id and status.state == "running":
                # a BaseException (interpreter exit, KeyboardInterrupt): still say the build is over
                self._finish(build_id, time.perf_counter() - t0, state="failed", error="the build was interrupted",
                             finished_at=_now())

    def _finish(self, build_id: str, seconds: float, **changes: Any) -> None:
        """The build's final status and its count, in one step: a build started the moment the status said this one
        was over (the watcher's, say) made the count miss it, and a monitor could read the status before the count."""
        with self._lock:
            self._finish_locked(build_id, seconds, **changes)

    def _finish_locked(self, build_id: str, seconds: float, **changes: Any) -> None:
        """`_finish` under the lock. A build that is over already stays as it ended (counted once)."""
        if self._status is None or self._status.build_id != build_id or self._status.state != "running":
            return
        self._status = replace(self._status, **changes)
        self.finished[self._status.state] += 1
        self.last_duration_s = seconds
        if self._status.state == "succeeded":
            self.last_success_at = time.time()
