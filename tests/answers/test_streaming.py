"""Streamed answers: markers checked on the fly, tokens passed on before the model finishes, and the extractive
answer when the model fails before its first token. Against the real fake-LLM HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.answers import Answer
from rag.answers.markers import MarkerStream, renumber
from rag.answers.service import answer_retrieved, retrieve
from rag.answers.streaming import BROKE_OFF, stream_answer
from rag.settings import Settings

from .fake_llm import DEFAULT_CONTENT, FakeLLM
from .support import EN_QUESTION

TOP_K = 5


# -- MarkerStream: renumber() on text that arrives in pieces ----------------------------------------------------

def feed_all(pieces: list[str], available: int) -> tuple[list[str], str, tuple[int, ...]]:
    stream = MarkerStream(available)
    shown = [stream.feed(p) for p in pieces]
    shown.append(stream.close())
    return shown, "".join(shown), tuple(stream.order)


def test_an_unclosed_bracket_is_held_back_until_the_marker_closes() -> None:
    shown, text, cited = feed_all(["China [", "2", "]", ". He", " said [9", "]", " more."], 3)
    # "China" at once; the marker only when the run is over; [9] (no passage 9) never shows, nor its space
    assert shown == ["China", "", "", " [1]. He", " said", "", " more.", ""]
    assert (text, cited) == ("China [1]. He said more.", (2,))


def test_text_that_only_looked_like_a_marker_is_released() -> None:
    shown, text, _ = feed_all(["in [", "2025 年", "] it"], 3)
    assert shown[0] == "in" and shown[1] == " [2025 年" and text == "in [2025 年] it"


_ALPHABET = st.sampled_from(["[", "]", "1", "2", "9", "0", ",", " ", "\n", "a", "b", "。", "［", "］", "【", "】", "、"])


# at most 60 characters: below MAX_HELD, past which a long "marker" is released as text on purpose
@given(pieces=st.lists(st.text(alphabet=_ALPHABET, max_size=6), max_size=10), available=st.integers(0, 3))
def test_marker_stream_output_joined_equals_renumber_of_the_joined_input(pieces: list[str], available: int) -> None:
    _, text, cited = feed_all(pieces, available)
    assert (text, cited) == renumber("".join(pieces), available)


# -- stream_answer against the fake LLM ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base(built_index) -> Settings:
    settings, _ = built_index
    return settings.replace(llm_model="fake-gpt", llm_api_key="sk-test", llm_timeout_s=1.0, llm_retries=0)


def run(searcher, settings: Settings) -> tuple[list[str], Answer]:
    items = list(stream_answer(retrieve(searcher, EN_QUESTION, TOP_K), searcher, settings))
    *pieces, answer = items
    assert all(isinstance(p, str) for p in pieces) and isinstance(answer, Answer)
    return pieces, answer


@pytest.mark.slow
def test_tokens_arrive_before_the_model_has_finished(searcher, base) -> None:
    gate = threading.Event()
    with FakeLLM(["reply"], gate=gate, gate_after=1, hang_s=30) as llm:
        parts = stream_answer(retrieve(searcher, EN_QUESTION, TOP_K), searcher,
                              base.replace(llm_base_url=llm.base_url, llm_timeout_s=30))
        first = next(parts)
        # the fake is still holding back everything after its first token
        assert first == llm.tokens()[0] == "Lavrov" and not gate.is_set()
        gate.set()
        rest = list(parts)
    *pieces, answer = rest
    assert answer.generator == "llm" and answer.fallback is None
    assert first + "".join(pieces) == answer.answer
    assert llm.requests[0].body["stream"] is True
    assert llm.requests[0].headers["authorization"] == "Bearer sk-test"


@pytest.mark.slow
def test_streamed_answer_equals_the_whole_reply_answer_and_never_shows_a_bogus_marker(searcher, base,
                                                                                     check_grounded) -> None:
    with FakeLLM(["reply"]) as llm:
        settings = base.replace(llm_base_url=llm.base_url)
        pieces, streamed = run(searcher, settings)
        whole = answer_retrieved(retrieve(searcher, EN_QUESTION, TOP_K), searcher, settings)
    assert "[9]" in DEFAULT_CONTENT and not any("9" in p for p in pieces)
    assert len(pieces) > 10  # token by token, not one block
    assert (streamed.answer, streamed.citations, streamed.generator) == (whole.answer, whole.citations, "llm")
    assert llm.requests[1].body["stream"] is False  # the non-streamed path still asks for one reply
    check_grounded(streamed)


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", ["error500", "hang", "invalid_json", "unauthorized"])
def test_a_model_that_fails_before_its_first_token_gives_the_extractive_answer(searcher, base, behaviour,
                                                                               check_grounded) -> None:
    with FakeLLM([behaviour], hang_s=5) as llm:
        pieces, answer = run(searcher, base.replace(llm_base_url=llm.base_url))
    assert answer.generator == "extractive" and answer.fallback
    assert "".join(pieces) == answer.answer and answer.citations
    check_grounded(answer)


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", ["stream_broken", "stream_stall", "stream_closed"])
def test_a_stream_that_breaks_after_its_first_token_ends_the_answer_there(searcher, base, behaviour) -> None:
    """stream_closed: the body ended as its connection closed, cleanly, with neither [DONE] nor a finish_reason; it
    was shown as a whole answer."""
    with FakeLLM([behaviour], hang_s=5) as llm:
        pieces, answer = run(searcher, base.replace(llm_base_url=llm.base_url))
        half = "".join(llm.tokens()[: len(llm.tokens()) // 2])
    assert answer.generator == "llm" and answer.fallback is None
    assert "".join(pieces) == answer.answer
    # what the model sent, then a line that says it broke off (the reader must not take it for a whole answer)
    assert answer.answer.endswith(BROKE_OFF["en"]) and pieces[-1] == BROKE_OFF["en"]
    sent = answer.answer.removesuffix(BROKE_OFF["en"])
    assert half.startswith(sent) and len(sent) > 10 and llm.base_url not in answer.answer


@pytest.mark.slow
def test_a_model_that_streams_for_ever_is_cut_at_the_deadline_and_says_it_broke_off(searcher, base) -> None:
    """Each read came within llm_timeout_s, so nothing ended a model that streams a token now and then for ever."""
    content = " ".join(["Lavrov spoke of an alliance with China [1]."] * 200)
    with FakeLLM(["reply"], content=content, delay_s=0.02) as llm:
        pieces, answer = run(searcher, base.replace(llm_base_url=llm.base_url, llm_deadline_s=1.0))
        tokens = llm.tokens()
    assert answer.generator == "llm" and answer.answer.endswith(BROKE_OFF["en"])
    sent = answer.answer.removesuffix(BROKE_OFF["en"])
    assert sent and "".join(tokens).startswith(sent.rstrip()) and len(sent) < len(content) // 2


@pytest.mark.slow
def test_a_model_that_sends_only_keep_alive_comments_falls_back_at_the_deadline(searcher, base) -> None:
    with FakeLLM(["stream_pings"], delay_s=0.1, hang_s=30) as llm:
        pieces, answer = run(searcher, base.replace(llm_base_url=llm.base_url, llm_deadline_s=1.0))
    assert answer.generator == "extractive" and "llm_deadline_s" in answer.fallback
    assert "".join(pieces) == answer.answer and answer.citations


@pytest.mark.slow
def test_a_reply_of_nothing_but_bogus_markers_falls_back(searcher, base) -> None:
    with FakeLLM(["reply"], content="[7] [8]") as llm:
        _, answer = run(searcher, base.replace(llm_base_url=llm.base_url))
    assert answer.generator == "extractive" and "invalid citation markers" in answer.fallback


@pytest.mark.slow
@pytest.mark.parametrize("content", ["Russia is open to an alliance with China, Lavrov said.",  # a model writing none
                                     "Russia is open to an alliance with China [7], Lavrov said [8]."])  # none real
def test_a_model_answer_that_cites_no_passage_lists_the_first_passages_it_read(searcher, base, content) -> None:
    """Its text is kept (without the markers pointing nowhere), and, as a not-covered answer lists its closest
    passages, the first three it read are its sources, unmarked: an answer always shows where to check it."""
    with FakeLLM(["reply", "reply"], content=content) as llm:
        settings = base.replace(llm_base_url=llm.base_url)
        pieces, streamed = run(searcher, settings)
        whole = answer_retrieved(retrieve(searcher, EN_QUESTION, TOP_K), searcher, settings)
    first = tuple(h.citation for h in sorted(whole.passages, key=lambda h: h.rank)[:3])
    for answer in (streamed, whole):
        assert answer.generator == "llm" and answer.fallback is None
        assert answer.answer == "Russia is open to an alliance with China, Lavrov said."
        assert answer.citations == first and len(set(first)) == 3
    assert "".join(pieces) == streamed.answer


@pytest.mark.slow
def test_an_empty_stream_falls_back_and_says_it_was_empty(searcher, base) -> None:
    with FakeLLM(["reply"], content="") as llm:
        pieces, answer = run(searcher, base.replace(llm_base_url=llm.base_url))
    assert len(llm.requests) == 1 and llm.requests[0].body["stream"] is True
    assert answer.generator == "extractive" and answer.fallback == "empty content in stream"
    assert "".join(pieces) == answer.answer and answer.answer
