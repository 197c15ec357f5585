"""The canonical JSON shape of search results (the API's /v1/search body and `rag search --json`)."""

from __future__ import annotations

from typing import Any

from ..types import Citation, Hit
from .engine import SearchResult


def citation_json(c: Citation) -> dict[str, Any]:
    return {"doc_id": c.doc_id, "title": c.title, "published": c.published, "source_file": c.source_file,
            "start": c.start, "end": c.end, "url": c.url,
            "sources": [{"title": s.title, "url": s.url} for s in c.sources]}


def hit_json(h: Hit) -> dict[str, Any]:
    return {"rank": h.rank, "score": round(h.score, 6), "passage_id": h.passage.passage_id, "text": h.passage.text,
            "citation": citation_json(h.citation)}


def result_json(r: SearchResult) -> dict[str, Any]:
    return {"query": r.query, "mode": r.mode, "lang": r.lang, "took_ms": round(r.took_ms, 3),
            "index_version": r.index_version, "results": [hit_json(h) for h in r.hits]}
