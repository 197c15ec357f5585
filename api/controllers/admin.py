"""POST /v1/admin/reload: load the index on disk and swap it in atomically, behind a bearer token."""

from __future__ import annotations

import hmac
import logging
import time

from anyio import to_thread
from litestar import Controller, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from rag.errors import IndexError_
from rag.indexing.load import load_index
from rag.retrieval import Searcher
from rag.settings import Settings
from rag.stores.japanese import default_analyzer

from ..errors import ReloadFailed
from ..schemas import ErrorBody, ReloadResponse

logger = logging.getLogger(__name__)


def require_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: 403 when no admin token is configured, 401 without a bearer token, 403 with a wrong one."""
    if connection.scope["method"] == "OPTIONS":  # CORS preflights and Allow answers carry no token, and need none
        return
    token = connection.app.state.settings.admin_token
    if not token:
        raise PermissionDeniedException(detail="admin endpoints are disabled; set RAG_ADMIN_TOKEN to enable them")
    scheme, _, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise NotAuthorizedException(detail="send 'Authorization: Bearer <admin token>'",
                                     headers={"WWW-Authenticate": 'Bearer realm="newsrag-admin"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise PermissionDeniedException(detail="the admin token is not valid")


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    guards = [require_admin]

    @post("/reload", status_code=200, summary="Load the index on disk and serve it",
          responses={status: ResponseSpec(data_container=ErrorBody, description=text) for status, text in {
              401: "no bearer token", 403: "wrong token, or admin endpoints disabled",
              409: "the index on disk cannot be loaded; the previous one stays live"}.items()})
    async def reload(self, state: State, settings: Settings) -> ReloadResponse:
        """Queries already running finish on the old index: each request takes the Searcher reference once."""
        async with state.reload_lock:
            old: Searcher | None = state.get("searcher")
            previous = old.index.version if old else None
            t0 = time.perf_counter()
            try:
                index = await to_thread.run_sync(load_index, settings.index_dir, settings.embedders)
            except IndexError_ as exc:
                logger.error("reload failed, keeping index %s: %s", previous, exc)
                raise ReloadFailed(detail=f"{exc} (still serving index {previous})") from None
            state.searcher = (old.with_index(index) if old is not None
                              else Searcher(index, state.embedders, default_analyzer(), settings))
            state.load_error = None
        took = (time.perf_counter() - t0) * 1000
        logger.info("reloaded index %s → %s in %.0f ms", previous, index.version, took)
        return ReloadResponse(index_version=index.version, previous_version=previous,
                              counts=dict(index.manifest["counts"]), took_ms=round(took, 3))
