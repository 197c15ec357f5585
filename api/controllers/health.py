"""Liveness, readiness and the index summary."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from rag.retrieval import Searcher

from ..schemas import ErrorBody, Health, IndexStatus, IndexSummary, Readiness

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
         responses=_NOT_READY)
    def index_summary(self, searcher: Searcher, state: State) -> IndexStatus:
        """Version, creation time, counts, chunker and embedders of the index being served (`index_version`), and
        the current or last background build (`build`: stage, done/total, started_at, error), or null."""
        builder = state.get("builder")
        status = builder.status() if builder is not None else None
        build = status.as_json() if status is not None else None
        return msgspec.convert({**searcher.index.summary(), "build": build}, IndexStatus)
