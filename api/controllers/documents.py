"""GET /v1/documents and /v1/documents/{doc_id}: the indexed seed files, looked up by id in the loaded index only."""

from __future__ import annotations

from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec

from rag.errors import NotFoundError
from rag.indexing.load import DocRecord
from rag.retrieval import Searcher
from rag.types import Article

from ..schemas import ArticleOut, DocumentDetail, DocumentList, DocumentSummary, ErrorBody, PassageSpan, SourceOut, TextSpan


def _article(a: Article) -> ArticleOut:
    return ArticleOut(index=a.index, title=a.title, published=a.published, url=a.url, start=a.start, end=a.end,
                      sources=[SourceOut(s.title, s.url) for s in a.sources],
                      kept=[TextSpan(k.start, k.end) for k in a.kept])


def _summary(d: DocRecord) -> DocumentSummary:
    return DocumentSummary(doc_id=d.doc_id, source_file=d.source_file, sha256=d.sha256, chars=len(d.raw),
                           titles=[a.title for a in d.articles], articles=[_article(a) for a in d.articles])


class DocumentController(Controller):
    path = "/v1/documents"
    tags = ["documents"]

    @get("/", sync_to_thread=False, summary="List the indexed documents")
    def list_documents(self, searcher: Searcher) -> DocumentList:
        """Every document of the live index with its articles' metadata."""
        docs = searcher.index.docs
        return DocumentList(index_version=searcher.index.version, count=len(docs),
                            documents=[_summary(docs[k]) for k in sorted(docs)])

    @get("/{doc_id:str}", sync_to_thread=False, summary="One document with its raw text and spans",
         responses={404: ResponseSpec(data_container=ErrorBody, description="no document with this id")})
    def get_document(self, doc_id: str, searcher: Searcher) -> DocumentDetail:
        """Raw text plus article and passage spans; every citation's [start, end) indexes this `raw`."""
        # A dictionary lookup, never a path built from the request: nothing outside the index can be named.
        doc = searcher.index.docs.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no document {doc_id[:200]!r}; list them with GET /v1/documents")
        spans = [PassageSpan(p.passage_id, p.article, p.start, p.end) for p in searcher.index.passages
                 if p.doc_id == doc_id]
        return DocumentDetail(doc_id=doc.doc_id, source_file=doc.source_file, sha256=doc.sha256,
                              index_version=searcher.index.version, raw=doc.raw, excluded=dict(doc.excluded),
                              articles=[_article(a) for a in doc.articles], passages=spans)
