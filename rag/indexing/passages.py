"""A loaded index's passages as columns of numbers; each Passage is made when asked for.

A passage is `raw[start:end]` of its document (rag/types.py), and the loaded index holds every document's raw text,
so keeping a million Passage objects repeated it: their texts, ids and titles took ~0.8 GB of a serving process at a
million passages. A table keeps each passage's document, article, span and token count (~30 bytes), and makes the
Passage, equal to the stored one, on access.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, overload

import numpy as np

from ..errors import IndexCorruptError
from ..types import Article, Passage
from .columns import PassageColumns


class _Doc(Protocol):
    raw: str
    articles: tuple[Article, ...]

    def article(self, index: int) -> Article: ...


def _positions(docs: Mapping[str, _Doc]) -> dict[str, int]:
    """Each document id's number: its place in the index's documents."""
    return {d: i for i, d in enumerate(docs)}


class PassageTable(Sequence[Passage]):
    """Passages by row, made from their document's text on access."""

    def __init__(self, docs: Mapping[str, _Doc], doc: np.ndarray, article: np.ndarray, start: np.ndarray,
                 end: np.ndarray, tokens: np.ndarray) -> None:
        self.doc_ids = tuple(docs)
        self.documents = [docs[d] for d in self.doc_ids]
        self.doc, self.article, self.start, self.end, self.tokens = doc, article, start, end, tokens
        self._by_span: tuple[np.ndarray, np.ndarray] | None = None
        self._source_keys: np.ndarray | None = None
        self._position = _positions(docs)
        if doc.size:
            if int(doc.min()) < 0 or int(doc.max()) >= len(self.documents):
                raise IndexCorruptError(f"a passage names a document number outside 0..{len(self.documents) - 1}")
            articles = np.array([len(d.articles) for d in self.documents], np.int64)[doc]
            lengths = np.array([len(d.raw) for d in self.documents], np.int64)[doc]
            if not ((article >= 0) & (article < articles) & (start >= 0) & (start <= end) & (end <= lengths)).all():
                raise IndexCorruptError("a passage's article or span lies outside its document")

    @classmethod
    def from_columns(cls, columns: PassageColumns, docs: Mapping[str, _Doc]) -> PassageTable:
        """The table of a build's passages.npz over its documents (its document numbers must be theirs)."""
        if tuple(columns.doc_ids) != tuple(docs):
            raise IndexCorruptError("the passages' document numbers do not match the index's documents")
        return cls(docs, columns.doc, columns.article, columns.start, columns.end, columns.tokens)

    @classmethod
    def of(cls, passages: Sequence[Passage], docs: Mapping[str, _Doc]) -> PassageTable:
        """The table of passages held as objects (an index loaded from Qdrant's payloads)."""
        position = _positions(docs)
        try:
            doc = np.array([position[p.doc_id] for p in passages], np.int32)
        except KeyError as exc:
            raise IndexCorruptError(f"a passage names document {exc}, which the index lacks") from None
        return cls(docs, doc, np.array([p.article for p in passages], np.int32),
                   np.array([p.start for p in passages], np.int64), np.array([p.end for p in passages], np.int64),
                   np.array([p.tokens for p in passages], np.int32))

    def __len__(self) -> int:
        return int(self.doc.shape[0])

    @overload
    def __getitem__(self, row: int) -> Passage: ...

    @overload
    def __getitem__(self, row: slice) -> list[Passage]: ...

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        asked = row = operator.index(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"passage row {asked} of {len(self)}")
        doc = self.documents[self.doc[row]]
        doc_id = self.doc_ids[self.doc[row]]
        start, end, article = int(self.start[row]), int(self.end[row]), int(self.article[row])
        return Passage(passage_id=f"{doc_id}#{start}-{end}", doc_id=doc_id, article=article,
                       title=doc.article(article).title, start=start, end=end, text=doc.raw[start:end],
                       tokens=int(self.tokens[row]))

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))

    def is_source(self, row: int) -> bool:
        """Whether passage `row` is one of its article's source rows (rag/types.py Article), read without making the
        Passage: it starts where one does (a row is a segment of its own, and makes one passage at most)."""
        return bool(self.source_mask(np.array([row]))[0])

    def source_mask(self, rows: np.ndarray) -> np.ndarray:
        """Which of `rows` are source rows: is_source for many rows at once, by the rows' keys (document number and
        start, sorted; gathered once: ~60 ms at a million passages). 300 candidates take ~0.12 ms; one is_source
        call each took ~0.4 ms, and the bracket check before this, ~0.22 ms (docs/precision.md)."""
        if self._source_keys is None:
            self._source_keys = np.array(sorted((d << 40) | r.start for d, doc in enumerate(self.documents)
                                                for a in doc.articles for r in a.source_rows), np.int64)
        keys = self._source_keys
        rows = np.asarray(rows, np.int64)
        if not keys.size or not rows.size:
            return np.zeros(rows.shape, bool)
        want = (self.doc[rows].astype(np.int64) << 40) | self.start[rows]
        return keys[np.minimum(np.searchsorted(keys, want), keys.size - 1)] == want

    def source_rows(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """Every article's source rows, {(document number, article): rows}."""
        out: dict[tuple[int, int], list[int]] = {}
        for r in np.flatnonzero(self.source_mask(np.arange(len(self)))).tolist():
            out.setdefault((int(self.doc[r]), int(self.article[r])), []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequences are not hashable

    def _spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows ordered by (document, start), and their keys, made on the first lookup."""
        if self._by_span is None:
            key = (self.doc.astype(np.int64) << 40) | self.start
            order = np.argsort(key, kind="stable")
            self._by_span = order, key[order]
        return self._by_span

    def first_of(self, doc: int, article: int) -> int | None:
        """The row of an article's first passage (the lowest start), by document number and article; None when it has
        none. Two binary searches: the document's rows among the rows ordered by span, then the article among them
        (a document's articles follow one another)."""
        order, keys = self._spans()
        lo, hi = np.searchsorted(keys, [doc << 40, (doc + 1) << 40])
        articles = self.article[order[lo:hi]]  # in start order, so article by article: non-decreasing
        at = int(np.searchsorted(articles, article))
        return int(order[lo + at]) if at < len(articles) and int(articles[at]) == article else None

    def article_of(self, doc_id: str, article: int) -> tuple[str, Article] | None:
        """A document's raw text and one of its articles (`raw[a.start:a.end]` is the article's text), by document id
        and article number; None for a document or an article the index does not hold."""
        d = self._position.get(doc_id)
        if d is None:
            return None
        doc = self.documents[d]
        return (doc.raw, doc.articles[article]) if 0 <= article < len(doc.articles) else None

    def article_text(self, doc_id: str, article: int) -> str | None:
        """The text of one of a document's articles (`article_of`); None for one the index does not hold."""
        found = self.article_of(doc_id, article)
        if found is None:
            return None
        raw, span = found
        return raw[span.start:span.end]

    def rows_of_document(self, doc_id: str) -> np.ndarray | None:
        """The rows of a document's passages in start order (a binary search among the rows ordered by span); None
        for a document the index does not hold."""
        d = self._position.get(doc_id)
        if d is None:
            return None
        order, keys = self._spans()
        lo, hi = np.searchsorted(keys, [d << 40, (d + 1) << 40])
        return order[lo:hi]

    def row_of(self, passage_id: str) -> int | None:
        """The row of a passage id (`doc_id#start-end`), or None."""
        doc_id, _, span = passage_id.rpartition("#")
        start, _, end = span.partition("-")
        d = self._position.get(doc_id)
        if d is None or not (start.isascii() and start.isdigit() and end.isascii() and end.isdigit()):
            return None
        if passage_id != f"{doc_id}#{int(start)}-{int(end)}":  # ids are made so: no leading zeros
            return None
        if int(start) >= 1 << 40:  # past any document, and its bits would spill into the document's in the key
            return None
        order, keys = self._spans()
        want = (d << 40) | int(start)
        at = int(np.searchsorted(keys, want))
        while at < len(keys) and keys[at] == want:  # a start shared by several passages: the one with this end
            if int(self.end[order[at]]) == int(end):
                return int(order[at])
            at += 1
        return None
