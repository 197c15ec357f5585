"""BM25 at scale: a question whose groups hold many postings is ranked by bounding its most frequent groups
(rag/stores/bm25.py, `_top_bounded`), and the ranking must be exactly the one every posting gives: the same rows, the
same float32 scores, ties to the lower row. Checked on a Zipf corpus in two segments with removed passages (where the
bound prunes), and on the seeds' index through the searcher with the threshold lowered."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.stores import bm25 as bm25_mod
from rag.stores.bm25 import BM25Store, TermSegment, count_terms, term_ids
from rag.stores.ranking import Ranking
from rag.stores.segments import Layout, Segment

TEAM = Path(__file__).resolve().parents[2] / "eval" / "questions" / "team.jsonl"


@pytest.fixture(scope="module")
def zipf_store() -> BM25Store:
    """4,000 passages of Zipf-drawn terms (a few terms in most passages, a long tail), in two segments, three of
    their slots removed."""
    rng = np.random.default_rng(7)
    vocab_size = 3000
    p = 1.0 / np.arange(1, vocab_size + 1) ** 1.05
    p /= p.sum()
    corpus = [[f"t{w}" for w in rng.choice(vocab_size, int(rng.integers(5, 80)), p=p)] for _ in range(4000)]
    vocab: list[str] = []
    ids: dict[str, int] = {}
    rows = [count_terms(t, ids, vocab) for t in corpus]
    seqs = [term_ids(t, ids) for t in corpus]
    half = len(rows) // 2
    parts = [TermSegment.build(rows[:half], len(vocab), seqs[:half]),
             TermSegment.build(rows[half:], len(vocab), seqs[half:])]
    slot_row = np.arange(len(rows))
    slot_row[[10, 11, half + 3]] = -1
    slot_row[slot_row >= 0] = np.arange(int((slot_row >= 0).sum()))
    return BM25Store(vocab, parts, Layout(slot_row, [Segment("a", 0, half), Segment("b", half, len(rows))]))


def groups_for(rng: np.random.Generator, n_groups: int) -> list[list[str]]:
    """Groups of one to four alternatives, each group mixing frequent and rare terms."""
    return [[f"t{int(w)}" for w in rng.zipf(1.3, int(rng.integers(1, 5))) - 1 if w < 3000] or ["t0"]
            for _ in range(n_groups)]


def test_the_bounded_ranking_equals_every_postings_ranking_and_prunes(zipf_store: BM25Store) -> None:
    rng = np.random.default_rng(0)
    pruned = 0
    for trial in range(200):
        groups = groups_for(rng, int(rng.integers(2, 25)))
        tid_groups = [np.asarray(list(dict.fromkeys(zipf_store._term_ids(g))), np.int64) for g in groups]
        tid_groups = [g for g in tid_groups if g.size]
        k = int(rng.choice([1, 10, 100]))
        exact = Ranking.top(zipf_store.group_scores(groups), k)
        bounded = zipf_store._top_bounded(tid_groups, k)
        if bounded is not None:
            pruned += 1
            assert np.array_equal(bounded.rows, exact.rows), trial
            assert np.array_equal(bounded.scores, exact.scores), trial
    assert pruned >= 40  # a good share of these questions is ranked by the bound (54 of 200 when written)


def test_plain_terms_with_repeats_rank_as_every_posting_ranks_them(zipf_store: BM25Store, monkeypatch) -> None:
    """A Japanese question's terms add one by one (a repeated term twice), the way bm25s scores them."""
    monkeypatch.setattr(bm25_mod, "PRUNE_POSTINGS", 0)
    rng = np.random.default_rng(1)
    for trial in range(100):
        terms = [f"t{int(w) - 1}" for w in rng.zipf(1.2, int(rng.integers(1, 30))) if w <= 3000]
        terms += terms[:2]
        exact = Ranking.top(zipf_store.scores(terms), 100)
        got = zipf_store.top(terms, 100)
        assert np.array_equal(got.rows, exact.rows) and np.array_equal(got.scores, exact.scores), trial


def test_allowed_rows_take_the_exact_path(zipf_store: BM25Store, monkeypatch) -> None:
    monkeypatch.setattr(bm25_mod, "PRUNE_POSTINGS", 0)
    groups = [["t0", "t5"], ["t1"], ["t40", "t300"], ["t2000"]]
    allowed = np.arange(0, len(zipf_store.layout.row_slot), 7)
    got = zipf_store.top_groups(groups, 10, allowed)
    assert set(got.rows.tolist()) <= set(allowed.tolist())
    assert np.array_equal(got.rows, Ranking.top(zipf_store.group_scores(groups), 10, allowed).rows)


def test_the_team_questions_rank_alike_through_the_searcher_with_the_bound_on(searcher, monkeypatch) -> None:
    """With the threshold at zero and a pool of 10 (of 100, most of the seeds' 245 passages would be needed)."""
    from rag.retrieval import engine

    monkeypatch.setattr(engine, "POOL", 10)
    questions = [json.loads(x)["question"] for x in TEAM.read_text("utf-8").splitlines() if x.strip()]
    before = [searcher.search(q, top_k=10, mode="bm25") for q in questions]
    calls = []
    original = BM25Store._top_bounded

    def spy(self, groups, k):
        result = original(self, groups, k)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(bm25_mod, "PRUNE_POSTINGS", 0)
    monkeypatch.setattr(BM25Store, "_top_bounded", spy)
    after = [searcher.search(q, top_k=10, mode="bm25") for q in questions]
    assert sum(calls) >= 12  # the bound pruned for a good share of them (19 of 72 when written)
    for q, a, b in zip(questions, before, after):
        assert [(h.passage.passage_id, h.score) for h in a.hits] == [(h.passage.passage_id, h.score) for h in b.hits], q
