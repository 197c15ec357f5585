"""Segments: storage slots that an incremental build only appends to, so adding or removing a document rewrites
nothing that is already stored.

Every per-passage store (dense vectors, sparse rows, BM25 term frequencies, sentences) keeps its data by *slot*.
A slot is written once, in the segment of the build that first indexed its passage, and its files are hard-linked
into every later build directory (an immutable file shared by builds, like a Lucene segment). `slot_row` maps each
slot to the passage row it holds in this build (rows stay in the order a full build gives them, so rankings and
their tie-breaks are a full build's); a removed passage's slot maps to -1 and is skipped when ranking.

Merges are tiered. The first segment is the base (a full build's, holding nearly every passage, with the trained
approximate indexes over it); the segments after it are deltas. A build that would leave more than MAX_SEGMENTS
segments merges the newest deltas (those of like size, `merge_from`) into its fresh segment, so the base, the
older deltas and their files stay shared: at a million passages that merge costs seconds, where rewriting every
slot (FAISS training included) cost minutes. Too many dead slots merge every delta; only a base that would stay
that dead, or deltas outgrowing the base, rewrite every slot in row order. A merged segment's data is reused by
key, as a fresh segment's is.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError

logger = logging.getLogger(__name__)
LAYOUT_FILE = "layout.npy"
SEG_DIR = "seg"
MAX_SEGMENTS = 8  # a build that would leave more than this many segments merges the deltas into one
MAX_DEAD = 0.2  # a build that would leave more than this share of slots dead merges (see merge_kind)
MERGE_RATIO = 2  # a merge of the newest deltas takes an older one holding at most this many times their passages


@dataclass(frozen=True, slots=True)
class Segment:
    """Slots start..end-1, written by the build named `name` (its files live under seg/<name>/)."""

    name: str
    start: int
    end: int

    def path(self, file: str) -> str:
        return f"{SEG_DIR}/{self.name}/{file}"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "start": self.start, "end": self.end}

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Segment:
        return cls(str(row["name"]), int(row["start"]), int(row["end"]))


class Layout:
    """Slot → passage row (-1: removed) and the segments covering the slots; `fresh` is the segment this build
    writes (None when it appends nothing), `merged` whether it holds passages of earlier segments (a merge) rather
    than only new ones, and `stable` how many leading slots hold what the previous build's same slots held (the
    rest are this build's: 0 for a full build or a full merge)."""

    def __init__(self, slot_row: np.ndarray, segments: Sequence[Segment], fresh: str | None = None,
                 merged: bool = False, stable: int = 0) -> None:
        self.slot_row = np.asarray(slot_row, np.int64)
        self.segments = tuple(segments)
        self.fresh = fresh
        self.merged = merged
        self.stable = stable
        n_slots = self.slot_row.shape[0]
        if (self.segments and (self.segments[0].start != 0 or self.segments[-1].end != n_slots)) or any(
                a.end != b.start for a, b in zip(self.segments, self.segments[1:])) or (n_slots and not self.segments):
            raise IndexCorruptError(f"layout: segments {[s.as_json() for s in self.segments]} do not cover {n_slots} slots")
        live = np.flatnonzero(self.slot_row >= 0)
        rows = self.slot_row[live]
        self.rows = int(live.size)
        # one-to-one: every row in range, none twice (a count per row; np.unique sorted a million rows, ~0.5 s)
        if rows.size and (rows.min() < 0 or rows.max() >= self.rows
                          or np.bincount(rows, minlength=self.rows).max() > 1):
            raise IndexCorruptError("layout: live slots do not map one-to-one onto the passage rows")
        self.row_slot = np.empty(self.rows, np.int64)
        self.row_slot[rows] = live

    @property
    def slots(self) -> int:
        return int(self.slot_row.shape[0])

    @classmethod
    def identity(cls, n: int, name: str) -> Layout:
        """One segment holding every row in order (a full build, or a merge)."""
        return cls(np.arange(n), [Segment(name, 0, n)] if n else [], name if n else None, merged=True)

    def not_kept(self, was: Layout) -> np.ndarray:
        """Per slot of the previous layout `was`: it held a passage that this layout no longer keeps in that slot
        (removed, or merged into the fresh segment with every slot after the stable ones)."""
        gone = was.slot_row >= 0
        stable = min(was.slots, self.stable)
        gone[:stable] &= self.slot_row[:stable] < 0
        return gone

    def segment_rows(self, seg: Segment) -> np.ndarray:
        """The passage row of each slot of `seg` (-1 for a removed passage)."""
        return self.slot_row[seg.start : seg.end]

    def save(self, path: Path) -> None:
        np.save(path, self.slot_row, allow_pickle=False)

    def segments_json(self) -> list[dict[str, Any]]:
        return [s.as_json() for s in self.segments]

    @classmethod
    def load(cls, build_dir: Path, segments: Sequence[Mapping[str, Any]]) -> Layout:
        try:
            slot_row = np.load(build_dir / LAYOUT_FILE, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"{LAYOUT_FILE} cannot be read: {exc}") from None
        return cls(slot_row, [Segment.from_json(s) for s in segments])


