"""Metric values on a tiny hand-made run, from ranx and from a plain reading of the README, which must agree."""

from __future__ import annotations

import math

import pytest
from ranx import Qrels, Run, evaluate

from eval.metrics import Judged, Latency, by_group, metric_names, ranx_inputs, recall_curve, scores

F, T = False, True


def judged(qid: str, lang: str, relevant: list[bool]) -> Judged:
    # passage ids of one width ("102": question 1's 2nd passage), the width scores() gives ranx, so that these tests
    # compile ranx's functions for one width only (numba compiles them again for each id width: ~20 s of CPU)
    return Judged(qid, lang, tuple(f"{qid[1:]}{i:02d}" for i in range(1, len(relevant) + 1)), tuple(relevant))


# Five questions; r is the rank of the first relevant passage.
RUNS = (
    judged("q1", "en", [F, T, T, F, F, F, F, F, F, F]),  # r = 2 (rank 3 is relevant too)
    judged("q2", "en", [T, F, T]),  # r = 1, only three passages came back
    judged("q3", "ja", [F] * 10),  # nothing relevant
    judged("q4", "ja", [F, F, F, T, F, F, F, F, F, F]),  # r = 4
    judged("q5", "ja", []),  # empty ranking
)
NAMES = metric_names((1, 5, 10))

# all: hit@1    = [q2]                          = 1/5 = 0.2
#      recall@1 = 1/5 = 0.2;  recall@5 = [q1, q2, q4] = 3/5 = 0.6;  recall@10 = 0.6
#      mrr@10   = (1/2 + 1 + 0 + 1/4 + 0) / 5   = 1.75 / 5 = 0.35
#      ndcg@10  = (1/log2(3) + 1/log2(2) + 0 + 1/log2(5) + 0) / 5 = (0.630930 + 1 + 0.430677) / 5 = 0.412321
# en:  hit@1 = 1/2; recall@5 = 2/2; mrr = (1/2 + 1)/2 = 0.75; ndcg = (0.630930 + 1)/2 = 0.815465
# ja:  hit@1 = 0;   recall@5 = 1/3; mrr = (1/4)/3 = 0.083333; ndcg = 0.430677/3 = 0.143559
EXPECTED = {
    "all": {"hit@1": 0.2, "recall@1": 0.2, "recall@5": 0.6, "recall@10": 0.6, "mrr@10": 0.35, "ndcg@10": 0.412321},
    "en": {"hit@1": 0.5, "recall@1": 0.5, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 0.75, "ndcg@10": 0.815465},
    "ja": {"hit@1": 0.0, "recall@1": 0.0, "recall@5": 1 / 3, "recall@10": 1 / 3, "mrr@10": 1 / 12,
           "ndcg@10": 0.143559},
}


def readme_metrics(runs: tuple[Judged, ...], ks: tuple[int, ...]) -> dict[str, float]:
    """The README's definitions, literally, from the rank of the first relevant passage within the first 10."""
    per_question = []
    for j in runs:
        r = next((i + 1 for i, rel in enumerate(j.relevant[:10]) if rel), None)
        row = {"hit@1": float(r == 1), "mrr@10": 1 / r if r else 0.0, "ndcg@10": 1 / math.log2(1 + r) if r else 0.0}
        row.update({f"recall@{k}": float(r is not None and r <= k) for k in ks})
        per_question.append(row)
    return {name: sum(row[name] for row in per_question) / len(per_question) for name in per_question[0]}


def test_metric_names_follow_the_cutoffs_in_report_order():
    assert NAMES == ("hit@1", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")


@pytest.mark.parametrize("group", ["all", "en", "ja"])
def test_ranx_scores_equal_the_hand_computed_values(group):
    got = by_group(RUNS, NAMES)[group]
    assert got.keys() == EXPECTED[group].keys()
    for name, value in EXPECTED[group].items():
        assert got[name] == pytest.approx(value, abs=1e-6), name


@pytest.mark.parametrize("group", ["all", "en", "ja"])
def test_ranx_scores_equal_the_plain_readme_rule(group):
    part = tuple(j for j in RUNS if group == "all" or j.lang == group)
    plain = readme_metrics(part, (1, 5, 10))
    got = scores(part, NAMES)
    for name in NAMES:
        assert got[name] == pytest.approx(plain[name], abs=1e-12), name


def test_ndcg_counts_only_the_first_relevant_passage():
    # q1 has relevant passages at ranks 2 and 3. The README's single-item nDCG is 1/log2(3) = 0.6309;
    # ranx fed both as relevant would give (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3)) = 1.1309/1.6309 = 0.6934.
    q1 = RUNS[0]
    assert scores([q1], ["ndcg@10"])["ndcg@10"] == pytest.approx(1 / math.log2(3))
    naive = evaluate(Qrels({"q1": {"102": 1, "103": 1}}),
                     Run({"q1": {pid: 10.0 - i for i, pid in enumerate(q1.passage_ids)}}), "ndcg@10")
    assert naive == pytest.approx(1.130930 / 1.630930, abs=1e-6)


def test_ranx_keeps_the_returned_order_whatever_the_passage_ids():
    # ids that sort the other way round; the relevant one is second, so mrr@10 = 1/2
    j = Judged("q", "en", ("zzz", "aaa"), (F, T))
    assert scores([j], ["mrr@10"])["mrr@10"] == 0.5
    qrels, run = ranx_inputs([j])
    assert qrels.to_dict() == {"q": {"aaa": 1}}
    assert run.to_dict()["q"] == {"zzz": 2.0, "aaa": 1.0}


def test_rank_ids_score_exactly_like_the_passage_ids_and_have_one_width():
    # scores() names passages by rank so that numba compiles ranx's functions for one id width only
    wanted = ["hit_rate@1", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10"]
    by_passage, by_rank = evaluate(*ranx_inputs(RUNS), wanted), evaluate(*ranx_inputs(RUNS, rank_ids=True), wanted)
    assert by_rank == by_passage
    qrels, run = ranx_inputs(RUNS, rank_ids=True)
    ids = {key for ranking in (*qrels.to_dict().values(), *run.to_dict().values()) for key in ranking}
    assert {len(key) for key in ids} == {3}
    assert run.to_dict()["q1"] == {f"{i:03d}": 10.0 - i + 1 for i in range(1, 11)}
    assert qrels.to_dict()["q1"] == {"002": 1} and qrels.to_dict()["q3"] == {"nfd": 1}


def test_a_question_without_relevant_passages_scores_zero_everywhere():
    assert set(scores([RUNS[2]], NAMES).values()) == {0.0}
    assert set(scores([RUNS[4]], NAMES).values()) == {0.0}


def test_recall_curve_is_success_at_each_k_from_1_to_10():
    # first relevant ranks: 2, 1, none, 4, none → success@k = 1/5, 2/5, 2/5, 3/5, ... 3/5
    assert recall_curve(RUNS) == pytest.approx((0.2, 0.4, 0.4, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6))


def test_a_language_without_questions_is_left_out():
    assert set(by_group(RUNS[:2], NAMES)) == {"all", "en"}


def test_latency_percentiles_interpolate_linearly():
    # p50 of 10, 20, 30, 40 lies halfway between 20 and 30; p95 at position 0.95 * 3 = 2.85 → 30 + 0.85 * 10
    lat = Latency.of([40.0, 10.0, 30.0, 20.0])
    assert (lat.p50, lat.p95) == pytest.approx((25.0, 38.5))
