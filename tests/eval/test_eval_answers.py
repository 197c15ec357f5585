"""answer_evidence and answer_cited: hand-worked cases, then the real pipeline in process and through /v1/ask."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from eval.answers import (AnswerRun, CitedSpan, answer_scores, ask_http, ask_in_process, carries_evidence,
                          cites_relevant, longest_common_substring)
from eval.table import format_table
from eval.pipeline import evaluate
from eval.questions import Evidence, Question, load_questions
from eval.relevance import Occurrence
from eval.runner import HttpBackend, InProcessBackend
from api.cli import main

REPO = Path(__file__).resolve().parents[2]
TEAM = REPO / "eval" / "questions" / "team.jsonl"


# -- longest common substring and the half-a-quote rule --------------------------------------------------------------

@pytest.mark.parametrize("a, b, n", [
    ("", "abc", 0),
    ("abc", "xyz", 0),
    ("xabcdy", "abcd", 4),  # all of b
    ("abXcd", "abcd", 2),  # "ab" or "cd": the X breaks it
    ("ロシアは中国との同盟を[1] 望む", "中国との同盟を望む", 7),  # "中国との同盟を" = 7 characters; the marker breaks the rest
    ("aaaa", "aa", 2),
])
def test_longest_common_substring_by_hand(a: str, b: str, n: int) -> None:
    assert longest_common_substring(a, b) == n
    assert longest_common_substring(b, a) == n


def test_half_a_quote_as_one_piece_carries_the_evidence() -> None:
    quote = "中国との真の同盟関係の構築"  # 13 characters: at least ceil(13 / 2) = 7 must appear contiguously
    assert carries_evidence("ロシアは中国との真の同盟に前向き。[1]", [quote])  # "中国との真の同盟" = 8 ≥ 7
    assert carries_evidence("…中国との真の同盟[1]", [quote])  # the same 8 characters
    # pieces of 6 ("中国との真の") and 4 ("同盟関係") split by a marker: the best is 6, and 2 * 6 = 12 < 13
    assert not carries_evidence("中国との真の[1] 同盟関係", [quote])
    # pieces of 6 and 7 ("同盟関係の構築"): 2 * 7 = 14 ≥ 13
    assert carries_evidence("中国との真の[1] 同盟関係の構築", [quote])


def test_an_even_quote_needs_exactly_half() -> None:
    quote = "abcdefgh"  # 8 characters: 4 contiguous are enough (2 * 4 = 8 ≥ 8), 3 are not (6 < 8)
    assert carries_evidence("xxabcdxx", [quote])
    assert not carries_evidence("xxabcxxfghxx", [quote])  # two pieces of 3: the best is 3
    assert carries_evidence("xxabcxx", [quote, "abc"])  # any one quote suffices
    assert not carries_evidence("anything", [])


# -- answer_cited and the per-language shares --------------------------------------------------------------------------

# Question q1's quote occurs at [100, 120) of doc D; q2's at [500, 510) of doc D; q3's at [0, 4) of doc E.
EVIDENCE = {"q1": (Occurrence("D", 100, 120),), "q2": (Occurrence("D", 500, 510),), "q3": (Occurrence("E", 0, 4),)}
QUESTIONS = (
    Question("q1", "en", "?", (Evidence("D", "一二三四五六七八九十一二三四五六七八九十"),)),
    Question("q2", "ja", "?", (Evidence("D", "abcdefghij"),)),
    Question("q3", "ja", "?", (Evidence("E", "wxyz"),)),
)
RELEVANT_1 = CitedSpan("D", 90, 115)  # covers 15 of q1's 20 characters: relevant to q1
OTHER_DOC = CitedSpan("E", 100, 120)  # same offsets, other doc: relevant to nothing
HALF_2 = CitedSpan("D", 505, 600)  # covers 5 of q2's 10: exactly half, relevant to q2


def test_a_marker_pointing_at_a_relevant_citation_counts_and_an_unmarked_one_does_not() -> None:
    assert cites_relevant(AnswerRun("q1", "en", "甲。[2] 乙。[1]", (OTHER_DOC, RELEVANT_1)), EVIDENCE["q1"])
    # the relevant citation is listed but no marker points at it ([3] points nowhere and is ignored)
    assert not cites_relevant(AnswerRun("q1", "en", "甲。[1] 乙。[3]", (OTHER_DOC, RELEVANT_1)), EVIDENCE["q1"])
    assert not cites_relevant(AnswerRun("q1", "en", "no markers", (RELEVANT_1,)), EVIDENCE["q1"])
    assert cites_relevant(AnswerRun("q2", "ja", "丙。［１］", (HALF_2,)), EVIDENCE["q2"])  # full-width marker


def test_answer_scores_by_hand() -> None:
    runs = (
        # q1 (en): holds 10 of the 20-character quote ("一二三四五六七八九十", 2 * 10 ≥ 20) and cites RELEVANT_1
        AnswerRun("q1", "en", "一二三四五六七八九十。[1]", (RELEVANT_1,)),
        # q2 (ja): holds "abcd" (4; 2 * 4 < 10): no evidence; cites HALF_2: cited
        AnswerRun("q2", "ja", "abcd。[1]", (HALF_2,)),
        # q3 (ja): holds "wxy" (3; 2 * 3 ≥ 4): evidence; cites OTHER_DOC [100, 120) of E, not [0, 4): not cited
        AnswerRun("q3", "ja", "wxy[1]", (OTHER_DOC,)),
    )
    # all: evidence (1 + 0 + 1) / 3 = 2/3, cited (1 + 1 + 0) / 3 = 2/3, none held back
    # en:  evidence 1/1, cited 1/1;  ja: evidence (0 + 1) / 2 = 0.5, cited (1 + 0) / 2 = 0.5
    assert answer_scores(runs, QUESTIONS, EVIDENCE) == {
        "all": {"answer_evidence": pytest.approx(2 / 3), "answer_cited": pytest.approx(2 / 3), "answer_held_back": 0},
        "en": {"answer_evidence": 1.0, "answer_cited": 1.0, "answer_held_back": 0},
        "ja": {"answer_evidence": 0.5, "answer_cited": 0.5, "answer_held_back": 0},
    }
    # q2 held back instead (the service's not-covered answer: no quote, the closest passage listed, no marker)
    held = (runs[0], AnswerRun("q2", "ja", "見当たりません。", (HALF_2,), covered=False), runs[2])
    assert answer_scores(held, QUESTIONS, EVIDENCE)["ja"] == {
        "answer_evidence": 0.5, "answer_cited": 0.0, "answer_held_back": 0.5}
    assert answer_scores(held, QUESTIONS, EVIDENCE)["all"]["answer_held_back"] == pytest.approx(1 / 3)


# -- the real pipeline -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def team() -> tuple[Question, ...]:
    qs = load_questions(TEAM)
    return tuple(q for q in qs if q.lang == "en")[:3] + tuple(q for q in qs if q.lang == "ja")[:3]


@pytest.mark.slow
def test_in_process_and_through_v1_ask_score_the_same_answers(searcher, built_index, team) -> None:
    from litestar.testing import TestClient

    from api.app import create_app

    settings, _ = built_index
    local = evaluate(InProcessBackend(searcher), team, ("hybrid",), settings.seeds_dir,
                     ask=lambda q: ask_in_process(searcher, settings, q))
    with TestClient(create_app(settings, searcher=searcher)) as client:
        remote = evaluate(HttpBackend("http://testserver", client=client), team, ("hybrid",), settings.seeds_dir,
                          ask=partial(ask_http, HttpBackend("http://testserver", client=client)))
    assert [r.answer for r in local.answer_runs] == [r.answer for r in remote.answer_runs]
    assert local.answers == remote.answers
    assert set(local.answers) == {"all", "en", "ja"}
    # each share recomputed from the answers themselves
    for run, q in zip(local.answer_runs, team):
        assert run.question_id == q.id and run.answer and run.citations
    body = local.as_json()["answers"]
    assert set(body["all"]) == {"answer_evidence", "answer_cited", "answer_held_back"}
    assert body["latency_ms"]["p50"] > 0 and body["all"]["answer_held_back"] == 0  # team questions are all covered
    assert all(run.covered for run in local.answer_runs + remote.answer_runs)
    # a question no passage is about is held back alike, in process and through /v1/ask's `covered`
    greeting = Question("hi", "en", "hello", ())
    with TestClient(create_app(settings, searcher=searcher)) as client:
        over_http = ask_http(HttpBackend("http://testserver", client=client), greeting)
    in_process = ask_in_process(searcher, settings, greeting)
    assert not over_http.covered and not in_process.covered and over_http.answer == in_process.answer
    assert "answer_evidence" in format_table(local)


@pytest.mark.slow
def test_rag_eval_answers_flag_adds_the_answer_metrics(built_index, embedders, monkeypatch, team, tmp_path, capsys):
    monkeypatch.setattr("rag.runtime.load_embedders", lambda settings: embedders)
    settings, _ = built_index
    path = tmp_path / "six.jsonl"
    path.write_text("".join(json.dumps({"id": q.id, "lang": q.lang, "question": q.question,
                                        "evidence": [{"doc": e.doc, "quote": e.quote} for e in q.evidence]},
                                       ensure_ascii=False) + "\n" for q in team), encoding="utf-8")
    code = main(["eval", "--questions", str(path), "--index", str(settings.index_dir), "--seeds",
                 str(settings.seeds_dir), "--modes", "hybrid", "--answers", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    answers = json.loads(out)["answers"]
    assert set(answers) == {"all", "en", "ja", "latency_ms", "questions"}
    assert answers["questions"] == {"all": 6, "en": 3, "ja": 3}
    for g, n in (("all", 6), ("en", 3), ("ja", 3)):
        assert set(answers[g]) == {"answer_evidence", "answer_cited", "answer_held_back"}
        for v in answers[g].values():  # a share of the group's n questions
            assert any(abs(v - k / n) < 1e-5 for k in range(n + 1)), (g, n, answers)


def test_scores_from_a_crowded_service_that_shed_a_signal_carry_a_warning(searcher, built_index, team) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from eval.report import markdown
    from rag.retrieval import Searcher

    settings, _ = built_index
    settings = settings.replace(shed_sparse_above=1)
    shedding = Searcher(searcher.index, searcher.embedders, searcher.analyzer, settings)
    with TestClient(create_app(settings, searcher=shedding)) as client:
        backend = HttpBackend("http://testserver", client=client)
        quiet = evaluate(backend, team[:2], ("hybrid",), settings.seeds_dir)
        with shedding.intake.admit(tokens=5):  # another question is being answered throughout
            crowded = evaluate(backend, team[2:], ("hybrid",), settings.seeds_dir)
    assert quiet.shed_warning() is None and "warning" not in format_table(quiet)
    assert crowded.modes[0].run.shed == len(team[2:])
    assert "4 in hybrid" in crowded.shed_warning()
    assert f"warning: {crowded.shed_warning()}" in format_table(crowded)
    assert f"**warning**: {crowded.shed_warning()}" in markdown(crowded)
