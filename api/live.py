"""Live rebuilds in the server: a LiveBuilder (and, with --watch, a seeds watcher) on app.state beside the searcher."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager, nullcontext
from typing import Any

from litestar import Litestar
from litestar.datastructures import State

from rag.errors import BuildBusyError, IndexMissingError, StoreUnavailableError
from rag.indexing.backend import open_index
from rag.indexing.build import chunker_params
from rag.indexing.live import LiveBuilder
from rag.indexing.watch import SeedWatcher
from rag.indexing.load import LoadedIndex
from rag.retrieval import Searcher
from rag.settings import Settings
from rag.stores.japanese import default_analyzer

logger = logging.getLogger(__name__)


def serve_from_disk(state: State, settings: Settings,
                    serving: Callable[[LoadedIndex], AbstractContextManager[None]] | None = None
                    ) -> tuple[LoadedIndex, str | None]:
    """Load the index version now on disk and serve it from now on: (that index, the version it replaced). Requests
    in flight finish on the Searcher they took. Reloads and live builds load through here one at a time, so that
    what is served last is what was on disk last: a reload that read the disk before a live build published its
    version, and installed after the build had, served the older version while the disk held the newer.
    The swap happens inside `with serving(index):` when given: a live build's status changes in the same step."""
    with state.swap_lock:
        index = open_index(settings)
        old: Searcher | None = state.get("searcher")
        # installing checks the models (an index embedded by another model loads, then is refused by the Searcher)
        searcher = (old.with_index(index) if old is not None
                    else Searcher(index, state.embedders, default_analyzer(), settings))
        with serving(index) if serving is not None else nullcontext():
            state.searcher = searcher
        state.load_error = None
        state.loaded_at = time.time()
    return index, old.index.version if old is not None else None


LOAD_RETRY_FIRST_S = 1.0  # a server that started without an index loads again after this long, doubling each time
LOAD_RETRY_MAX_S = 30.0
# what may pass by itself: another process's build holding the index, a Qdrant store busy or away, and no index yet
# (another process may be building it). Not a damaged or mismatched index, which would be read again every 30 s
PASSING = (BuildBusyError, StoreUnavailableError, IndexMissingError)


class LoadRetry:
    """While no index is served after start-up (another process was building it, a Qdrant folder stayed in use past
    the wait, a Qdrant server did not answer), load what is there again, after LOAD_RETRY_FIRST_S and then twice as
    long each time up to LOAD_RETRY_MAX_S, until one loads, a reload or a live build serves one, or the server stops.
    Such a server stayed unready for good: only a reload (with the admin token) or a restart helped."""

    def __init__(self, state: State, settings: Settings, first_s: float = LOAD_RETRY_FIRST_S) -> None:
        self._state, self._settings, self._wait = state, settings, first_s
        self._built = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="index-load-retry", daemon=True)

    def start(self) -> LoadRetry:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _build_if_nobody_does(self) -> None:
        """The start found another process building the index; once no build holds the lock and there is still no
        index (that build was killed, or failed), build it here, as the start would have (it stayed unready for
        good). Once: a build that fails says why in GET /v1/index, and the next is the operator's."""
        builder: LiveBuilder | None = self._state.get("builder")
        if self._built or builder is None or builder.running():
            return
        try:
            status = builder.start("start")
        except BuildBusyError:
            return  # the other build still holds the lock
        self._built = True
        logger.warning("no index yet, and no other build holds the lock: building it here (live build %s)",
                       status.build_id)
        self._state.load_error = f"no index yet: building it (live build {status.build_id}, GET /v1/index follows it)"

    def _loop(self) -> None:
        said = self._state.get("load_error")
        while not self._stop.wait(self._wait):
            if self._state.get("searcher") is not None:
                return  # a reload or a live build served one
            builder: LiveBuilder | None = self._state.get("builder")
            if builder is not None and builder.running():
                continue  # it serves what it builds, its status changing in the same step (not before, by a load here)
            try:
                index, _ = serve_from_disk(self._state, self._settings)
            except IndexMissingError:
                self._build_if_nobody_does()  # nothing there yet
                said = self._state.get("load_error")
            except Exception as exc:  # noqa: BLE001 - the server keeps serving its 503 with the latest reason
                reason = str(exc)
                if reason != said:
                    self._state.load_error = said = reason
                    if not isinstance(exc, PASSING):
                        logger.error("no index is served: %s; not loading again by itself (POST /v1/admin/reload "
                                     "once it is fixed)", reason)
                        return
                    logger.warning("still no index: %s; loading again in up to %.0fs", reason, LOAD_RETRY_MAX_S)
            else:
                logger.info("ready: index %s (%s), loaded again after the start found none", index.version,
                            index.manifest["counts"])
                return
            self._wait = min(self._wait * 2, LOAD_RETRY_MAX_S)


def _live_manifest(state: State) -> Callable[[], dict[str, Any] | None]:
    def manifest() -> dict[str, Any] | None:
        searcher = state.get("searcher")
        return searcher.index.manifest if searcher is not None else None

    return manifest


def live_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Runs after the main lifespan has loaded the embedders: the builder, and the watcher if watch_seconds > 0."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        state = app.state
        state.swap_lock = threading.Lock()
        state.builder = LiveBuilder(settings, state.embedders,
                                    lambda serving: serve_from_disk(state, settings, serving)[0])
        retry = (LoadRetry(state, settings).start()
                 if state.get("searcher") is None and isinstance(state.get("load_exception"), PASSING) else None)
        watcher = None
        if settings.watch_seconds > 0:
            watcher = SeedWatcher(settings.seeds_dir, settings.watch_seconds, state.builder,
                                  _live_manifest(state), chunker_params(settings)).start()
        try:
            yield
        finally:
            if retry is not None:
                retry.stop()
            if watcher is not None:
                watcher.stop()
            if state.builder.running():  # the daemon thread dies with the process; the index on disk stays whole
                logger.warning("shutting down during live build %s; the previous index stays on disk",
                               state.builder.status().build_id)

    return lifespan
