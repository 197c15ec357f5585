"""Domain types → the wire Structs of api/schemas.py: the one JSON shape of search results and answers.

The HTTP API shows each source_file relative to the seeds directory (no server path leaves the service); the CLI's
`--json` prints the same Structs with the file's path in the seeds directory it is configured with, so that a script
can open the file (the path stored at build time goes stale when the folder moves or another seeds folder is named).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import msgspec

from rag.answers import Answer
from rag.retrieval import SearchResult
from rag.types import Citation, Hit

from .schemas import AskResponse, CitationOut, HitOut, SearchResponse, SourceOut, seed_path


SourcePath = Callable[[str], str]  # a stored source_file → the path a reader is shown


def local_paths(seeds_dir: Path | str) -> SourcePath:
    """Each seed's absolute path in `seeds_dir` (the CLI's: a file the operator can open where it is now)."""
    root = Path(seeds_dir).resolve()
    return lambda source_file: (root / seed_path(source_file)).as_posix()


def citation_out(c: Citation, path: SourcePath = seed_path) -> CitationOut:
    """A citation's wire form (source_file relative to the seeds directory unless `path` says otherwise)."""
    return CitationOut(doc_id=c.doc_id, title=c.title, published=c.published, source_file=path(c.source_file),
                       start=c.start, end=c.end, url=c.url, sources=[SourceOut(s.title, s.url) for s in c.sources])


def hit_out(h: Hit, path: SourcePath = seed_path) -> HitOut:
    """A ranked passage's wire form (the score rounded to 6 places)."""
    return HitOut(rank=h.rank, score=round(float(h.score), 6), passage_id=h.passage.passage_id, text=h.passage.text,
                  citation=citation_out(h.citation, path), source=h.source)


def search_response(r: SearchResult, path: SourcePath = seed_path) -> SearchResponse:
    """The /v1/search body and `rag search --json`."""
    return SearchResponse(query=r.query, mode=r.mode, lang=r.lang, took_ms=round(r.took_ms, 3),
                          index_version=r.index_version, results=[hit_out(h, path) for h in r.hits],
                          shed=list(r.shed))


def ask_response(a: Answer, path: SourcePath = seed_path) -> AskResponse:
    """The /v1/ask body and `rag ask --json`."""
    return AskResponse(question=a.question, answer=a.answer, citations=[citation_out(c, path) for c in a.citations],
                       passages=[hit_out(h, path) for h in a.passages], took_ms=round(a.took_ms, 3), lang=a.lang,
                       generator=a.generator, fallback=a.fallback, index_version=a.index_version, shed=list(a.shed),
                       covered=a.covered)


def result_json(r: SearchResult, seeds_dir: Path | str) -> dict[str, Any]:
    """search_response as plain JSON values, each source_file the seed's path in `seeds_dir` (the CLI's shape)."""
    return msgspec.to_builtins(search_response(r, local_paths(seeds_dir)))


def hit_json(h: Hit, seeds_dir: Path | str) -> dict[str, Any]:
    """hit_out as plain JSON values, the source_file the seed's path in `seeds_dir`."""
    return msgspec.to_builtins(hit_out(h, local_paths(seeds_dir)))


def answer_json(a: Answer, seeds_dir: Path | str) -> dict[str, Any]:
    """ask_response as plain JSON values, each source_file the seed's path in `seeds_dir` (the CLI's shape)."""
    return msgspec.to_builtins(ask_response(a, local_paths(seeds_dir)))
