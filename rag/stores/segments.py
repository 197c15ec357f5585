"""Segments: storage slots that an incremental build only appends to, so adding or removing a document rewrites
nothing that is already stored.

Every per-passage store (dense vectors, sparse rows, BM25 term frequencies, sentences) keeps its data by *slot*.
A slot is written once, in the segment of the build that first indexed its passage, and its files are hard-linked
into every later build directory (an immutable file shared by builds, like a Lucene segment). `slot_row` maps each
slot to the passage row it holds in this build (rows stay in the order a full build gives them, so rankings and
their tie-breaks are a full build's); a removed passage's slot maps to -1 and is skipped when ranking. A build that
would leave too many dead slots or segments merges them: it writes one fresh segment in row order (data reused by key).
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
MAX_SEGMENTS = 8  # more than this many segments are merged into one
MAX_DEAD = 0.2  # a build that would leave more than this share of slots dead merges instead


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
    writes (None when it appends nothing), `merged` whether it rewrote every slot."""

    def __init__(self, slot_row: np.ndarray, segments: Sequence[Segment], fresh: str | None = None,
                 merged: bool = False) -> None:
        self.slot_row = np.asarray(slot_row, np.int64)
        self.segments = tuple(segments)
        self.fresh = fresh
        self.merged = merged
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
    one gets a slot in a fresh segment `name`, a removed one leaves its slot dead; merged when that leaves too many
    dead slots or segments (or there is no previous layout). A key held by several slots or rows pairs its first
    live slot with its first row; its other rows get fresh slots. Keys are matched as arrays (sorted, then searched):
    at a million passages a loop over them was ~2 s of a one-document update."""
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
    dead = total - len(new_keys)
    segments = list(previous.segments)
    if appended.size:
        segments.append(Segment(name, previous.slots, total))
    if len(segments) > MAX_SEGMENTS or (total and dead / total > MAX_DEAD):
        logger.info("merging %d segments (%d of %d slots dead) into one", len(segments), dead, total)
        return Layout.identity(len(new_keys), name)
    slot_row = np.concatenate([slot_row, appended.astype(np.int64)])
    return Layout(slot_row, segments, name if appended.size else None)


def _key_array(keys: Sequence[str] | np.ndarray) -> np.ndarray:
    """Keys as one fixed-width bytes array (a build's columns already hold them so; a list of str is encoded)."""
    arr = np.asarray(keys)
    if arr.dtype.kind == "S":
        return arr
    return np.array([str(k).encode("utf-8") for k in keys], dtype=bytes) if len(keys) else np.zeros(0, "S1")


def carried(layout: Layout, previous_params: Mapping[str, Any] | None) -> bool:
    """Whether a component's previous segments can be hard-linked as they are: the previous build wrote the same
    segments (all but this build's fresh one) with the same parameters."""
    if previous_params is None or layout.merged:
        return False
    before = [Segment.from_json(s) for s in previous_params.get("segments", ())]
    kept = [s for s in layout.segments if s.name != layout.fresh]
    return before == kept


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
