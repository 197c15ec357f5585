"""GET /v1/documents (paginated) and /v1/documents/{doc_id}: the indexed seed files, looked up by id in the loaded
index only."""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from rag.errors import NotFoundError
from rag.indexing.load import DocRecord, LoadedIndex
from rag.retrieval import Searcher
from rag.types import Article

from ..schemas import (ArticleOut, DocumentDetail, DocumentList, DocumentSummary, ErrorBody, PassageSpan, SourceOut,
                       TextSpan, seed_path)

DEFAULT_PAGE = 50
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """Per index version, computed once: doc ids in order, and each document's passage rows."""

    doc_ids: tuple[str, ...]
    rows: dict[str, tuple[int, ...]]


_CATALOGUES: weakref.WeakKeyDictionary[LoadedIndex, _Catalogue] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _catalogue(index: LoadedIndex) -> _Catalogue:
    # A walk over the whole corpus, done once per index version (and off the event loop: the handlers run in threads).
    with _LOCK:
        found = _CATALOGUES.get(index)
        if found is None:
            rows: dict[str, list[int]] = defaultdict(list)
            table = index.passages  # numbers only: no passage is made for this
            for row, d in enumerate(table.doc.tolist()):
                rows[table.doc_ids[d]].append(row)
            found = _Catalogue(tuple(sorted(index.docs)), {d: tuple(r) for d, r in rows.items()})
            _CATALOGUES[index] = found
        return found


def _article(a: Article) -> ArticleOut:
    return ArticleOut(index=a.index, title=a.title, published=a.published, url=a.url, start=a.start, end=a.end,
                      sources=[SourceOut(s.title, s.url) for s in a.sources],
                      kept=[TextSpan(k.start, k.end) for k in a.kept],
                      source_rows=[TextSpan(r.start, r.end) for r in a.source_rows])


def _summary(d: DocRecord) -> DocumentSummary:
    return DocumentSummary(doc_id=d.doc_id, source_file=seed_path(d.source_file), sha256=d.sha256, chars=len(d.raw),
                           titles=[a.title for a in d.articles], articles=[_article(a) for a in d.articles])


class DocumentController(Controller):
    path = "/v1/documents"
    tags = ["documents"]

    @get("/", sync_to_thread=True, summary="List the indexed documents, one page at a time",
         responses={400: ResponseSpec(data_container=ErrorBody, description="limit or offset out of range")})
    def list_documents(
        self, searcher: Searcher,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="documents per page")] = DEFAULT_PAGE,
        offset: Annotated[int, Parameter(ge=0, description="documents to skip, in doc_id order")] = 0,
    ) -> DocumentList:
        """The live index's documents in doc_id order with their articles' metadata; follow `next_offset`."""
        index = searcher.index
        ids = _catalogue(index).doc_ids
        page = ids[offset : offset + limit]
        following = offset + limit if offset + limit < len(ids) else None
        return DocumentList(index_version=index.version, count=len(ids), offset=offset, limit=limit,
                            next_offset=following, documents=[_summary(index.docs[k]) for k in page])

    @get("/{doc_id:str}", sync_to_thread=True, summary="One document with its raw text and spans",
         responses={404: ResponseSpec(data_container=ErrorBody, description="no document with this id")})
    def get_document(self, doc_id: str, searcher: Searcher) -> DocumentDetail:
        """Raw text plus article and passage spans; every citation's [start, end) indexes this `raw`."""
        # A dictionary lookup, never a path built from the request: nothing outside the index can be named.
        index = searcher.index
        doc = index.docs.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no document {doc_id[:200]!r}; list them with GET /v1/documents")
        passages = (index.passages[r] for r in _catalogue(index).rows.get(doc_id, ()))
        spans = [PassageSpan(p.passage_id, p.article, p.start, p.end) for p in passages]
        return DocumentDetail(doc_id=doc.doc_id, source_file=seed_path(doc.source_file), sha256=doc.sha256,
                              index_version=index.version, raw=doc.raw, excluded=dict(doc.excluded),
                              articles=[_article(a) for a in doc.articles], passages=spans)
