"""Retrieval components: each signal builds its own data, writes and checks its own files, and ranks.

A component is one module plus a registry entry. The Searcher collects what every component needs encoded
(`needs`), encodes it in one batch per embedder and kind, then asks each component to `rank`; it never branches on a
component's name. Builders make a component's files for a new build, reusing the previous build's data by key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np

from ..stores.ranking import Ranking
from ..stores.segments import Layout

Language = Literal["en", "ja"]
Kind = Literal["query", "sparse"]


class Need(NamedTuple):
    """One encoding a component needs: an embedder's query vector or sparse vector of a text."""

    embedder: str
    kind: Kind
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the components see it: its text, language and every encoding they asked for."""

    text: str
    lang: Language
    encoded: Mapping[Need, Any] = field(default_factory=dict)
    # the search's restriction as given (doc_ids, published_from/to), for stores that filter server-side; local
    # stores use the `allowed` rows computed from it
    scope: Any = None
    # what a component derives from the question once and a later stage reads again (the BM25 term groups, which
    # the reranker scores sentences with; an English question's alignment search costs ~7 ms at 100k passages)
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def vector(self, embedder: str, kind: Kind = "query", text: str | None = None) -> Any:
        return self.encoded[Need(embedder, kind, self.text if text is None else text)]


class Component(Protocol):
    """A loaded retrieval signal over one index version."""

    name: str  # also its search mode and its key in a hit's `scores`
    # whether a crowded service may leave it out of a hybrid question (RAG_SHED_SPARSE_ABOVE): a costly, optional signal
    sheddable: bool

    def needs(self, text: str, lang: Language) -> list[Need]:
        """The encodings `rank` will read from the Question."""
        ...

    def weight(self, lang: Language) -> float:
        """Its weight in the hybrid fusion for a question in `lang` (0 leaves it out)."""
        ...

    def warm(self) -> None:
        """Do now what its first question would otherwise pay for (compiled loops loaded, derived arrays made): the
        Searcher calls it once per index version, before serving it."""
        ...

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        """The k best passage rows, restricted to `allowed` rows when given."""
        ...


@dataclass(frozen=True, slots=True)
class Entry:
    """A component's part of the manifest: its name, registry kind, files (relative to the build) and parameters."""

    name: str
    kind: str
    files: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "files": list(self.files), "params": dict(self.params)}

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Entry:
        return cls(row["name"], row["kind"], tuple(row["files"]), dict(row.get("params", {})))


@dataclass(frozen=True, slots=True)
class Corpus:
    """What every builder builds from: the passages' embedded texts and their reuse keys, in row order, and the
    storage slots they take (rag/stores/segments.py; one segment in row order when not given)."""

    texts: Sequence[str]
    keys: Sequence[str]
    layout: Layout | None = None
    # the passages as cited, where the embedded texts differ from them (a title read before each: embed_title)
    passages: Sequence[str] | None = None
    # the rows that are source rows (who wrote an article, where it appeared: rag/retrieval/sources.py), not text
    sources: frozenset[int] = frozenset()

    def slots(self) -> Layout:
        return self.layout if self.layout is not None else Layout.identity(len(self.keys), "all")

    def slot_texts(self, rows: np.ndarray) -> list[str]:
        """The texts of a segment's slots by their rows ("" for a removed passage's slot)."""
        return [self.texts[r] if r >= 0 else "" for r in rows.tolist()]

    @property
    def cited(self) -> Sequence[str]:
        """The passage texts as cited, by row (the embedded texts end with them)."""
        return self.texts if self.passages is None else self.passages

    def slot_passages(self, rows: np.ndarray) -> list[str]:
        """The cited passage texts of a segment's slots."""
        return [self.cited[r] if r >= 0 else "" for r in rows.tolist()]


Progress = Callable[[str, int, int], None]


class Builder(Protocol):
    """Makes one component's files for a new build (loading them back is the registry's LOADERS, by kind)."""

    name: str
    kind: str

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        """Write the files into `out`; (manifest entry, items computed rather than reused)."""
        ...


class Previous:
    """The live build an incremental build reuses from: its manifest, directory and passage keys (read once)."""

    def __init__(self, manifest: Mapping[str, Any], build_dir: Path, keys: Sequence[str],
                 layout: Layout | None = None, passages: Any = None) -> None:  # passages: rag/indexing/columns.py
        self.manifest = manifest
        self.passages = passages
        self.build_dir = build_dir
        self.keys = list(keys)
        self.layout = layout if layout is not None else Layout.identity(len(self.keys), "all")
        self._slots_by_key: dict[str, int] | None = None

    def entry(self, name: str, kind: str, **params: Any) -> Entry | None:
        """The previous build's entry for a component of this name and kind whose parameters include `params` (same
        model, same width…), else None: data made differently is never reused."""
        for row in self.manifest.get("components", ()):
            entry = Entry.from_json(row)
            if entry.name == name and entry.kind == kind and all(entry.params.get(k) == v for k, v in params.items()):
                return entry
        return None

    def slots_by_key(self) -> dict[str, int]:
        """{reuse key: the previous build's slot holding it} for its live passages."""
        if self._slots_by_key is None:
            self._slots_by_key = {self.keys[r]: slot for slot, r in enumerate(self.layout.slot_row.tolist()) if r >= 0}
        return self._slots_by_key
