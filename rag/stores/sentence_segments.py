"""The sentence store in segments (rag/stores/segments.py): one SentenceStore per segment over its slots, so an
incremental build splits, encodes and writes only the new passages' sentences and shares the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

import numpy as np

from ..errors import IndexCorruptError
from .segments import Layout
from .sentences import Frequencies, PassageSentences, SentenceStore


class SentenceSegments:
    """Passage row r's sentences are those of its slot, in the segment holding that slot."""

    def __init__(self, parts: Sequence[SentenceStore], layout: Layout) -> None:
        if sum(len(p) for p in parts) != layout.slots:
            raise IndexCorruptError(f"sentence segments hold {sum(len(p) for p in parts)} passages for "
                                    f"{layout.slots} slots")
        self.parts = list(parts)
        self.layout = layout
        self.starts = np.cumsum([0] + [len(p) for p in parts])
        self._df: Frequencies | None = None

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

    def terms_within(self, rows: np.ndarray) -> frozenset[str]:
        """Every term the sentences of passage `rows` hold, from the segments that hold their slots."""
        slots = np.asarray(self.layout.row_slot)[np.asarray(rows, np.int64)]
        part = np.searchsorted(self.starts, slots, side="right") - 1
        return frozenset().union(*(self.parts[p].terms_within(slots[part == p] - self.starts[p])
                                   for p in np.unique(part).tolist()))

    def frequencies(self) -> Frequencies:
        """How many distinct sentences of the live passages hold each term, counted once, when first asked."""
        if self._df is None:
            picks = []
            for p, part in enumerate(self.parts):
                slots = self.layout.row_slot[(self.layout.row_slot >= self.starts[p]) & (self.layout.row_slot < self.starts[p + 1])]
                picks.append((part, part.distinct_of(slots - self.starts[p])))
            self._df = Frequencies.of(picks)
        return self._df

    def idf(self, term: str) -> float:
        """BM25's idf of a term over the distinct sentences of the live passages (0 for a term none holds)."""
        return self.frequencies().idf(term)

    @property
    def sentence_count(self) -> int:
        return sum(int(p.ptr[-1]) for p in self.parts)

    def save(self, path) -> None:
        self._merged.save(path)

    def as_previous(self) -> list[SentenceStore]:
        """Every segment's store (dead slots included), what a merging build reuses sentences from."""
        return list(self.parts)


class _Vectors(Mapping):
    def __init__(self, store: SentenceSegments) -> None:
        self._store = store

    def __contains__(self, spec: object) -> bool:
        return spec in self._store.specs

    def __getitem__(self, spec: str) -> np.ndarray:
        merged = self._store._merged
        return np.asarray(merged.vectors[spec])[np.asarray(merged.dist)]

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
    ptr, spans, dist, at = [0], [], [], {}
    keys, texts, kinds, term_ptr, term_ids, vecs, vocab = [], [], [], [0], [], {s: [] for s in specs}, {}
    for slot in slots.tolist():
        p = int(np.searchsorted(starts, slot, side="right") - 1)
        part, local = parts[p], slot - int(starts[p])
        a, b = int(part.ptr[local]), int(part.ptr[local + 1])
        spans.append(np.asarray(part.spans[a:b]))
        for d in np.asarray(part.dist[a:b]).tolist():
            key = bytes(part.key_array[d])
            if key not in at:
                at[key] = len(keys)
                keys.append(key)
                texts.append(bytes(part.text_keys[d]))
                kinds.append(int(part.distinct_kinds[d]))
                term_ids += [vocab.setdefault(t, len(vocab)) for t in part.terms_of(d)]
                term_ptr.append(len(term_ids))
                for s in specs:
                    vecs[s].append(np.asarray(part.vectors[s][d]))
            dist.append(at[key])
        ptr.append(ptr[-1] + b - a)
    first = parts[0] if parts else None
    width = {s: parts[0].vectors[s].shape[1] for s in specs}
    return SentenceStore(np.asarray(ptr, np.int64),
                         np.concatenate(spans).reshape(-1, 2) if spans else np.zeros((0, 2), np.int32),
                         np.asarray(dist, np.int32), np.array(keys, dtype="S20"), np.asarray(kinds, np.uint8),
                         np.asarray(term_ptr, np.int64), np.asarray(term_ids, np.int32), list(vocab),
                         {s: np.stack(v) if v else np.zeros((0, width[s]), np.float32) for s, v in vecs.items()},
                         {s: first.fingerprints[s] for s in specs} if first else {},
                         first.features_id if first else "", np.array(texts, dtype="S20"))
