"""In-process API tests: /v1/ask (and the chat) extractive and through a fake LLM server."""

from __future__ import annotations

import re

import pytest

from api.wire import answer_json

from api_support import EN_QUESTION, JA_QUESTION, public, without

try:  # the answers team's fake OpenAI-compatible server
    from answers.fake_llm import FakeLLM
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.fake_llm import FakeLLM

MARKER = re.compile(r"\[(\d+)\]")


@pytest.mark.parametrize("question", [EN_QUESTION, JA_QUESTION])
def test_ask_body_is_the_answers_json(client, core_answer, check_citation, question):
    response = client.post("/v1/ask", json={"question": question, "top_k": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = answer_json(core_answer(question), ".")
    assert without(body, "took_ms") == public(without(expected, "took_ms"))
    assert body["generator"] == "extractive" and body["fallback"] is None and body["covered"] is True
    assert body["lang"] == ("ja" if question == JA_QUESTION else "en")  # as the chat completion says it
    numbers = {int(n) for n in MARKER.findall(body["answer"])}
    assert numbers == set(range(1, len(body["citations"]) + 1))
    for hit in body["passages"]:
        check_citation(hit["citation"], hit["text"])


def test_ask_takes_the_filters_search_takes(client):
    """A probe asked /v1/ask for one article's answer with /v1/search's filters and was turned away with a 400: the
    passages, and so the answer's sources, are drawn from those documents only; filters search refuses, ask refuses
    alike."""
    found = client.post("/v1/ask", json={"question": EN_QUESTION}).json()
    first = found["citations"][0]["doc_id"]
    other = next(d["doc_id"] for d in client.get("/v1/documents").json()["documents"] if d["doc_id"] != first)
    response = client.post("/v1/ask", json={"question": EN_QUESTION, "filters": {"doc_ids": [other]}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {h["citation"]["doc_id"] for h in body["passages"]} == {other}
    assert {c["doc_id"] for c in body["citations"]} == {other}
    # a question about the collection lists the articles the filters let through (a reviewer's: it listed them all)
    listed = client.post("/v1/ask", json={"question": "What articles do you have?", "filters": {"doc_ids": [other]}})
    assert {c["doc_id"] for c in listed.json()["citations"]} == {other}, listed.text
    # and says how many they let through, not the index's count alone; none, without an empty list (a third
    # reviewer's: "The 0 most recent:")
    n = len(listed.json()["citations"])
    assert f", {n} of them within the filters. " in listed.json()["answer"]
    none = client.post("/v1/ask", json={"question": "記事は何本ある?", "filters": {"published_from": "2099-01-01"}})
    assert none.json()["answer"].endswith("条件に合う記事はありません。") and none.json()["citations"] == []
    for bad, status in (({"published_from": "2025-06-02", "published_to": "2025-06-01"}, 422),
                        ({"doc_ids": "000"}, 400), ({"colour": "red"}, 400)):
        asked = client.post("/v1/ask", json={"question": EN_QUESTION, "filters": bad})
        searched_bad = client.post("/v1/search", json={"query": EN_QUESTION, "filters": bad})
        assert asked.status_code == searched_bad.status_code == status, (bad, asked.text)
        assert asked.json()["error"] == searched_bad.json()["error"]


# The chat completion's body and stream are tested in test_chat_citations.py.


# -- the generative path, against the answers team's fake OpenAI-compatible server ------------------------------

def _llm_settings(api_settings, llm):
    return api_settings.replace(llm_base_url=llm.base_url, llm_timeout_s=0.5, llm_retries=0)


def test_ask_uses_the_configured_llm(serve_app, api_settings):
    with FakeLLM(["reply"]) as llm, serve_app(_llm_settings(api_settings, llm)) as c:
        body = c.post("/v1/ask", json={"question": EN_QUESTION, "top_k": 3}).json()
        chat = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}]}).json()
    assert body["generator"] == "llm" and body["fallback"] is None
    assert "[1]" in body["answer"] and "[9]" not in body["answer"]  # the fake's bogus [9] is dropped
    assert len(body["citations"]) == 1
    assert EN_QUESTION in llm.requests[0].prompt
    assert chat["generator"] == "llm" and chat["choices"][0]["message"]["content"].startswith("Lavrov said")
    assert "Sources:\n[1]" in chat["choices"][0]["message"]["content"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_clients_max_tokens_is_asked_of_the_model_too(serve_app, api_settings, stream):
    # it was only cut from the model's whole answer afterwards: a client paying per token paid for what it never read
    asked = {"messages": [{"role": "user", "content": EN_QUESTION}], "stream": stream}
    with FakeLLM(["reply"]) as llm, serve_app(_llm_settings(api_settings, llm)) as c:
        limited = c.post("/v1/chat/completions", json={**asked, "max_tokens": 12})
        newer = c.post("/v1/chat/completions", json={**asked, "max_completion_tokens": 7})
        whole = c.post("/v1/chat/completions", json=asked)
        ask = c.post("/v1/ask", json={"question": EN_QUESTION})
    assert limited.status_code == newer.status_code == whole.status_code == ask.status_code == 200
    sent = [r.body for r in llm.requests]
    assert [b.get("max_completion_tokens") for b in sent] == [12, 7, None, None]
    assert all("max_tokens" not in b and b["stream"] == (stream and i < 3) for i, b in enumerate(sent))


@pytest.mark.parametrize("behaviour", ["error500", "hang", "invalid_json"])
def test_ask_falls_back_to_an_extractive_answer_when_the_llm_fails(serve_app, api_settings, behaviour):
    with FakeLLM([behaviour], hang_s=5) as llm, serve_app(_llm_settings(api_settings, llm)) as c:
        response = c.post("/v1/ask", json={"question": EN_QUESTION, "top_k": 3})
        ready = c.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["generator"] == "extractive" and body["fallback"], body
    assert MARKER.search(body["answer"]) and body["citations"]
    if behaviour == "hang":
        assert "timeout" in body["fallback"]
    assert ready.status_code == 200
