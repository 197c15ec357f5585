"""Metric values on a tiny hand-made run, from trec_eval (ir-measures) and from a plain reading of the README, which must
agree."""

from __future__ import annotations

import math

import pytest
import ir_measures
from ir_measures import nDCG

from eval.metrics import Judged, Latency, by_group, measure_inputs, metric_names, recall_curve, scores

F, T = False, True


def judged(qid: str, lang: str, relevant: list[bool]) -> Judged:
    return Judged(qid, lang, tuple(f"{qid}-p{i}" for i in range(1, len(relevant) + 1)), tuple(relevant))


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
def test_scores_equal_the_hand_computed_values(group):
    got = by_group(RUNS, NAMES)[group]
    assert got.keys() == EXPECTED[group].keys()
    for name, value in EXPECTED[group].items():
        assert got[name] == pytest.approx(value, abs=1e-6), name


@pytest.mark.parametrize("group", ["all", "en", "ja"])
def test_scores_equal_the_plain_readme_rule(group):
    part = tuple(j for j in RUNS if group == "all" or j.lang == group)
    plain = readme_metrics(part, (1, 5, 10))
    got = scores(part, NAMES)
    for name in NAMES:
        assert got[name] == pytest.approx(plain[name], abs=1e-12), name


def test_ndcg_counts_only_the_first_relevant_passage():
    # q1 has relevant passages at ranks 2 and 3. The README's single-item nDCG is 1/log2(3) = 0.6309;
    # trec_eval fed both as relevant would give (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3)) = 1.1309/1.6309 = 0.6934.
    q1 = RUNS[0]
    assert scores([q1], ["ndcg@10"])["ndcg@10"] == pytest.approx(1 / math.log2(3))
    naive = ir_measures.pytrec_eval.calc_aggregate([nDCG @ 10], {"q1": {"q1-p2": 1, "q1-p3": 1}},
                                                   {"q1": {pid: 10.0 - i for i, pid in enumerate(q1.passage_ids)}})
    assert naive[nDCG @ 10] == pytest.approx(1.130930 / 1.630930, abs=1e-6)


def test_scores_keep_the_returned_order_whatever_the_passage_ids():
    # ids that sort the other way round; the relevant one is second, so mrr@10 = 1/2
    j = Judged("q", "en", ("zzz", "aaa"), (F, T))
    assert scores([j], ["mrr@10"])["mrr@10"] == 0.5
    qrels, run = measure_inputs([j])
    assert qrels == {"q": {"aaa": 1}}
    assert run["q"] == {"zzz": 2.0, "aaa": 1.0}


def test_a_passage_returned_twice_keeps_both_ranks():
    # the second copy is a distinct key, so the first relevant rank stays the README's r (here 3, not 1)
    j = Judged("q", "en", ("a", "a", "b"), (F, F, T))
    qrels, run = measure_inputs([j])
    assert run["q"] == {"a": 3.0, "a@2": 2.0, "b": 1.0} and qrels == {"q": {"b": 1}}
    assert scores([j], ["mrr@10"])["mrr@10"] == pytest.approx(1 / 3)


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


@pytest.mark.parametrize(("passage_id", "field"), [("000_x#0-72", "000_x#0-72"), ("my doc#0-72", "my%20doc#0-72"),
                                                   ("a%b\tc#1-2", "a%25b%09c#1-2"),
                                                   ("会談\u3000記録#0-9", "会談%E3%80%80記録#0-9")])
def test_a_passage_id_is_one_trec_field_that_reads_back(passage_id, field):
    """A seed named "my doc.txt" wrote seven fields on a run line, which ir_measures could not read."""
    from urllib.parse import unquote

    from eval.report import trec_id

    assert trec_id(passage_id) == field and len(f"q1 Q0 {field} 1 1 rag-hybrid".split()) == 6
    assert unquote(field) == passage_id
