"""The sentence store in segments (rag/stores/segments.py): one SentenceStore per segment over its slots, so an
incremental build splits, encodes and writes only the new passages' sentences and shares the rest."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cached_property

import numpy as np

from ..errors import IndexCorruptError
from .segments import Layout
from .sentences import PassageSentences, SentenceStore


class SentenceSegments:
    """Passage row r's sentences are those of its slot, in the segment holding that slot."""

    def __init__(self, parts: Sequence[SentenceStore], layout: Layout) -> None:
        if sum(len(p) for p in parts) != layout.slots:
            raise IndexCorruptError(f"sentence segments hold {sum(len(p) for p in parts)} passages for "
                                    f"{layout.slots} slots")
        self.parts = list(parts)
        self.layout = layout
        self.starts = np.cumsum([0] + [len(p) for p in parts])
        self._idf: dict[str, float] | None = None

    def __len__(self) -> int:
        """Number of passages."""
        return self.layout.rows

    def _at(self, row: int) -> tuple[SentenceStore, int]:
        slot = int(self.layout.row_slot[row])
        p = int(np.searchsorted(self.starts, slot, side="right") - 1)
        return self.parts[p], slot - int(self.starts[p])

    def lookup(self, row: int) -> PassageSentences:
        """The sentences of passage `row`."""
        part, local = self._at(row)
        return part.lookup(local)

    @cached_property
    def _merged(self) -> SentenceStore:
        return merge([self.parts], self.layout)

    @property
    def specs(self) -> set[str]:
        return set.intersection(*(set(p.vectors) for p in self.parts)) if self.parts else set()

    @property
    def vectors(self) -> Mapping[str, np.ndarray]:
        """Every sentence's vectors by spec in row order; `spec in vectors` is cheap, reading one merges the
        segments (for tools and tests)."""
        return _Vectors(self)

    @property
    def keys(self) -> list[str]:
        return self._merged.keys

    def idf(self, term: str) -> float:
        """BM25's idf of a term over the distinct sentences of the live passages (0 for a term none holds)."""
        if self._idf is None:
            distinct: dict[str, frozenset[str]] = {}
            for row in range(self.layout.rows):
                part, local = self._at(row)
                a, b = int(part.ptr[local]), int(part.ptr[local + 1])
                for k, t in zip(part.keys[a:b], part.terms[a:b]):
                    distinct.setdefault(k, t)
            df = Counter(term for t in distinct.values() for term in t)
            n = len(distinct)
            self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        return self._idf.get(term, 0.0)

    @property
    def sentence_count(self) -> int:
        return sum(int(p.ptr[-1]) for p in self.parts)

    def save(self, path) -> None:
        self._merged.save(path)

    def as_previous(self) -> SentenceStore:
        """Every segment as one store (dead slots included), what a merging build reuses sentences from."""
        return merge([self.parts], None)


class _Vectors(Mapping):
    def __init__(self, store: SentenceSegments) -> None:
        self._store = store

    def __contains__(self, spec: object) -> bool:
        return spec in self._store.specs

    def __getitem__(self, spec: str) -> np.ndarray:
        return self._store._merged.vectors[spec]

    def __iter__(self):
        return iter(sorted(self._store.specs))

    def __len__(self) -> int:
        return len(self._store.specs)


def merge(groups: Sequence[Sequence[SentenceStore]], layout: Layout | None) -> SentenceStore:
    """One store of the segments' passages: in row order under `layout`, else every slot in order."""
    parts = [p for g in groups for p in g]
    specs = sorted(set.intersection(*(set(p.vectors) for p in parts))) if parts else []
    starts = np.cumsum([0] + [len(p) for p in parts])
    slots = layout.row_slot if layout is not None else np.arange(int(starts[-1]))
    ptr, spans, keys, terms, kinds, vecs = [0], [], [], [], [], {s: [] for s in specs}
    for slot in slots.tolist():
        p = int(np.searchsorted(starts, slot, side="right") - 1)
        part, local = parts[p], slot - int(starts[p])
        a, b = int(part.ptr[local]), int(part.ptr[local + 1])
        spans.append(part.spans[a:b])
        keys += part.keys[a:b]
        terms += part._raw_terms[a:b]
        kinds.append(part.kinds[a:b])
        for s in specs:
            vecs[s].append(part.vectors[s][a:b])
        ptr.append(ptr[-1] + b - a)
    first = parts[0] if parts else None
    width = {s: parts[0].vectors[s].shape[1] for s in specs}
    return SentenceStore(np.asarray(ptr, np.int64),
                         np.concatenate(spans).reshape(-1, 2) if spans else np.zeros((0, 2), np.int32), keys, terms,
                         np.concatenate(kinds) if kinds else np.zeros(0, np.uint8),
                         {s: np.concatenate(v) if v else np.zeros((0, width[s]), np.float32) for s, v in vecs.items()},
                         {s: first.fingerprints[s] for s in specs} if first else {},
                         first.features_id if first else "")
