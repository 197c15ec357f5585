"""(De)serialisation of passages and documents inside a build directory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from ..corpus.articles import names_sources
from ..types import Article, Passage, Source, Span

PASSAGES = "passages.jsonl"  # format 3's passages (format 4: columns.py); read once when a build updates such an index
DOCUMENTS = "documents.jsonl"


class _Key(msgspec.Struct):
    embed_key: str


def read_passages(path: Path) -> tuple[list[Passage], list[str]]:
    """A format-3 passages.jsonl: one line per passage, its fields and then its embedding key."""
    data = path.read_bytes()
    return _PASSAGES.decode_lines(data), [r.embed_key for r in _KEYS.decode_lines(data)]


_PASSAGES = msgspec.json.Decoder(Passage)  # fields it does not know (the key) are skipped
_KEYS = msgspec.json.Decoder(_Key)


def article_to_json(a: Article) -> dict[str, Any]:
    return {"index": a.index, "title": a.title, "published": a.published, "start": a.start, "end": a.end,
            "sources": [{"title": s.title, "url": s.url} for s in a.sources],
            "kept": [[k.start, k.end] for k in a.kept], "source_rows": [[r.start, r.end] for r in a.source_rows]}


def article_from_json(doc_id: str, row: dict[str, Any], raw: str) -> Article:
    """An article's record; `raw`, its document's text, tells the source rows of a build before they were stored."""
    kept = tuple(Span(s, e) for s, e in row.get("kept", ()))  # builds before kept spans were stored have none
    if "source_rows" in row:
        source_rows = tuple(Span(s, e) for s, e in row["source_rows"])
    else:  # chunked before CHUNKING_ID v6: a source block's marker and title were its only source rows
        source_rows = tuple(k for k in kept if names_sources(raw[k.start : k.end]))
    return Article(doc_id=doc_id, index=row["index"], title=row["title"], published=row["published"],
                   sources=tuple(Source(s["title"], s["url"]) for s in row["sources"]),
                   start=row["start"], end=row["end"], kept=kept, source_rows=source_rows)


def write_documents(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:  # a str is a record already serialised (reused from the previous build)
            fh.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")


def read_documents(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]
