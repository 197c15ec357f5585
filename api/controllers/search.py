"""POST /v1/search: ranked passages with citations, in the canonical SearchResponse shape."""

from __future__ import annotations

from litestar import Controller, post

from rag.retrieval import Filters, Searcher

from ..errors import ERROR_RESPONSES
from ..schemas import FiltersIn, SearchRequest, SearchResponse
from ..wire import search_response


def to_filters(f: FiltersIn | None) -> Filters | None:
    """The core's Filters from the wire format (raises QueryError for impossible dates)."""
    if f is None:
        return None
    return Filters(tuple(f.doc_ids) if f.doc_ids else None, f.published_from, f.published_to)


class SearchController(Controller):
    path = "/v1/search"
    tags = ["search"]

    @post("/", status_code=200, sync_to_thread=True, responses=ERROR_RESPONSES,
          summary="Rank passages for a question (English or Japanese)")
    def search(self, data: SearchRequest, searcher: Searcher) -> SearchResponse:
        """Hybrid (default), BM25 or single-embedder search; every hit cites an exact span of a seed file."""
        result = searcher.search(data.query, data.passages, data.mode, to_filters(data.filters))
        return search_response(result)
