"""Liveness, readiness and the index summary."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from rag.retrieval import Searcher

from ..errors import INDEX_RETRY_AFTER, without_server_paths
from ..schemas import BuildOut, ErrorBody, Health, IndexStatus, IndexSummary, IndexUnavailable, Readiness

_NOT_READY = {503: ResponseSpec(data_container=ErrorBody, description="no index is loaded")}


def summary_of(searcher: Searcher) -> IndexSummary:
    return msgspec.convert(searcher.index.summary(), IndexSummary)


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/healthz", sync_to_thread=False, summary="Liveness: the process answers")
    def healthz(self) -> Health:
        """Always 200 while the process serves requests."""
        return Health(status="ok")

    @get("/readyz", sync_to_thread=False, summary="Readiness: an index is loaded", responses=_NOT_READY)
    def readyz(self, searcher: Searcher) -> Readiness:
        """200 with the manifest summary once an index is loaded, else 503."""
        return Readiness(status="ready", index=summary_of(searcher))


class IndexController(Controller):
    path = "/v1/index"
    tags = ["index"]

    @get("/", sync_to_thread=False, summary="Manifest summary of the live index, and the background build",
         responses={503: ResponseSpec(data_container=IndexUnavailable, description="no index is served; `build` is "
                                      "the background build, if any (a rebuild may be making the index)")})
    def index_summary(self, request: Request, state: State) -> Response[IndexStatus]:  # 503: IndexUnavailable
        """Version, creation time, counts, chunker and embedders of the index being served (`index_version`), and
        the current or last background build (`build`: stage, done/total, started_at, error), or null. While no
        index is served, a 503 that still carries `build`: the rebuild a 202 pointed here is followed here."""
        builder = state.get("builder")
        # the build and the version served read in one step: a build's swap changes both at once
        status, searcher = (builder.observe(lambda: state.get("searcher")) if builder is not None
                            else (None, state.get("searcher")))
        build = status.as_json() if status is not None else None
        if searcher is None:
            detail = without_server_paths(str(state.get("load_error") or "no index is loaded yet"), request)
            building = msgspec.convert(build, BuildOut) if build else None
            # the 503's own shape, declared in `responses` above (the annotation types the 200, as OpenAPI shows it)
            return Response(IndexUnavailable("index_unavailable", detail, building),  # type: ignore[arg-type]
                            status_code=503, headers=INDEX_RETRY_AFTER)
        return Response(msgspec.convert({**searcher.index.summary(), "build": build}, IndexStatus))
