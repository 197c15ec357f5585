"""Live rebuilds in the server: a LiveBuilder (and, with --watch, a seeds watcher) on app.state beside the searcher."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State

from rag.indexing.backend import open_index
from rag.indexing.build import chunker_params
from rag.indexing.live import LiveBuilder
from rag.indexing.watch import SeedWatcher
from rag.indexing.load import LoadedIndex
from rag.retrieval import Searcher
from rag.settings import Settings
from rag.stores.japanese import default_analyzer

logger = logging.getLogger(__name__)


def serve_from_disk(state: State, settings: Settings) -> tuple[LoadedIndex, str | None]:
    """Load the index version now on disk and serve it from now on: (that index, the version it replaced). Requests
    in flight finish on the Searcher they took. Reloads and live builds load through here one at a time, so that
    what is served last is what was on disk last: a reload that read the disk before a live build published its
    version, and installed after the build had, served the older version while the disk held the newer."""
    with state.swap_lock:
        index = open_index(settings)
        old: Searcher | None = state.get("searcher")
        # installing checks the models (an index embedded by another model loads, then is refused by the Searcher)
        state.searcher = (old.with_index(index) if old is not None
                          else Searcher(index, state.embedders, default_analyzer(), settings))
        state.load_error = None
        state.loaded_at = time.time()
    return index, old.index.version if old is not None else None


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
        state.builder = LiveBuilder(settings, state.embedders, lambda: serve_from_disk(state, settings)[0])
        watcher = None
        if settings.watch_seconds > 0:
            watcher = SeedWatcher(settings.seeds_dir, settings.watch_seconds, state.builder,
                                  _live_manifest(state), chunker_params(settings)).start()
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            if state.builder.running():  # the daemon thread dies with the process; the index on disk stays whole
                logger.warning("shutting down during live build %s; the previous index stays on disk",
                               state.builder.status().build_id)

    return lifespan
