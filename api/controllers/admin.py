"""Behind a bearer token: POST /v1/admin/reload swaps in the index on disk; POST /v1/admin/rebuild builds it anew
beside the service (GET /v1/index follows the build)."""

from __future__ import annotations

import hmac
import logging
import time

from anyio import to_thread
from litestar import Controller, Request, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from rag.errors import BuildBusyError, BuildsOffError, IndexError_
from rag.indexing.live import LiveBuilder
from rag.retrieval import Searcher
from rag.settings import Settings

from ..errors import ApiError, ReloadFailed
from ..live import serve_from_disk
from ..schemas import ErrorBody, RebuildAccepted, ReloadResponse

logger = logging.getLogger(__name__)


class BodyRefused(ApiError):
    """An admin route takes no body: one it would ignore (`{"full": true}`) is refused rather than half obeyed."""

    status_code = 400
    code = "body_not_taken"


async def no_body(request: Request, route: str, instead: str) -> None:
    body = (await request.body()).strip()
    if body not in (b"", b"{}", b"null"):
        raise BodyRefused(detail=f"POST {route} takes no body (it was sent {len(body)} bytes); {instead}")


class BuildRunning(ApiError):
    """Another background build is still running."""

    status_code = 409
    code = "build_running"


class BuildsOff(ApiError):
    """This server does not build (RAG_LIVE_BUILD=off, a replica): a client that waited and retried, as for a build
    running, would retry for ever (a review's)."""

    status_code = 409
    code = "builds_off"


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
    # the header's bytes as sent (ASGI hands them over decoded as Latin-1), against the token's UTF-8 bytes: a token
    # of non-ASCII characters never matched when the header was encoded again as UTF-8
    if not hmac.compare_digest(given.strip().encode("latin-1"), token.encode("utf-8")):
        raise PermissionDeniedException(detail="the admin token is not valid")


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    guards = [require_admin]

    @post("/reload", status_code=200, summary="Load the index on disk and serve it",
          responses={status: ResponseSpec(data_container=ErrorBody, description=text) for status, text in {
              400: "a body was sent (the route takes none)", 401: "no bearer token",
              403: "wrong token, or admin endpoints disabled",
              409: "the index on disk cannot be loaded; the previous one stays live"}.items()})
    async def reload(self, request: Request, state: State, settings: Settings) -> ReloadResponse:
        """Queries already running finish on the old index: each request takes the Searcher reference once."""
        await no_body(request, "/v1/admin/reload", "it loads the index on disk as it is")
        async with state.reload_lock:
            old: Searcher | None = state.get("searcher")
            previous = old.index.version if old else None
            t0 = time.perf_counter()

            try:
                # off the event loop (loading warms the stores), and a refusal while installing is a failed reload too
                index, previous = await to_thread.run_sync(serve_from_disk, state, settings)
            except IndexError_ as exc:
                logger.error("reload failed, keeping index %s: %s", previous, exc)
                serving = f"still serving index {previous}" if previous else "no index is served"
                raise ReloadFailed(detail=f"{exc} ({serving})") from None
        took = (time.perf_counter() - t0) * 1000
        logger.info("reloaded index %s → %s in %.0f ms", previous, index.version, took)
        return ReloadResponse(index_version=index.version, previous_version=previous,
                              counts=dict(index.manifest["counts"]), took_ms=round(took, 3))

    @post("/rebuild", status_code=202,
          summary="Build the index from the seeds in the background; GET /v1/index follows it",
          responses={status: ResponseSpec(data_container=ErrorBody, description=text) for status, text in {
              400: "a body was sent (the route takes none)", 401: "no bearer token",
              403: "wrong token, or admin endpoints disabled",
              409: "another build is still running (build_running), or this server does not build "
                   "(builds_off)"}.items()})
    async def rebuild(self, request: Request, state: State) -> RebuildAccepted:
        """An incremental build on a background thread while the current index keeps serving; when it is done the new
        version is swapped in. A failed build leaves the old index serving and says why in GET /v1/index."""
        await no_body(request, "/v1/admin/rebuild", "it builds incrementally from the seeds; a full build is "
                      "`rag index build --full` then POST /v1/admin/reload")
        builder: LiveBuilder = state.builder
        try:
            status = builder.start(trigger="api")
        except BuildsOffError as exc:
            raise BuildsOff(detail=str(exc)) from None
        except BuildBusyError as exc:
            raise BuildRunning(detail=str(exc)) from None
        live: Searcher | None = state.get("searcher")
        return RebuildAccepted(build_id=status.build_id, state="running", started_at=status.started_at,
                               index_version=live.index.version if live is not None else None, status="/v1/index")
