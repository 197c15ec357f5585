"""The LLM path against a real OpenAI-compatible HTTP server on 127.0.0.1: prompts, markers, retries, fallbacks."""

from __future__ import annotations

import socket

import httpx
import pytest

from rag import tokens
from rag.answers import Answer, answer_question
from rag.answers.prompt import build_prompt
from rag.answers.service import llm_answer
from rag.errors import LLMError, QueryError
from rag.settings import Settings

from .fake_llm import FakeLLM
from .support import EN_QUESTION

pytestmark = pytest.mark.slow

TOP_K = 5


@pytest.fixture(scope="module")
def base(built_index) -> Settings:
    """Settings with fast timeouts; each test points llm_base_url at its own fake server."""
    settings, _ = built_index
    # 2 s: long enough for a loaded core beside a second test worker, short of the hanging fake's 5 s
    return settings.replace(llm_model="fake-gpt", llm_api_key="sk-test", llm_timeout_s=2.0, llm_retries=2)


def ask(searcher, settings: Settings, llm: FakeLLM, **changes) -> Answer:
    return answer_question(searcher, EN_QUESTION, TOP_K, settings.replace(llm_base_url=llm.base_url, **changes))


def test_llm_answer_keeps_real_markers_and_drops_bogus_ones(searcher, base, check_grounded) -> None:
    with FakeLLM(["reply"]) as llm:
        answer = ask(searcher, base, llm)
    assert answer.generator == "llm" and answer.fallback is None
    assert answer.answer == ("Lavrov said Russia is open to discussing the building of a true alliance with China [1]. "
                             "He also called it a settled treaty.")
    assert answer.citations == (answer.passages[0].citation,)
    assert len(answer.passages) == TOP_K and answer.index_version
    check_grounded(answer)


def test_request_is_a_non_streaming_chat_completion_with_bearer_auth(searcher, base) -> None:
    with FakeLLM(["reply"]) as llm:
        ask(searcher, base, llm)
    (request,) = llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["model"] == "fake-gpt" and request.body["stream"] is False
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]


def test_prompt_holds_the_numbered_passages_within_the_token_budget(searcher, base) -> None:
    hits = searcher.search(EN_QUESTION, TOP_K).hits
    budget = build_prompt(EN_QUESTION, hits[:3], "en", 100_000).tokens  # room for exactly the top three
    with FakeLLM(["reply"]) as llm:
        ask(searcher, base, llm, llm_max_prompt_tokens=budget)
    prompt = llm.requests[0].prompt
    assert tokens.count(prompt) <= budget
    for n, h in enumerate(hits[:3], start=1):
        assert f"[{n}] {h.citation.title}\n{h.passage.text.strip()}" in prompt
    assert "[4] " not in prompt and hits[3].passage.text.strip() not in prompt
    assert EN_QUESTION in prompt


def test_markers_are_renumbered_to_the_passages_actually_cited(searcher, base) -> None:
    hits = searcher.search(EN_QUESTION, TOP_K).hits
    with FakeLLM(["reply"], content="First [3]. Then [1][3]. Nothing from [7].") as llm:
        answer = ask(searcher, base, llm)
    assert answer.answer == "First [1]. Then [2][1]. Nothing from."
    assert answer.citations == (hits[2].citation, hits[0].citation)


def test_server_errors_and_rate_limits_are_retried_until_success(searcher, base) -> None:
    with FakeLLM(["error500", "rate_limited", "reply"]) as llm:
        answer = ask(searcher, base, llm)
    assert answer.generator == "llm" and answer.fallback is None
    assert [r.behaviour for r in llm.requests] == ["error500", "rate_limited", "reply"]


def test_persistent_500_falls_back_to_extractive_after_all_retries(searcher, base, check_grounded) -> None:
    with FakeLLM(["error500"]) as llm:
        answer = ask(searcher, base, llm)
    assert len(llm.requests) == 1 + base.llm_retries
    assert answer.generator == "extractive"
    assert answer.fallback == "HTTP 500 after 3 attempts"
    assert answer.citations and "[1]" in answer.answer
    check_grounded(answer)


def test_hanging_server_times_out_retries_then_falls_back(searcher, base, check_grounded) -> None:
    with FakeLLM(["hang"], hang_s=5.0) as llm:
        answer = ask(searcher, base, llm, llm_retries=1)
    # both attempts ended by the client's timeout, not by the server answering late (no wall-clock assertion)
    assert len(llm.requests) == 2
    assert answer.generator == "extractive" and "timeout" in answer.fallback and "2 attempts" in answer.fallback
    check_grounded(answer)


def test_a_reply_that_trickles_in_is_given_up_at_the_deadline_though_each_read_is_quick(searcher, base,
                                                                                        check_grounded) -> None:
    """A few bytes every 0.1 s: each read came within llm_timeout_s, so the reply took as long as it trickled."""
    with FakeLLM(["trickle"], delay_s=0.1, hang_s=30) as llm:
        answer = ask(searcher, base, llm, llm_deadline_s=1.0)
    assert answer.generator == "extractive" and "llm_deadline_s" in answer.fallback
    assert "while reading the reply" in answer.fallback and len(llm.requests) == 1  # no retry past the deadline
    check_grounded(answer)


