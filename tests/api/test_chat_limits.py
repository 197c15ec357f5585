"""In-process: an OpenAI client's max_tokens / max_completion_tokens and stop end the assistant text as a model's
would (api/cut.py), plain and streamed alike, and the fields this service cannot honour or that are mistyped are
refused with OpenAI's error shape."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.cut import Cut, cut_text
from rag.tokens import count

from api_support import EN_QUESTION, JA_QUESTION, assert_openai_error, sse_chunks


def chat(client, question: str = JA_QUESTION, **extra: Any):
    return client.post("/v1/chat/completions", json={"top_k": 4, **extra,
                                                     "messages": [{"role": "user", "content": question}]})


def streamed(client, **extra: Any) -> tuple[str, list[dict[str, Any]]]:
    """(the streamed text, the chunks) of a streamed chat."""
    response = chat(client, stream=True, stream_options={"include_usage": True}, **extra)
    assert response.status_code == 200, response.text
    chunks = sse_chunks(response.text)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    return text, chunks


def finish(chunks: list[dict[str, Any]]) -> str:
    return next(c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])


def test_max_tokens_cuts_the_text_and_says_length_plain_and_streamed(client) -> None:
    whole = chat(client).json()
    full = whole["choices"][0]["message"]["content"]
    assert count(full) > 40 and whole["choices"][0]["finish_reason"] == "stop"
    body = chat(client, max_tokens=20).json()
    message, choice = body["choices"][0]["message"], body["choices"][0]
    assert choice["finish_reason"] == "length" and full.startswith(message["content"])
    assert 15 <= count(message["content"]) <= 20
    assert body["usage"]["completion_tokens"] == count(message["content"])
    # only the markers left in the text are annotated; the sources are still all listed
    assert all(a["url_citation"]["end_index"] <= len(message["content"]) for a in message["annotations"])
    assert len(message["annotations"]) < len(whole["choices"][0]["message"]["annotations"])
    assert body["citations"] == whole["citations"]
    text, chunks = streamed(client, max_tokens=20)
    assert text == message["content"] and finish(chunks) == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == count(text)
    # the newer name wins over the older one, as OpenAI reads them
    assert chat(client, max_tokens=20, max_completion_tokens=8).json()["usage"]["completion_tokens"] <= 8
    # a limit the text fits in changes nothing
    roomy = chat(client, max_tokens=count(full)).json()["choices"][0]
    assert roomy["message"]["content"] == full and roomy["finish_reason"] == "stop"


@pytest.mark.parametrize("stop", ["\n\n", ["出典", "\n\n"], ["]"]])
def test_stop_ends_the_text_before_the_first_stop_sequence_plain_and_streamed(client, stop) -> None:
    full = chat(client).json()["choices"][0]["message"]["content"]
    stops = [stop] if isinstance(stop, str) else stop
    first = min(i for s in stops if (i := full.find(s)) >= 0)
    body = chat(client, stop=stop).json()
    assert body["choices"][0]["message"]["content"] == full[:first]
    assert body["choices"][0]["finish_reason"] == "stop"
    text, chunks = streamed(client, stop=stop)
    assert text == full[:first] and not any(s in text for s in stops)


@given(st.lists(st.text(alphabet="ab]", max_size=6), max_size=8), st.sampled_from(["]]", "ab", "b]a"]),
       st.one_of(st.none(), st.integers(1, 12)))
@settings(max_examples=200, deadline=None)
def test_a_stream_cut_in_pieces_is_the_text_cut_whole(pieces, stop, max_tokens) -> None:
    cut = Cut(max_tokens, [stop])
    sent = "".join(cut.feed(p) for p in pieces) + cut.close()
    whole, reason = cut_text("".join(pieces), max_tokens, [stop])
    assert sent == whole and (cut.finish or "stop") == reason
    assert stop not in sent and (max_tokens is None or count(sent) <= max_tokens)


@pytest.mark.parametrize(("extra", "param"), [
    ({"logprobs": True}, "logprobs"),
    ({"top_logprobs": 5}, "top_logprobs"),
    ({"top_logprobs": 50}, "top_logprobs"),
    ({"top_logprobs": -3}, "top_logprobs"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"stop": 5}, "stop"),
    ({"seed": "abc"}, "seed"),
    ({"user": 5}, "user"),
    ({"tools": "x"}, "tools"),
    ({"metadata": "bad"}, "metadata"),
    ({"stream": False, "stream_options": {"include_usage": True}}, "stream_options"),
])
def test_what_cannot_be_honoured_or_is_mistyped_is_refused_by_name(client, extra, param) -> None:
    error = assert_openai_error(chat(client, EN_QUESTION, **extra), 400)
    assert error["param"] == param, error


def test_the_fields_openai_clients_send_by_default_are_answered(client) -> None:
    response = chat(client, EN_QUESTION, logprobs=False, top_logprobs=0, seed=7, user="u-1", metadata={"k": "v"},
                    tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}], stop=None,
                    stream_options=None)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    # OpenAI's always-present fields, null here: strict clients index them
    assert "logprobs" in choice and choice["logprobs"] is None
    assert "refusal" in choice["message"] and choice["message"]["refusal"] is None
