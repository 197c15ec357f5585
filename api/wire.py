"""Domain types → the wire Structs of api/schemas.py: the one JSON shape of search results and answers.

The HTTP API shows each source_file relative to the seeds directory (no server path leaves the service); the CLI's
`--json` prints the same Structs with the path as stored, so that a script can open the file.
"""

from __future__ import annotations

from typing import Any

import msgspec

from rag.answers import Answer
from rag.retrieval import SearchResult
from rag.types import Citation, Hit

from .schemas import AskResponse, CitationOut, HitOut, SearchResponse, SourceOut, seed_path


def citation_out(c: Citation, public: bool = True) -> CitationOut:
    """A citation's wire form."""
    return CitationOut(doc_id=c.doc_id, title=c.title, published=c.published,
                       source_file=seed_path(c.source_file) if public else c.source_file, start=c.start, end=c.end,
                       url=c.url, sources=[SourceOut(s.title, s.url) for s in c.sources])


def hit_out(h: Hit, public: bool = True) -> HitOut:
    """A ranked passage's wire form (the score rounded to 6 places)."""
    return HitOut(rank=h.rank, score=round(float(h.score), 6), passage_id=h.passage.passage_id, text=h.passage.text,
                  citation=citation_out(h.citation, public))


def search_response(r: SearchResult, public: bool = True) -> SearchResponse:
    """The /v1/search body and `rag search --json`."""
    return SearchResponse(query=r.query, mode=r.mode, lang=r.lang, took_ms=round(r.took_ms, 3),
                          index_version=r.index_version, results=[hit_out(h, public) for h in r.hits],
                          shed=list(r.shed))


def ask_response(a: Answer, public: bool = True) -> AskResponse:
    """The /v1/ask body and `rag ask --json`."""
    return AskResponse(question=a.question, answer=a.answer, citations=[citation_out(c, public) for c in a.citations],
                       passages=[hit_out(h, public) for h in a.passages], took_ms=round(a.took_ms, 3),
                       generator=a.generator, fallback=a.fallback, index_version=a.index_version, shed=list(a.shed))


def result_json(r: SearchResult) -> dict[str, Any]:
    """search_response as plain JSON values, with the stored source_file paths (the CLI's shape)."""
    return msgspec.to_builtins(search_response(r, public=False))


def hit_json(h: Hit) -> dict[str, Any]:
    """hit_out as plain JSON values, with the stored source_file path."""
    return msgspec.to_builtins(hit_out(h, public=False))


def answer_json(a: Answer) -> dict[str, Any]:
    """ask_response as plain JSON values, with the stored source_file paths (the CLI's shape)."""
    return msgspec.to_builtins(ask_response(a, public=False))
