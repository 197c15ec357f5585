"""A build's passages as columns of numbers (passages.npz), written and read without a Python object per passage.

An incremental build used to read every previous passage as an object and write every passage again as a JSON line;
at a million passages that was ~9 s of a one-document update. A passage is `raw[start:end]` of its document, so a
row needs only its document's number, its article, its span and token count, plus two digests: its embedding key
(what the components reuse data by) and its repeat key (the rule that drops a passage repeating an earlier one).
A document that did not change keeps its rows' numbers as they were, and nothing is hashed or made for them again.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexCorruptError
from ..types import Article, Passage

PASSAGE_COLUMNS = "passages.npz"
KEY = "S40"  # the embedding key: sha1 hex of the embedded text
REPEAT = "S20"  # sha1 digest of the passage text with its whitespace folded (rag/chunking.py's drop_repeats)
_INTS = {"doc": np.int32, "article": np.int32, "start": np.int64, "end": np.int64, "tokens": np.int32}


def embedding_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def repeat_key(text: str) -> bytes:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).digest()


@dataclass(frozen=True, slots=True, eq=False)
class PassageColumns:
    """Passages by row: document number (into `doc_ids`), article, span, tokens, embedding and repeat keys."""

    doc_ids: tuple[str, ...]
    doc: np.ndarray
    article: np.ndarray
    start: np.ndarray
    end: np.ndarray
    tokens: np.ndarray
    key: np.ndarray
    repeat: np.ndarray

    def __post_init__(self) -> None:
        n = self.doc.shape[0]
        if any(getattr(self, c).shape != (n,) for c in (*_INTS, "key", "repeat")):
            raise IndexCorruptError("passage columns of different lengths")
        if n and (int(self.doc.min()) < 0 or int(self.doc.max()) >= len(self.doc_ids)):
            raise IndexCorruptError(f"a passage names a document number outside 0..{len(self.doc_ids) - 1}")

    def __len__(self) -> int:
        return int(self.doc.shape[0])

    def source_rows(self, articles: Sequence[Sequence[Article]]) -> frozenset[int]:
        """The rows that are their article's source rows (rag/types.py: a row starts where one does), `articles`
        given by document number."""
        starts = np.array([(d << 40) | r.start for d, arts in enumerate(articles) for a in arts for r in a.source_rows],
                          np.int64)
        if not starts.size or not len(self):
            return frozenset()
        keys = (self.doc.astype(np.int64) << 40) | self.start
        return frozenset(np.flatnonzero(np.isin(keys, starts)).tolist())

    def keys(self) -> list[str]:
        return self.key.astype("U40").tolist()

    def key_view(self) -> Sequence[str]:
        """The embedding keys as str, decoded when read: a build reads only its new rows' keys (a whole list of a
        million is ~0.5 s)."""
        return _KeyView(self.key)

    def ranges(self) -> dict[str, tuple[int, int]]:
        """{doc_id: (first row, end row)} of the documents that hold rows (a document's rows are consecutive)."""
        if not len(self):
            return {}
        cut = np.flatnonzero(np.diff(self.doc)) + 1
        firsts = np.concatenate([[0], cut]).tolist()
        ends = np.concatenate([cut, [len(self)]]).tolist()
        docs = self.doc[firsts].tolist()
        if len(set(docs)) != len(docs):
            raise IndexCorruptError("a document's passages are not consecutive rows")
        return {self.doc_ids[d]: (a, b) for d, a, b in zip(docs, firsts, ends)}

    def ids(self) -> list[str]:
        """Every row's passage id, `doc_id#start-end`."""
        return [f"{self.doc_ids[d]}#{s}-{e}" for d, s, e in zip(self.doc.tolist(), self.start.tolist(),
                                                                  self.end.tolist())]

    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, doc_ids=np.array(self.doc_ids, dtype=str), doc=self.doc, article=self.article,
                     start=self.start, end=self.end, tokens=self.tokens, key=self.key, repeat=self.repeat)

    @classmethod
    def load(cls, path: Path) -> PassageColumns:
        try:
            with np.load(path, allow_pickle=False) as z:
                cols = {name: z[name] for name in ("doc_ids", *_INTS, "key", "repeat")}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            raise IndexCorruptError(f"{Path(path).name} cannot be read: {exc}") from None
        for name, dtype in _INTS.items():
            if cols[name].ndim != 1 or not np.issubdtype(cols[name].dtype, np.integer):
                raise IndexCorruptError(f"{Path(path).name}: column {name!r} is not a column of integers")
            cols[name] = cols[name].astype(dtype, copy=False)
        if cols["key"].dtype != np.dtype(KEY) or cols["repeat"].dtype != np.dtype(REPEAT):
            raise IndexCorruptError(f"{Path(path).name}: key columns of the wrong type")
        return cls(tuple(cols.pop("doc_ids").tolist()), **cols)

    @classmethod
    def of(cls, passages: Sequence[Passage], keys: Sequence[str], doc_ids: Iterable[str] | None = None,
           rows: Collection[tuple[str, int]] = ()) -> PassageColumns:
        """The columns of passages held as objects (this build's new documents, or an older index's passages.jsonl);
        a passage in `rows` (document, start: a source row) gets a repeat key of its own, so that it is never dropped
        as a repeat (a blog's name heads each of its posts)."""
        numbers = {d: i for i, d in enumerate(dict.fromkeys(doc_ids if doc_ids is not None else
                                                             (p.doc_id for p in passages)))}
        return cls(tuple(numbers), np.array([numbers[p.doc_id] for p in passages], np.int32),
                   np.array([p.article for p in passages], np.int32), np.array([p.start for p in passages], np.int64),
                   np.array([p.end for p in passages], np.int64), np.array([p.tokens for p in passages], np.int32),
                   np.array(list(keys), dtype=KEY),
                   np.array([repeat_key(p.text if (p.doc_id, p.start) not in rows else f"\0source row {p.passage_id}")
                             for p in passages], dtype=REPEAT))

    @classmethod
    def concat(cls, doc_ids: Sequence[str], parts: Sequence[tuple[PassageColumns, int, int, int]]) -> PassageColumns:
        """Rows a..b of each part, in order, their document renumbered to `number` (a position in `doc_ids`)."""
        def column(name: str, dtype) -> np.ndarray:
            if not parts:
                return np.zeros(0, dtype)
            return np.concatenate([getattr(c, name)[a:b] for c, a, b, _ in parts]).astype(dtype, copy=False)

        doc = (np.concatenate([np.full(b - a, number, np.int32) for _, a, b, number in parts]) if parts
               else np.zeros(0, np.int32))
        return cls(tuple(doc_ids), doc, column("article", np.int32), column("start", np.int64),
                   column("end", np.int64), column("tokens", np.int32), column("key", KEY), column("repeat", REPEAT))

    def take(self, rows: np.ndarray) -> PassageColumns:
        return PassageColumns(self.doc_ids, self.doc[rows], self.article[rows], self.start[rows], self.end[rows],
                              self.tokens[rows], self.key[rows], self.repeat[rows])


class _KeyView(Sequence[str]):
    def __init__(self, key: np.ndarray) -> None:
        self._key = key

    def __len__(self) -> int:
        return int(self._key.shape[0])

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return self._key[row].astype("U40").tolist()
        return self._key[row].decode("ascii")


def first_occurrences(repeat: np.ndarray) -> np.ndarray:
    """Rows whose repeat key no earlier row has (the rule of rag/chunking.py's drop_repeats), ascending."""
    if not repeat.size:
        return np.zeros(0, np.int64)
    _, first = np.unique(repeat, return_index=True)
    return np.sort(first)