def plan_layout(previous: Layout | None, previous_keys: Sequence[str] | np.ndarray, keys: Sequence[str] | np.ndarray,
                name: str) -> Layout:
    """The slots of a build whose passage rows have `keys`: a passage the previous build holds keeps its slot, a new
    one gets a slot in a fresh segment `name`, a removed one leaves its slot dead; merged (see `merge_kind`) when that
    leaves too many segments or dead slots, or there is no previous layout. A key held by several slots or rows pairs
    its first live slot with its first row; its other rows get fresh slots. Keys are matched as arrays (sorted, then
    searched): at a million passages a loop over them was ~2 s of a one-document update."""
    if previous is None or not previous.segments:
        return Layout.identity(len(keys), name)
    old_keys, new_keys = _key_array(previous_keys), _key_array(keys)
    live = np.flatnonzero(previous.slot_row >= 0)
    held, first_slot = np.unique(old_keys[previous.slot_row[live]], return_index=True)  # live is ascending
    first_slot = live[first_slot]
    wanted, first_row = np.unique(new_keys, return_index=True)
    at = np.minimum(np.searchsorted(held, wanted), max(held.size - 1, 0))
    found = held[at] == wanted if held.size else np.zeros(wanted.size, bool)
    slot_row = np.full(previous.slots, -1, np.int64)
    slot_row[first_slot[at[found]]] = first_row[found]
    kept = np.zeros(len(new_keys), bool)
    kept[first_row[found]] = True
    appended = np.flatnonzero(~kept)
    total = previous.slots + appended.size
    segments = list(previous.segments)
    if appended.size:
        segments.append(Segment(name, previous.slots, total))
    base = previous.segments[0].end
    deltas = int((slot_row[base:] >= 0).sum()) + appended.size  # the live passages after the base
    dead = total - len(new_keys)
    merge = merge_kind(len(segments), total, dead, base, int((slot_row[:base] < 0).sum()), deltas)
    if merge == "all":
        logger.info("merging %d segments (%d of %d slots dead) into one", len(segments), dead, total)
        return Layout.identity(len(new_keys), name)
    if merge == "deltas":
        live = [int((slot_row[s.start : s.end] >= 0).sum()) for s in previous.segments] + [appended.size]
        # too many dead slots: every delta merges (dropping its dead slots); too many segments: the newest ones
        first = 1 if total and dead / total > MAX_DEAD else merge_from(live[: len(segments)])
        start = segments[first].start
        tail = np.concatenate([slot_row[start:][slot_row[start:] >= 0], appended])
        logger.info("merging %d delta segments (%d passages) into one; the %d slots before them stay",
                    len(segments) - first, tail.size, start)
        tail.sort()  # in row order, as a full build would write them
        merged = [Segment(name, start, start + tail.size)] if tail.size else []  # every merged passage may be gone
        return Layout(np.concatenate([slot_row[:start], tail]), [*segments[:first], *merged],
                      name if tail.size else None, merged=True, stable=start)
    slot_row = np.concatenate([slot_row, appended.astype(np.int64)])
    return Layout(slot_row, segments, name if appended.size else None, stable=previous.slots)


def merge_from(live: Sequence[int]) -> int:
    """The first segment a merge of too many segments takes (never the base, 0), given each segment's live passages
    (the newest last): from the newest back, every delta it must take to leave MAX_SEGMENTS segments, and every
    older one holding at most MERGE_RATIO times what is gathered so far. So deltas of like size merge, a large older
    one stays until the newer ones add up to it, and a passage is rewritten about log(deltas) times in all, not at
    every merge (simulated over 5,000 one-document adds at 1M: 2.4 M passages rewritten in all, against 134 M when
    every merge took all the deltas)."""
    k = len(live) - 1
    gathered = live[k]
    while k > 1 and (k > MAX_SEGMENTS - 1 or live[k - 1] <= MERGE_RATIO * gathered):
        gathered += live[k - 1]
        k -= 1
    return max(k, 1)


def merge_kind(segments: int, total: int, dead: int, base: int, base_dead: int, tail: int) -> str:
    """How a build whose plan leaves `segments` segments over `total` slots (`dead` of them dead; the base segment's
    `base` slots, `base_dead` of them dead, then `tail` live items in the deltas) merges: "none" while there are at
    most MAX_SEGMENTS segments and at most MAX_DEAD of the slots are dead; else "deltas", which drops the deltas'
    dead slots, unless the base itself would stay more than MAX_DEAD dead or the deltas outgrew the base: then "all"
    (so the base's trained indexes are made again for the new size). Term segments (the alignment) follow the same
    rule."""
    if segments <= MAX_SEGMENTS and not (total and dead / total > MAX_DEAD):
        return "none"
    if tail > base or (base + tail and base_dead / (base + tail) > MAX_DEAD):
        return "all"
    return "deltas"


def _key_array(keys: Sequence[str] | np.ndarray) -> np.ndarray:
    """Keys as one fixed-width bytes array (a build's columns already hold them so; a list of str is encoded)."""
    arr = np.asarray(keys)
    if arr.dtype.kind == "S":
        return arr
    return np.array([str(k).encode("utf-8") for k in keys], dtype=bytes) if len(keys) else np.zeros(0, "S1")


def carried(layout: Layout, previous_params: Mapping[str, Any] | None) -> bool:
    """Whether a component's previous segments kept by this build can be hard-linked as they are: the previous
    build wrote them (every segment but this build's fresh one, or after a delta merge the base) with the same
    parameters. After a merge the fresh segment still reads the merged passages' data by key."""
    if previous_params is None or (layout.merged and layout.stable == 0):
        return False
    before = [Segment.from_json(s) for s in previous_params.get("segments", ())]
    kept = [s for s in layout.segments if s.name != layout.fresh]
    return before[: len(kept)] == kept if layout.merged else before == kept


def reads_previous(layout: Layout, carry: bool) -> bool:
    """Whether this build's fresh segment (or, not carried, every segment) takes data from the previous build by
    key: always, except a fresh segment of only new passages beside carried ones."""
    return not carry or layout.merged


def link(previous_dir: Path, out: Path, rel: str) -> None:
    """Share an immutable file of the previous build (a hard link; a copy where links are impossible)."""
    target = out / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(previous_dir / rel, target)
    except OSError:
        import shutil

        shutil.copy2(previous_dir / rel, target)


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
