"""(De)serialisation of passages and documents inside a build directory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..types import Article, Passage, Source, Span

PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.jsonl"


def write_passages(path: Path, passages: Iterable[Passage], keys: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for p, key in zip(passages, keys, strict=True):
            row = {"passage_id": p.passage_id, "doc_id": p.doc_id, "article": p.article, "title": p.title,
                   "start": p.start, "end": p.end, "text": p.text, "tokens": p.tokens, "embed_key": key}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_passages(path: Path) -> tuple[list[Passage], list[str]]:
    passages, keys = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            keys.append(row.pop("embed_key"))
            passages.append(Passage(**row))
    return passages, keys


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
