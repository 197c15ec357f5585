"""The app factory: a lifespan loads the models and the index onto app.state; handlers get them injected."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from anyio import CancelScope, to_thread
from litestar import Litestar, Response, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from rag import __version__
from rag.embedders import Embedder
from rag.errors import BuildBusyError, CorpusError, IndexError_, IndexMissingError
from rag.retrieval import Searcher
from rag.runtime import close_embedders, load_embedders, open_searcher
from rag.settings import Settings, check_admin_token

from .body import strict_json_body
from .controllers import CONTROLLERS
from .edge import Edge
from .errors import EXCEPTION_HANDLERS, error_response
from .schema_page import render_plugins
from .live import PASSING, live_lifespan
from .metrics import Metrics, MetricsController

logger = logging.getLogger(__name__)


# -- dependencies ----------------------------------------------------------------------------------------------

def provide_settings(state: State) -> Settings:
    return state.settings


def provide_searcher(state: State) -> Searcher:
    """The live Searcher, taken once per request: a reload swaps it without disturbing requests in flight."""
    searcher = state.get("searcher")
    if searcher is None:
        raise IndexMissingError(state.get("load_error") or "no index is loaded yet")
    return searcher


def provide_llm_client(state: State) -> httpx.Client | None:
    return state.get("llm_client")


# -- lifespan --------------------------------------------------------------------------------------------------

# What leaves the server without an index, serving anyway and saying why (/readyz), rather than ending it: its seeds
# (missing, empty, unreadable), its store, another build holding the folder
UNSERVABLE = (IndexError_, CorpusError, BuildBusyError, OSError)


def _open_index(settings: Settings, embedders: Mapping[str, Embedder], state: State) -> Searcher | None:
    """The searcher over the index on disk (built first if missing); None, with the reason kept, if it is unusable."""
    try:
        # a store an open would wait for (a folder another process holds, a server that does not answer within 2 s)
        # is not waited for: the port would stay closed (no /healthz) for up to two minutes; the server serves its
        # 503 and api/live.py LoadRetry loads the index once the store answers
        # a server that does not build (RAG_LIVE_BUILD=off, a replica) waits for the version the builder publishes
        return open_searcher(settings, build_if_missing=settings.live_build != "off", embedders=embedders,
                             wait_for_store=False)
    except UNSERVABLE as exc:
        _without_index(exc, state)
        return None


def _without_index(exc: Exception, state: State) -> None:
    """Serve anyway: /readyz says 503 with the reason, and POST /v1/admin/reload (or /rebuild, once the seeds are
    fixed) loads an index. A missing index over missing, empty or unreadable seeds ended the process with a traceback
    of the startup's exception group before."""
    reason = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.filename else str(exc)
    # what passes by itself (another process's build, a busy or unreachable store) is loaded again by LoadRetry
    (logger.warning if isinstance(exc, PASSING) else logger.error)("serving without an index: %s", reason)
    state.load_error, state.load_exception = reason, exc  # api/live.py LoadRetry reads what kind it was


def _lifespan(settings: Settings, searcher: Searcher | None, embedders: Mapping[str, Embedder] | None,
              unservable: Exception | None) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        state = app.state
        state.reload_lock = asyncio.Lock()
        owned = searcher is None and embedders is None
        state.llm_client = None
        if searcher is not None:
            state.embedders, state.searcher = searcher.embedders, searcher
        else:
            state.embedders = embedders if embedders is not None else await to_thread.run_sync(load_embedders,
                                                                                                settings)
        try:
            if unservable is not None:  # the caller's own build of the missing index failed: not tried again
                _without_index(unservable, state)
            elif searcher is None:
                state.searcher = await to_thread.run_sync(_open_index, settings, state.embedders, state)
            if state.searcher is not None:
                state.loaded_at = time.time()
                logger.info("ready: index %s (%s)", state.searcher.index.version,
                            state.searcher.index.manifest["counts"])
            state.llm_client = httpx.Client(timeout=settings.llm_timeout_s) if settings.llm_base_url else None
            yield
        finally:
            if state.llm_client is not None:
                state.llm_client.close()
            if owned:  # the models this lifespan loaded (also when the start failed): their engine threads outlive it
                with CancelScope(shield=True):  # a start interrupted (Ctrl-C while loading) still closes them
                    await to_thread.run_sync(close_embedders, state.embedders)
            state.llm_client = state.searcher = state.embedders = None

    return lifespan


# -- the app ---------------------------------------------------------------------------------------------------

def _json_not_found(response: Response) -> Response:
    """The OpenAPI router answers unknown /schema/... paths with an HTML page; every 404 here is JSON."""
    if response.status_code == 404 and response.media_type != "application/json":
        return error_response(404, "not_found", "no such schema page; the schema is at /schema/openapi.json")
    return response


def cors_config(settings: Settings) -> CORSConfig | None:
    """Browser clients on the configured origins (none: no CORS). The origins are the boundary: clients add their own
    headers (the openai SDK's X-Stainless-*), and a page reads Retry-After to know when to try again."""
    if not settings.cors_origins:
        return None
    return CORSConfig(allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST", "OPTIONS"],
                      allow_headers=["*"], expose_headers=["Retry-After"])


def create_app(settings: Settings, searcher: Searcher | None = None,
               embedders: Mapping[str, Embedder] | None = None, unservable: Exception | None = None) -> Litestar:
    """The Litestar app; pass a ready `searcher` to skip loading models and index (tests reuse one), or `embedders`
    to share models the caller owns. Models the app loads itself it closes when it shuts down. `unservable`: why the
    caller's build of the missing index failed (rag serve's first build): the app serves without one and says so."""
    check_admin_token(settings)
    cors = cors_config(settings)
    state = State({"settings": settings, "searcher": None, "load_error": None, "load_exception": None,
                   "loaded_at": None})
    state.metrics = Metrics(state) if settings.metrics else None
    app = Litestar(
        route_handlers=[*CONTROLLERS, *([MetricsController] if settings.metrics else [])],
        lifespan=[_lifespan(settings, searcher, embedders, unservable), live_lifespan(settings)],
        state=state,
        dependencies={
            "settings": Provide(provide_settings, sync_to_thread=False),
            "searcher": Provide(provide_searcher, sync_to_thread=False),
            "llm_client": Provide(provide_llm_client, sync_to_thread=False),
        },
        before_request=strict_json_body,
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        cors_config=cors,
        openapi_config=OpenAPIConfig(
            title="newsrag", version=__version__, path="/schema",
            description="Cross-lingual (English/Japanese) question answering over Japanese news, with citations.",
            openapi_router=Router("/schema", route_handlers=[], include_in_schema=False,
                                  after_request=_json_not_found),
            render_plugins=render_plugins(),
        ),
        logging_config=None,  # the entry point (rag serve) configures logging, not the app
        debug=False,
    )
    _publish_top_k_bound(app, settings.max_top_k)
    # outside routing: it sees 404s, 405s and HEAD too, and counts every request for /metrics
    app.asgi_handler = Edge(app.asgi_handler, settings, state.metrics, cors)
    return app


def _publish_top_k_bound(app: Litestar, max_top_k: int) -> None:
    """The request structs can only say top_k >= 1: the upper bound is a setting. Write it into the schema."""
    for schema in (app.openapi_schema.components.schemas or {}).values():
        top_k = (schema.properties or {}).get("top_k")
        if top_k is not None and hasattr(top_k, "maximum"):
            top_k.maximum = max_top_k
