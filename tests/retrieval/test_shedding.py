"""Shedding the sparse head under load (RAG_SHED_SPARSE_ABOVE): a crowded service answers hybrid questions without
the sparse head's second e5 pass, exactly as a service with the sparse head switched off would, and says so."""

from __future__ import annotations

import pytest

from rag.errors import ConfigError
from rag.retrieval import Searcher
from rag.settings import Settings

EN = "What did Lavrov say about an alliance with China?"
JA = "ラヴロフ外相は中国との同盟について何と言ったか"


def _variant(searcher: Searcher, **changes) -> Searcher:
    return Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings.replace(**changes))


def _ranked(result) -> list[tuple[str, float]]:
    return [(h.passage.passage_id, h.score) for h in result.hits]


@pytest.fixture(scope="module")
def shedding(searcher: Searcher) -> Searcher:
    return _variant(searcher, shed_sparse_above=1)


@pytest.fixture(scope="module")
def sparse_off(searcher: Searcher) -> Searcher:
    return _variant(searcher, sparse=False)


@pytest.mark.parametrize("question", [EN, JA])
def test_a_crowded_hybrid_question_ranks_exactly_as_with_the_sparse_head_off_and_says_so(
        shedding: Searcher, sparse_off: Searcher, searcher: Searcher, question: str) -> None:
    with shedding.intake.admit(tokens=5):  # another question is being answered
        crowded = shedding.search(question, top_k=10)
    assert crowded.shed == ("e5-sparse",)
    assert "e5-sparse" not in crowded.hits[0].scores and "encode:e5-sparse" not in crowded.timings
    assert _ranked(crowded) == _ranked(sparse_off.search(question, top_k=10))
    assert _ranked(crowded) != _ranked(searcher.search(question, top_k=10))  # the sparse head does change this ranking


@pytest.mark.parametrize("question", [EN, JA])
def test_a_question_alone_keeps_every_signal(shedding: Searcher, searcher: Searcher, question: str) -> None:
    alone = shedding.search(question, top_k=10)
    assert alone.shed == () and "e5-sparse" in alone.hits[0].scores
    assert _ranked(alone) == _ranked(searcher.search(question, top_k=10))


def test_by_default_nothing_is_shed_however_crowded(searcher: Searcher) -> None:
    with searcher.intake.admit(tokens=5), searcher.intake.admit(tokens=5), searcher.intake.admit(tokens=5):
        crowded = searcher.search(EN, top_k=5)
    assert crowded.shed == () and "e5-sparse" in crowded.hits[0].scores


def test_a_question_for_one_signal_is_never_shed(shedding: Searcher) -> None:
    with shedding.intake.admit(tokens=5):
        sparse_only = shedding.search(EN, top_k=5, mode="e5-sparse")
        dense_only = shedding.search(EN, top_k=5, mode="e5")
    assert sparse_only.shed == () and sparse_only.hits and "e5-sparse" in sparse_only.hits[0].scores
    assert dense_only.shed == ()


def test_the_threshold_counts_the_questions_in_flight(searcher: Searcher) -> None:
    two = _variant(searcher, shed_sparse_above=2)
    with two.intake.admit(tokens=5):
        assert two.search(EN, top_k=3).shed == ()  # two in flight: not above 2
        with two.intake.admit(tokens=5):
            assert two.search(EN, top_k=3).shed == ("e5-sparse",)


def test_the_setting_is_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({"RAG_SHED_SPARSE_ABOVE": "4"}).shed_sparse_above == 4
    assert Settings.from_env({}).shed_sparse_above == 0
    with pytest.raises(ConfigError, match="shed_sparse_above"):
        Settings.from_env({"RAG_SHED_SPARSE_ABOVE": "-1"})
