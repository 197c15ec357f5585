"""Rank fusion and de-duplication (rag/retrieval/fusion.py) on small cases worked out by hand."""

from __future__ import annotations

import pytest

from rag.retrieval.fusion import diversify, rrf, weighted_sum
from rag.types import Passage


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = rrf({"a": [10, 20, 30], "b": [30, 10]}, {"a": 1.0, "b": 0.5}, k=60)
    # row 10: a rank 1, b rank 2 → 1/61 + 0.5/62 = 0.0163934 + 0.0080645 = 0.0244579
    # row 20: a rank 2            → 1/62          = 0.0161290
    # row 30: a rank 3, b rank 1 → 1/63 + 0.5/61 = 0.0158730 + 0.0081967 = 0.0240697
    assert fused == pytest.approx({10: 1 / 61 + 0.5 / 62, 20: 1 / 62, 30: 1 / 63 + 0.5 / 61})
    assert sorted(fused, key=lambda r: -fused[r]) == [10, 30, 20]


def test_rrf_ignores_rankings_with_zero_weight_and_defaults_missing_weights_to_1() -> None:
    fused = rrf({"a": [1, 2], "bm25": [2], "c": [3]}, {"a": 1.0, "bm25": 0.0}, k=1)
    # k=1: row 1 = 1/(1+1) = 0.5; row 2 = 1/(1+2) = 0.3333 (bm25 weight 0 adds nothing); row 3 = c (weight 1) 1/2 = 0.5
    assert fused == pytest.approx({1: 0.5, 2: 1 / 3, 3: 0.5})


def test_weighted_sum_adds_min_max_normalised_scores() -> None:
    fused = weighted_sum({"a": {1: 2.0, 2: 1.0, 3: 0.0}, "b": {1: 10.0, 3: 20.0}}, {"a": 1.0, "b": 2.0})
    # a: min 0, max 2 → row1 1.0, row2 0.5, row3 0.0
    # b: min 10, max 20 → row1 0.0, row3 1.0; weight 2
    # row1 = 1.0 + 2*0.0 = 1.0; row2 = 0.5 (absent from b); row3 = 0.0 + 2*1.0 = 2.0
    assert fused == pytest.approx({1: 1.0, 2: 0.5, 3: 2.0})


def test_weighted_sum_skips_zero_weight_and_empty_rankings() -> None:
    fused = weighted_sum({"a": {1: 0.9, 2: 0.1}, "bm25": {2: 50.0, 3: 1.0}, "c": {}}, {"a": 1.0, "bm25": 0.0})
    # a: row1 (0.9-0.1)/0.8 = 1.0, row2 0.0; bm25 weight 0 skipped entirely, so row 3 never appears
    assert fused == pytest.approx({1: 1.0, 2: 0.0})


def test_weighted_sum_credits_a_lone_hit_more_than_absence() -> None:
    fused = weighted_sum({"dense": {1: 0.8, 2: 0.6}, "bm25": {2: 7.5}}, {"dense": 1.0, "bm25": 1.0})
    # dense: row1 1.0, row2 0.0. bm25 found only row 2: its best (and only) hit should count (as 1.0, giving a
    # 1.0–1.0 tie with row 1) rather than 0.0, which is what a row missing from bm25 gets.
    assert fused[2] > 0.0


def _p(doc: str, start: int, end: int, text: str | None = None) -> Passage:
    # distinct texts by default, so only the span rule can drop a passage
    seed = start * 7 + sum(map(ord, doc)) * 1009
    text = text if text is not None else "".join(chr(0x4E00 + (seed + i) % 20000) for i in range(end - start))
    return Passage(f"{doc}#{start}-{end}", doc, 0, "t", start, end, text, end - start)


def test_diversify_drops_a_passage_overlapping_a_kept_one_by_more_than_half() -> None:
    passages = [_p("d", 0, 100), _p("d", 40, 140), _p("d", 90, 190), _p("e", 0, 100)]
    # row1 [40,140) ∩ row0 [0,100) = 60 chars > 0.5 * min(100, 100) = 50 → dropped
    # row2 [90,190) ∩ row0 = 10 chars → kept; row3 is another document → kept
    assert diversify([0, 1, 2, 3], passages, limit=10) == [0, 2, 3]


def test_diversify_keeps_an_overlap_of_exactly_half() -> None:
    passages = [_p("d", 0, 100), _p("d", 50, 150)]
    # overlap 50 is not more than 0.5 * 100 = 50 → kept
    assert diversify([0, 1], passages, limit=10) == [0, 1]


def test_diversify_measures_overlap_against_the_shorter_passage() -> None:
    passages = [_p("d", 0, 200), _p("d", 150, 210)]
    # overlap [150,200) = 50 > 0.5 * min(200, 60) = 30 → dropped
    assert diversify([0, 1], passages, limit=10) == [0]


def test_diversify_drops_near_identical_text_from_another_document() -> None:
    text = "ラブロフ外相は中国との真の同盟関係の構築について議論すべきだと述べた。"
    passages = [_p("d", 0, len(text), text), _p("e", 500, 500 + len(text), text), _p("f", 0, 30)]
    assert diversify([0, 1, 2], passages, limit=10) == [0, 2]


def test_diversify_preserves_order_and_stops_at_the_limit() -> None:
    passages = [_p("d", i * 100, i * 100 + 90) for i in range(6)]
    assert diversify([5, 3, 1, 0, 2, 4], passages, limit=3) == [5, 3, 1]
