"""Shedding the sparse head under load (RAG_SHED_SPARSE_ABOVE): a crowded service answers hybrid questions without
the sparse head's second e5 pass, exactly as a service with the sparse head switched off would, and says so."""

from __future__ import annotations

import pytest

from rag.errors import ConfigError
from rag.retrieval import Searcher
from rag.retrieval.conversation import search_conversation
from rag.settings import Settings

EN = "What did Lavrov say about an alliance with China?"
JA = "ラヴロフ外相は中国との同盟について何と言ったか"
FOLLOW_UP = ["ハリコフでのロシアの攻勢はいつ始まった？", "北京はそれをどう見ている？"]


def _variant(searcher: Searcher, **changes) -> Searcher:
    """A Searcher over the session index with other settings, and a query-vector cache of its own. Rankings are
    compared between such Searchers only: the session Searcher's cache may hold USE vectors encoded in a batch with
    other questions, which differ from a lone encoding in the last bits (~1e-7 in a fused score)."""
    return Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings.replace(**changes))


def _ranked(result) -> list[tuple[str, float]]:
    return [(h.passage.passage_id, h.score) for h in result.hits]


@pytest.fixture
def shedding(searcher: Searcher) -> Searcher:
    return _variant(searcher, shed_sparse_above=1)


@pytest.fixture(scope="module")
def sparse_off(searcher: Searcher) -> Searcher:
    return _variant(searcher, sparse=False)


@pytest.fixture
def full(searcher: Searcher) -> Searcher:
    return _variant(searcher)


@pytest.mark.parametrize("question", [EN, JA])
def test_a_crowded_hybrid_question_ranks_exactly_as_with_the_sparse_head_off_and_says_so(
        shedding: Searcher, sparse_off: Searcher, full: Searcher, question: str) -> None:
    with shedding.intake.admit(tokens=5):  # another question is being answered
        crowded = shedding.search(question, top_k=10)
    assert crowded.shed == ("e5-sparse",)
    assert "e5-sparse" not in crowded.hits[0].scores
    assert "encode:e5" in crowded.timings and not [k for k in crowded.timings if "sparse" in k]  # e5's dense alone
    assert _ranked(crowded) == _ranked(sparse_off.search(question, top_k=10))
    assert _ranked(crowded) != _ranked(full.search(question, top_k=10))  # the sparse head does change this ranking


@pytest.mark.parametrize("question", [EN, JA])
def test_a_question_alone_keeps_every_signal(shedding: Searcher, full: Searcher, question: str) -> None:
    alone = shedding.search(question, top_k=10)
    assert alone.shed == () and "e5-sparse" in alone.hits[0].scores
    assert _ranked(alone) == _ranked(full.search(question, top_k=10))


def test_a_question_whose_sparse_vector_is_cached_keeps_it_when_crowded(shedding: Searcher, full: Searcher) -> None:
    shedding.search(EN, top_k=3)  # asked once on a quiet server: its sparse vector is cached
    with shedding.intake.admit(tokens=5):
        again = shedding.search(EN, top_k=10)  # skipping the sparse head would save no e5 pass
    assert again.shed == () and _ranked(again) == _ranked(full.search(EN, top_k=10))


def test_a_crowded_follow_up_says_its_searches_went_without_the_sparse_head(shedding: Searcher) -> None:
    shedding.search(FOLLOW_UP[-1], top_k=3)  # the follow-up's own search is cached, its conversation search is not
    with shedding.intake.admit(tokens=5):
        found = search_conversation(shedding, FOLLOW_UP, 5)
    assert found.dependent and found.result.shed == ("e5-sparse",)
    # the last turn's own search kept the sparse head (cached), the conversation's search went without it
    assert "last.e5-sparse" in found.result.timings and "conversation.e5-sparse" not in found.result.timings


def test_by_default_nothing_is_shed_however_crowded(searcher: Searcher) -> None:
    quiet = _variant(searcher)
    with quiet.intake.admit(tokens=5), quiet.intake.admit(tokens=5), quiet.intake.admit(tokens=5):
        crowded = quiet.search(EN, top_k=5)
    assert crowded.shed == () and "e5-sparse" in crowded.hits[0].scores


def test_a_question_for_one_signal_is_never_shed(shedding: Searcher) -> None:
    with shedding.intake.admit(tokens=5):
        sparse_only = shedding.search(EN, top_k=5, mode="e5-sparse")
        dense_only = shedding.search(JA, top_k=5, mode="e5")
    assert sparse_only.shed == () and sparse_only.hits and "e5-sparse" in sparse_only.hits[0].scores
    assert dense_only.shed == ()


def test_the_threshold_counts_the_questions_in_flight(searcher: Searcher) -> None:
    two = _variant(searcher, shed_sparse_above=2)
    with two.intake.admit(tokens=5):
        with two.intake.admit(tokens=5):
            assert two.search(EN, top_k=3).shed == ("e5-sparse",)  # three in flight
        assert two.search(JA, top_k=3).shed == ()  # two in flight: not above 2
    assert two.search(EN, top_k=3).shed == ()  # alone again: every signal, and now it is encoded


def test_the_setting_is_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({"RAG_SHED_SPARSE_ABOVE": "4"}).shed_sparse_above == 4
    assert Settings.from_env({}).shed_sparse_above == 0
    with pytest.raises(ConfigError, match="shed_sparse_above"):
        Settings.from_env({"RAG_SHED_SPARSE_ABOVE": "-1"})
    with pytest.raises(ConfigError, match="max_pending_queries"):  # it could never be reached
        Settings.from_env({"RAG_SHED_SPARSE_ABOVE": "32", "RAG_MAX_PENDING_QUERIES": "32"})
