"""(De)serialisation of passages and documents inside a build directory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from ..types import Article, Passage, Source, Span

PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.jsonl"


class _Row(msgspec.Struct):
    """One line of passages.jsonl: a passage and its embedding key (msgspec: a million lines read in a fraction of
    the json module's time, which a one-document update at that size paid twice)."""

    passage_id: str
    doc_id: str
    article: int
    title: str
    start: int
    end: int
    text: str
    tokens: int
    embed_key: str


def write_passages(path: Path, passages: Iterable[Passage], keys: Iterable[str]) -> None:
    rows = [_Row(p.passage_id, p.doc_id, p.article, p.title, p.start, p.end, p.text, p.tokens, key)
            for p, key in zip(passages, keys, strict=True)]
    path.write_bytes(_ENCODER.encode_lines(rows))


def read_passages(path: Path) -> tuple[list[Passage], list[str]]:
    rows = _DECODER.decode_lines(path.read_bytes())
    passages = [Passage(r.passage_id, r.doc_id, r.article, r.title, r.start, r.end, r.text, r.tokens) for r in rows]
    return passages, [r.embed_key for r in rows]


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(_Row)


def article_to_json(a: Article) -> dict[str, Any]:
    return {"index": a.index, "title": a.title, "published": a.published, "start": a.start, "end": a.end,
            "sources": [{"title": s.title, "url": s.url} for s in a.sources],
            "kept": [[k.start, k.end] for k in a.kept]}


def article_from_json(doc_id: str, row: dict[str, Any]) -> Article:
    return Article(doc_id=doc_id, index=row["index"], title=row["title"], published=row["published"],
                   sources=tuple(Source(s["title"], s["url"]) for s in row["sources"]),
                   start=row["start"], end=row["end"],
                   kept=tuple(Span(s, e) for s, e in row.get("kept", ())))  # builds before kept spans were stored


def write_documents(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:  # a str is a record already serialised (reused from the previous build)
            fh.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")


def read_documents(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]