def test_retries_stop_at_the_deadline(searcher, base) -> None:
    with FakeLLM(["hang"], hang_s=5.0) as llm:  # each attempt would wait the whole read timeout (2 s)
        answer = ask(searcher, base, llm, llm_retries=5, llm_deadline_s=3.0)
    # the second attempt has about 1 s left as its timeout, and no third starts (six would take 12 s)
    assert answer.generator == "extractive" and "no time left within 3 s (llm_deadline_s)" in answer.fallback
    assert len(llm.requests) <= 3 and f"after {len(llm.requests)} attempt" in answer.fallback, answer.fallback


def test_invalid_json_falls_back_without_retrying(searcher, base, check_grounded) -> None:
    with FakeLLM(["invalid_json"]) as llm:
        answer = ask(searcher, base, llm)
    assert len(llm.requests) == 1  # a malformed 200 is not a transient failure
    assert answer.generator == "extractive" and "invalid JSON" in answer.fallback
    check_grounded(answer)


@pytest.mark.parametrize(("behaviour", "reason", "requests"), [
    ("no_choices", "no choices", 1),
    ("empty_content", "empty content", 1),
    ("unauthorized", "HTTP 401", 1),
    ("rate_limited", "HTTP 429 after 3 attempts", 3),
])
def test_unusable_replies_raise_llm_error(searcher, base, behaviour, reason, requests) -> None:
    hits = searcher.search(EN_QUESTION, TOP_K).hits
    with FakeLLM([behaviour]) as llm:
        with pytest.raises(LLMError, match=reason):
            llm_answer(EN_QUESTION, hits, "en", base.replace(llm_base_url=llm.base_url))
    assert len(llm.requests) == requests


def test_reply_citing_only_bogus_passages_is_an_llm_error(searcher, base) -> None:
    hits = searcher.search(EN_QUESTION, TOP_K).hits
    with FakeLLM(["reply"], content="[9]") as llm:
        with pytest.raises(LLMError, match="invalid citation markers"):
            llm_answer(EN_QUESTION, hits, "en", base.replace(llm_base_url=llm.base_url))


def test_refused_connection_is_retried_then_an_llm_error(searcher, base) -> None:
    hits = searcher.search(EN_QUESTION, TOP_K).hits
    with socket.socket() as s:  # a port that was just free, so nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(LLMError, match="connection error .* after 3 attempts"):
        llm_answer(EN_QUESTION, hits, "en", base.replace(llm_base_url=f"http://127.0.0.1:{port}/v1"))


def test_no_hits_never_calls_the_llm(base) -> None:
    with FakeLLM(["reply"]) as llm:
        with pytest.raises(LLMError, match="no passages"):
            llm_answer(EN_QUESTION, (), "en", base.replace(llm_base_url=llm.base_url))
    assert llm.requests == []


def test_a_given_client_is_used_and_left_open(searcher, base) -> None:
    with FakeLLM(["reply"]) as llm, httpx.Client() as client:
        answer = answer_question(searcher, EN_QUESTION, TOP_K, base.replace(llm_base_url=llm.base_url),
                                 client=client)
        assert not client.is_closed
    assert answer.generator == "llm" and len(llm.requests) == 1


def test_bad_question_is_a_query_error_before_any_llm_call(searcher, base) -> None:
    with FakeLLM(["reply"]) as llm:
        with pytest.raises(QueryError):
            answer_question(searcher, "  ", TOP_K, base.replace(llm_base_url=llm.base_url))
    assert llm.requests == []


def test_fake_server_speaks_the_openai_wire_format() -> None:
    with FakeLLM(["reply"]) as llm:
        body = httpx.post(f"{llm.base_url}/chat/completions", json={"model": "m", "messages": [
            {"role": "user", "content": "hi"}]}).json()
    assert body["object"] == "chat.completion" and body["model"] == "m"
    assert body["choices"][0]["message"]["role"] == "assistant" and body["choices"][0]["finish_reason"] == "stop"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_a_retry_after_is_read_as_seconds_capped_and_never_nan():
    """One reader for the LLM client and rag eval; "nan" read as a number made the sleep after it raise."""
    import httpx

    from rag.answers.llm import retry_after_s

    def said(value: str | None, cap: float = 2.0):
        return retry_after_s(httpx.Response(503, headers={} if value is None else {"Retry-After": value}), cap)

    assert said("0.5") == 0.5 and said("5") == 2.0 and said("5", cap=30.0) == 5.0 and said("-3") == 0.0
    assert said("nan") is None and said("Wed, 21 Oct 2026 07:28:00 GMT") is None and said(None) is None
