"""Slot layouts of incremental builds (rag/stores/segments.py): passages keep their slots, new ones are appended in
one fresh segment, removed ones leave dead slots, and too many dead slots or segments merge."""

from __future__ import annotations

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.stores.segments import MAX_SEGMENTS, Layout, Segment, plan_layout


def test_a_full_build_is_one_segment_in_row_order() -> None:
    layout = plan_layout(None, [], ["a", "b", "c"], "b1")
    assert layout.slot_row.tolist() == [0, 1, 2] and layout.segments == (Segment("b1", 0, 3),) and layout.merged


def test_kept_passages_keep_their_slots_and_new_ones_are_appended_in_a_fresh_segment() -> None:
    before = Layout.identity(10, "b1")
    keys = [f"k{i}" for i in range(10)]
    # k3 removed; "new" inserted before k5 in row order (rows shift, slots do not)
    now = keys[:3] + keys[4:5] + ["new"] + keys[5:]
    layout = plan_layout(before, keys, now, "b2")
    assert layout.segments == (Segment("b1", 0, 10), Segment("b2", 10, 11)) and layout.fresh == "b2"
    assert layout.slot_row[3] == -1  # k3's slot is dead
    assert [now[r] for r in layout.slot_row[[0, 4, 9, 10]]] == ["k0", "k4", "k9", "new"]
    assert layout.rows == len(now) and np.array_equal(layout.slot_row[layout.row_slot], np.arange(len(now)))


def test_a_build_that_changes_nothing_appends_no_segment() -> None:
    keys = ["a", "b"]
    layout = plan_layout(Layout.identity(2, "b1"), keys, keys, "b2")
    assert layout.segments == (Segment("b1", 0, 2),) and layout.fresh is None and not layout.merged


def test_too_many_dead_slots_or_segments_merge_into_one_fresh_segment() -> None:
    keys = [f"k{i}" for i in range(10)]
    merged = plan_layout(Layout.identity(10, "b1"), keys, keys[:7], "b2")  # 3 of 10 dead > 20 %
    assert merged.merged and merged.segments == (Segment("b2", 0, 7),)
    layout, seen = Layout.identity(1, "s0"), ["k0"]
    for i in range(1, MAX_SEGMENTS + 1):
        layout = plan_layout(layout, seen, seen + [f"k{i}"], f"s{i}")
        seen = seen + [f"k{i}"]
    assert layout.merged and len(layout.segments) == 1


def test_a_layout_whose_segments_do_not_cover_its_slots_is_refused() -> None:
    with pytest.raises(IndexCorruptError):
        Layout(np.arange(3), [Segment("a", 0, 2)])
