"""The sparse head at scale: ranking from the highest-impact postings (rag/stores/sparse.py, `top_impact`) returns
exact scores, equals the exact ranking when its budget covers every posting, and stays close to it on a small one.
Run on the seeds' real sparse rows, with the size threshold lowered so that the approximate path is taken."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.stores import sparse as sparse_mod
from rag.stores.ranking import Ranking
from rag.stores.segments import Layout, Segment
from rag.stores.sparse import SparseSegments, SparseStore

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = ["What did Lavrov say about an alliance with China?", "ラヴロフ外相は中国との同盟について何と言ったか",
             "How many drones were shot down?", "北朝鮮はサイバー攻撃で暗号資産を盗んだ", "原油価格の見通し"]


@pytest.fixture(scope="module")
def impact_store(searcher) -> SparseSegments:
    """The index's sparse rows in two impact-ordered segments, with a few removed passages."""
    base = searcher.index.sparse["e5"]
    rows = [base.row(r) for r in range(len(base))]
    half = len(rows) // 2
    parts = [SparseStore.build(rows[:half], base.dim), SparseStore.build(rows[half:], base.dim)]
    slot_row = np.arange(len(rows))
    slot_row[[3, half + 5]] = -1  # two dead slots: the rest keep their order
    slot_row[slot_row >= 0] = np.arange(int((slot_row >= 0).sum()))
    layout = Layout(slot_row, [Segment("a", 0, half), Segment("b", half, len(rows))])
    return SparseSegments(parts, layout, base.dim)


@pytest.fixture(scope="module")
def queries(embedders):
    return embedders["e5"].encode_sparse(QUESTIONS)


def touched(store: SparseSegments, query) -> int:
    return sum(p.touched(np.asarray(query[0], np.int64)) for p in store.parts)


def test_a_budget_covering_every_posting_ranks_exactly(impact_store, queries) -> None:
    for q in queries:
        exact = Ranking.top(impact_store.scores(q), 20)
        got = impact_store.top_impact(q, 20, None, touched(impact_store, q), len(impact_store))
        assert np.array_equal(got.rows, exact.rows) and np.array_equal(got.scores, exact.scores)


@pytest.fixture(scope="module")
def team_queries(embedders):
    lines = (REPO / "eval/questions/team.jsonl").read_text(encoding="utf-8").splitlines()
    return embedders["e5"].encode_sparse(list(dict.fromkeys(json.loads(line)["question"] for line in lines)))


def test_a_small_budget_returns_exact_scores_and_keeps_most_of_the_top(impact_store, team_queries) -> None:
    # over the team's 72 questions (five questions averaged 0.80 exactly, and 0.78 once e5's kernel rounded
    # differently; the 72 average 0.85-0.86 with either)
    overlap = []
    for q in team_queries:
        full = impact_store.scores(q)
        exact = Ranking.top(full, 10)
        got = impact_store.top_impact(q, 10, None, touched(impact_store, q) // 5, 40)
        assert len(got.rows) == 10 and np.array_equal(got.scores, full[got.rows])  # scores exact, bit for bit
        assert np.all(np.diff(got.scores) <= 0)
        overlap.append(len(set(got.rows.tolist()) & set(exact.rows.tolist())) / 10)
    assert np.mean(overlap) >= 0.8, overlap  # a fifth of the postings; the benchmark's budget reads far more


def test_the_allowed_rows_are_respected(impact_store, queries) -> None:
    allowed = np.arange(0, len(impact_store), 3)
    for q in queries:
        full = impact_store.scores(q)
        small = impact_store.top_impact(q, 10, allowed, touched(impact_store, q) // 2, 40)
        assert set(small.rows.tolist()) <= set(allowed.tolist()) and np.array_equal(small.scores, full[small.rows])
        every = impact_store.top_impact(q, 10, allowed, touched(impact_store, q), len(impact_store))
        assert np.array_equal(every.rows, Ranking.top(full, 10, allowed).rows)


def test_top_takes_the_impact_path_only_above_the_threshold_and_for_impact_ordered_stores(
        impact_store, queries, monkeypatch, tmp_path: Path) -> None:
    q = queries[0]
    calls = []
    original = SparseSegments.top_impact
    monkeypatch.setattr(SparseSegments, "top_impact", lambda self, *a: calls.append(a) or original(self, *a))
    impact_store.top(q, 10)
    assert calls == []  # the seeds are far below EXACT_POSTINGS
    monkeypatch.setattr(sparse_mod, "EXACT_POSTINGS", 0)
    monkeypatch.setattr(sparse_mod, "BUDGET_POSTINGS", 10**9)
    assert np.array_equal(impact_store.top(q, 10).rows, Ranking.top(impact_store.scores(q), 10).rows)
    assert len(calls) == 1
    # a store saved before impact order (its `dim` file holds only the width) is always ranked exactly
    part = impact_store.parts[0]
    part.save(tmp_path / "s")
    (tmp_path / "s" / "dim").write_text(str(part.dim))
    old = SparseStore.load(tmp_path / "s")
    assert not old.impact and SparseStore.load(tmp_path / "s").row(0)[0].size
    part.save(tmp_path / "t")
    assert SparseStore.load(tmp_path / "t").impact
    legacy = SparseSegments([old], Layout.identity(len(old), "x"), old.dim)
    legacy.top(q, 10)
    assert len(calls) == 1


def test_postings_sort_by_feature_then_activation_descending_then_row() -> None:
    """The packed 64-bit key sorts as the three keys would, negative activations included."""
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 30, 2000)
    row_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    feat = rng.integers(0, 50, row_ptr[-1]).astype(np.int32)
    val = np.round(rng.normal(0.5, 1, row_ptr[-1]), 1).astype(np.float16)  # as stored: ties are common
    val[val == 0] = 0.25  # a store keeps no zeros
    got = sparse_mod._with_postings(row_ptr, feat, val, 50)
    row_of = np.repeat(np.arange(2000), sizes)
    want = np.lexsort((row_of, -val, feat))
    assert np.array_equal(got["post_row"], row_of[want]) and np.array_equal(got["post_val"], val[want])


def test_a_segment_written_before_float16_ranks_beside_a_new_one_exactly_as_it(impact_store, queries) -> None:
    """A store written before holds float32 activations and int32 features; the kernels read either. The same
    activations in both forms give the same scores bit for bit, on every path: all postings, the impact prefix and
    the exact re-scoring of rows."""
    new = impact_store.parts[0]
    assert new.row_val.dtype == np.float16 and new.row_feat.dtype == np.uint16 and new.post_val.dtype == np.float16
    wide = {name: getattr(new, name) for name in ("row_ptr", "post_ptr", "post_row")}
    wide.update(row_feat=new.row_feat.astype(np.int32), row_val=new.row_val.astype(np.float32),
                post_val=new.post_val.astype(np.float32))
    mixed = SparseSegments([SparseStore(wide, new.dim), impact_store.parts[1]], impact_store.layout, new.dim)
    for q in queries:
        assert np.array_equal(mixed.scores(q), impact_store.scores(q))
        for budget in (touched(impact_store, q), touched(impact_store, q) // 5):
            a = mixed.top_impact(q, 10, None, budget, 40)
            b = impact_store.top_impact(q, 10, None, budget, 40)
            assert np.array_equal(a.rows, b.rows) and np.array_equal(a.scores, b.scores)
