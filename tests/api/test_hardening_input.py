"""Hostile input against the real app (in-process, real models and index): tokens, NUL and invisible characters,
deep JSON, dates, the OpenAI error shape, and questions that would hold the encoders."""

from __future__ import annotations

import json

import pytest

from api.errors import is_openai_path
from rag.retrieval import Searcher
from api.wire import result_json

from api_support import EN_QUESTION, assert_error, assert_openai_error, public, sse_chunks, without

EMOJI_2000 = "😀" * 2000  # 2,000 characters, ~2,000 e5 tokens: under the character limit, four e5 windows
RARE_KANJI_2000 = "".join(chr(0x20000 + 7 * i) for i in range(2000))
DEEP = "[" * 1000 + "]" * 1000


def _post(client, path: str, question: str, **extra):
    if path == "/v1/search":
        return client.post(path, json={"query": question, **extra})
    if path == "/v1/ask":
        return client.post(path, json={"question": question, **extra})
    return client.post(path, json={"messages": [{"role": "user", "content": question}], **extra})


def _refused(response, path: str, status: int, code: str) -> str:
    """The error message, after checking the shape the endpoint promises (a question refused with 422 elsewhere is
    a 400 on the OpenAI-compatible surface, as OpenAI answers it)."""
    if is_openai_path(path):
        error = assert_openai_error(response, 400 if status == 422 else status)
        assert error["code"] == code, error
        return error["message"]
    body = assert_error(response, status)
    assert body["error"] == code, body
    return body["detail"]


ENDPOINTS = ["/v1/search", "/v1/ask", "/v1/chat/completions"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("question", [EMOJI_2000, RARE_KANJI_2000], ids=["emoji", "rare-kanji"])
def test_a_question_over_the_token_limit_is_refused_before_any_encoding(client, api_settings, path, question):
    assert len(question) <= api_settings.max_query_chars
    detail = _refused(_post(client, path, question), path, 422, "invalid_query")
    assert "tokens" in detail and str(api_settings.max_query_tokens) in detail


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("question", ["What did Lavrov\x00 say about China?", "\x00", "ラヴロフ\x00外相"])
def test_a_nul_character_is_refused_everywhere(client, path, question):
    detail = _refused(_post(client, path, question), path, 422, "invalid_query")
    assert "NUL" in detail


def test_a_nul_character_is_refused_in_every_search_mode(client, searcher):
    for mode in searcher.modes:  # refused before any component sees it, so no component reads a truncated question
        body = assert_error(client.post("/v1/search", json={"query": "Lavrov\x00 China", "mode": mode}), 422)
        assert "NUL" in body["detail"], mode


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("question", ["\u200b\ufeff", "\u200b \u200c\u200d\u2060 \ufeff\n", "\u00ad\t"])
def test_a_question_of_only_invisible_characters_is_blank(client, path, question):
    detail = _refused(_post(client, path, question), path, 422, "invalid_query")
    assert "empty" in detail


@pytest.mark.parametrize("path", ["/v1/search", "/v1/ask"])
@pytest.mark.parametrize("question", ["?!?…。、「」", "🌧️⚽💴", "\u0301\u0301"], ids=["punctuation", "emoji", "marks"])
def test_a_question_of_no_word_is_refused_not_answered_with_any_passage(client, path, question):
    """A probe's: "?!?…。、「」" and "🌧️⚽💴" were answered, covered, with whatever passages came first. A word is a
    letter or a digit of any script: "G7?" and 「2025年」 are questions."""
    detail = _refused(_post(client, path, question), path, 422, "invalid_query")
    assert "no word" in detail, detail
    for words in ("G7?", "2025?", "ラブロフ？"):
        assert client.post("/v1/search", json={"query": words, "top_k": 1}).status_code == 200, words


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_message_of_no_word_is_small_talk_answered_in_the_conversations_language(client, stream):
    """"👍" after an answer is answered as "Thanks!" is, quoting nothing, not refused (a reviewer's: a chat client
    showed an error); a blank one and one with a NUL are still refused."""
    from rag.answers.coverage import SMALL_TALK

    for earlier, lang in (("What did Lavrov say about China?", "en"), ("ラブロフは中国について何と言ったか", "ja")):
        messages = [{"role": "user", "content": earlier}, {"role": "assistant", "content": "…[1]"},
                    {"role": "user", "content": "👍"}]
        r = client.post("/v1/chat/completions", json={"messages": messages, "stream": stream})
        assert r.status_code == 200, r.text
        text = ("".join(c["choices"][0]["delta"].get("content") or "" for c in sse_chunks(r.text) if c.get("choices"))
                if stream else r.json()["choices"][0]["message"]["content"])
        assert text == SMALL_TALK[lang], text  # as "Thanks!" is: searched for nothing, listing nothing (reviewers')
        if not stream:
            assert r.json()["passages"] == [] and r.json()["covered"] is False
    # an English thanks in a Japanese conversation is answered in Japanese (a reviewer's)
    messages = [{"role": "user", "content": "ラブロフは中国について何と言ったか"}, {"role": "assistant", "content": "…[1]"},
                {"role": "user", "content": "thanks!"}]
    body = client.post("/v1/chat/completions", json={"messages": messages}).json()
    assert body["choices"][0]["message"]["content"] == "どういたしまして。" + SMALL_TALK["ja"]
    # small talk is answered without a search only within a question's limits (a reviewer's: "thanks\x00" and
    # 21,000 characters of thanks were answered)
    for refused in ("thanks\x00", "thanks " * 3000):
        assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": refused}]}
                           ).status_code in (400, 413, 422), refused[:20]
    for refused in (" ", "?\x00"):
        assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": refused}]}
                           ).status_code == 400, refused


def test_the_length_limit_is_checked_after_stripping(client, api_settings, searcher):
    text = ("peace talks " * 200)[: api_settings.max_query_chars - 10].strip()
    padded = " " * 10 + "\u200b" + text + " " * 20
    assert len(padded) > api_settings.max_query_chars
    response = client.post("/v1/search", json={"query": padded, "top_k": 3})
    assert response.status_code == 200, response.text
    assert response.json()["query"] == text
    assert without(response.json(), "took_ms") == public(without(result_json(searcher.search(text, 3), api_settings.seeds_dir), "took_ms"))
    too_long = assert_error(client.post("/v1/search", json={"query": "x" * (api_settings.max_query_chars + 1)}), 422)
    assert "characters" in too_long["detail"]


@pytest.mark.parametrize("value", ["2024-01-01\n", "2024-01-01 ", " 2024-01-01", "2024-01-01T00:00"])
def test_a_date_filter_must_be_exactly_a_date(client, value):
    for key in ("published_from", "published_to"):
        body = assert_error(client.post("/v1/search", json={"query": "q", "filters": {key: value}}), 400)
        assert body["error"] == "invalid_request" and key in body["detail"]


@pytest.mark.parametrize(("path", "body", "code"), [
    # where any JSON is allowed (extra fields of a message or a content part), msgspec parses the nesting itself
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "q", "extra": %s}]}' % DEEP, "invalid_json"),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": [{"type": "text", "text": "q", "x": %s}]}]}'
     % DEEP, "invalid_json"),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "q"}], "x_client_state": %s}' % DEEP,
     "invalid_json"),
    # where a type is expected, the first bracket is already the wrong type
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "q"}], "metadata": %s}' % DEEP,
     "invalid_request"),
    ("/v1/search", '{"query": %s}' % DEEP, "invalid_request"),
    ("/v1/ask", '{"question": "q", "top_k": %s}' % ('{"a":' * 1000 + "1" + "}" * 1000), "invalid_request"),
])
def test_deeply_nested_json_is_a_400(client, caplog, path, body, code):
    response = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    message = _refused(response, path, 400, code)
    assert code == "invalid_request" or "deeply" in message
    assert not any("RecursionError" in (r.exc_text or r.getMessage()) for r in caplog.records)


def test_chat_errors_use_the_openai_shape(client):
    assert_openai_error(client.post("/v1/chat/completions", json={"messages": []}), 400)
    assert_openai_error(client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]}),
                        400)
    assert_openai_error(client.post("/v1/chat/completions", content=b"{", headers={"content-type": "application/json"}),
                        400)
    assert_openai_error(client.get("/v1/chat/completions"), 405)
    assert_openai_error(client.get("/v1/models/gpt-4"), 404)
    assert assert_error(client.post("/v1/search", json={}), 400)  # the rest of the API keeps {"error", "detail"}


@pytest.mark.parametrize("path", ["/v1/search", "/v1/chat/completions"])
def test_a_body_starting_with_a_byte_order_mark_is_refused_by_name(client, path):
    body = {"query": "q"} if path == "/v1/search" else {"messages": [{"role": "user", "content": "q"}]}
    response = client.post(path, content=b"\xef\xbb\xbf" + json.dumps(body).encode(),
                           headers={"content-type": "application/json"})
    assert "byte order mark" in _refused(response, path, 400, "invalid_json")


def test_the_functions_apis_function_role_is_taken_and_neither_searched_nor_the_question(client):
    messages = [{"role": "user", "content": EN_QUESTION},
                {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
                {"role": "function", "name": "f", "content": "ペルーの首都はリマ"}]
    with_function = client.post("/v1/chat/completions", json={"messages": messages, "top_k": 3})
    plain = client.post("/v1/chat/completions", json={"messages": messages[:1], "top_k": 3})
    assert with_function.status_code == plain.status_code == 200
    assert with_function.json()["passages"] == plain.json()["passages"]


TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]


@pytest.mark.parametrize("choice", [None, "auto", "none"])
def test_tools_the_client_leaves_to_the_model_are_answered_in_text(client, choice):
    body = {"messages": [{"role": "user", "content": EN_QUESTION}], "tools": TOOLS, "top_k": 2}
    response = client.post("/v1/chat/completions", json=body if choice is None else {**body, "tool_choice": choice})
    assert response.status_code == 200
    message = response.json()["choices"][0]
    assert message["finish_reason"] == "stop" and "tool_calls" not in message["message"]
    assert message["message"]["content"]


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_a_tool_call_the_client_demands_is_refused_not_waited_for(client, choice):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}],
                                                          "tools": TOOLS, "tool_choice": choice})
    error = assert_openai_error(response, 400)
    assert error["code"] == "invalid_request" and "calls no tools" in error["message"]
    assert ("'required'" if choice == "required" else "a named function") in error["message"]


@pytest.mark.parametrize("n", [2, 5, 0])
def test_chat_refuses_n_other_than_one(client, n):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}],
                                                          "n": n})
    error = assert_openai_error(response, 400)
    assert f"n={n}" in error["message"] and "one choice" in error["message"]


def test_chat_accepts_n_equal_to_one(client):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}],
                                                          "n": 1, "top_k": 2})
    assert response.status_code == 200 and len(response.json()["choices"]) == 1


# -- questions that would hold the encoders ---------------------------------------------------------------------

@pytest.fixture
def gated(searcher, api_settings):
    """A Searcher over the session index whose questions over 8 tokens are 'long', one at a time, waiting 0.3 s."""
    settings = api_settings.replace(heavy_query_tokens=8, heavy_query_slots=1, query_wait_s=0.3,
                                    max_pending_queries=3)
    return settings, Searcher(searcher.index, searcher.embedders, searcher.analyzer, settings)


def test_a_long_question_waits_its_turn_then_gets_503_with_retry_after(serve_app, gated):
    settings, searcher = gated
    with serve_app(settings, searcher=searcher) as c, searcher.intake.admit(tokens=100):  # a long one is running
        long = c.post("/v1/search", json={"query": EN_QUESTION})  # 16 tokens: long here
        short = c.post("/v1/search", json={"query": "Lavrov China", "top_k": 2})  # 6 tokens: not held up
        chat = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}]})
    body = assert_error(long, 503)
    assert body["error"] == "overloaded" and long.headers["retry-after"] == "1"
    assert short.status_code == 200 and len(short.json()["results"]) == 2
    assert assert_openai_error(chat, 503)["code"] == "overloaded" and chat.headers["retry-after"] == "1"


def test_too_many_waiting_questions_get_503_at_once(serve_app, gated):
    settings, searcher = gated
    with serve_app(settings, searcher=searcher) as c:
        with searcher.intake.admit(1), searcher.intake.admit(1), searcher.intake.admit(1):
            full = c.post("/v1/search", json={"query": "Lavrov China"})
        after = c.post("/v1/search", json={"query": "Lavrov China"})
    assert assert_error(full, 503)["error"] == "overloaded" and full.headers["retry-after"] == "1"
    assert after.status_code == 200  # the places are given back



@pytest.mark.parametrize(("extra", "param"), [({"temperature": 3}, "temperature"), ({"top_k": "four"}, "top_k"),
                                               ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role")])
def test_an_openai_error_names_the_field_at_fault_as_param(client, extra, param):
    """OpenAI's clients show `param` beside the message (docs/hardening.md): the strict body check names the field."""
    error = assert_openai_error(_post(client, "/v1/chat/completions", "What did Lavrov say?", **extra), 400)
    assert error["param"] == param and error["message"].startswith(f"{param}: ") and error["code"] == "invalid_request"
    # the rest of the API says the same in its own shape (top_k may be null, the default, so its type reads `int | null`)
    if param == "top_k":
        body = assert_error(_post(client, "/v1/search", "What did Lavrov say?", top_k="four"), 400)
        assert body["detail"] == error["message"] == "top_k: Expected `int | null`, got `str`"


@pytest.mark.parametrize(("extra", "param", "says"), [
    ({"n": 2}, "n", "n=2: this service returns exactly one choice"),
    ({"tool_choice": "required"}, "tool_choice", "tool_choice 'required': this service calls no tools"),
    ({"response_format": {"type": "json_object"}}, "response_format", "response_format 'json_object': this service"),
])
def test_a_refused_option_of_the_whole_request_names_it_as_param_too(client, extra, param, says):
    """Checked on the whole request, these named no field (`param` null), where OpenAI names it."""
    error = assert_openai_error(_post(client, "/v1/chat/completions", "What did Lavrov say?", **extra), 400)
    assert error["param"] == param and error["message"].startswith(says), error


def test_a_question_typed_all_in_capitals_is_read_as_typed_and_answered(client):
    """e5 and USE are cased: "WHY IS THE TAIJIMA FERRY CLOSING?" got a best USE cosine of 0.11 and was refused as not
    covered (a probe's), and 61 of the 2,154 seen English questions typed in capitals were. The encoders read it as
    people type ("Who did Lavrov meet in Tehran?"); the answer quotes his meeting, as for the question as typed."""
    shouted = client.post("/v1/ask", json={"question": "WHO DID LAVROV MEET IN TEHRAN?"}).json()
    typed = client.post("/v1/ask", json={"question": "Who did Lavrov meet in Tehran?"}).json()
    assert shouted["covered"] and typed["covered"]
    assert shouted["citations"][0]["doc_id"] == typed["citations"][0]["doc_id"]
    assert "テヘランでイランのアラグチ外相" in shouted["answer"].split("[1]")[0]
    assert shouted["question"] == "WHO DID LAVROV MEET IN TEHRAN?"  # the question as asked


@pytest.mark.parametrize("path", ["/v1/search", "/v1/ask"])
@pytest.mark.parametrize("odd, plain", [
    ("Ｗｈａｔ ｄｉｄ Ｌａｖｒｏｖ ｓａｙ ａｂｏｕｔ ａｎ ａｌｌｉａｎｃｅ ｗｉｔｈ Ｃｈｉｎａ？", EN_QUESTION),
    ("W̷h̢a̴t̵ d̶i̸d̷ L̵a̶v̴r̸o̵v̶ s̷a̵y̶ a̴b̸o̵u̶t̷ a̵n̶ a̴l̸l̵i̶a̷n̵c̶e̴ w̸i̵t̶h̷ C̵h̶i̴n̸a̵?", EN_QUESTION),
    # Hepburn's macrons ("Saitō", "Tōkyō"): the seeds name no Japanese person, so they sit on this question's vowels
    ("Whāt did Lavrōv say about an allīance with Chīnā?", EN_QUESTION),
], ids=["full-width", "combining-marks", "macrons"])
def test_a_question_typed_in_full_width_letters_or_with_stray_marks_is_read_as_its_plain_letters(client, path, odd,
                                                                                              plain):
    """A probe's: the full-width "Ｈｏｗ ｍａｎｙ ｐａｓｓｅｎｇｅｒｓ…？" (a Japanese keyboard's Latin letters) found other
    passages than the same question in ASCII, and "M̷̢u̴r̵a̶i̸ said what?" (combining marks over each letter) another
    article's. Both are read as the letters they show; a Japanese question keeps its full-width signs."""
    key = "query" if path == "/v1/search" else "question"
    odd_body, plain_body = (client.post(path, json={key: q}).json() for q in (odd, plain))
    name = "results" if path == "/v1/search" else "citations"
    ids = [[(c.get("citation") or c)["doc_id"] + str((c.get("citation") or c)["start"]) for c in body[name]]
           for body in (odd_body, plain_body)]
    assert ids[0] == ids[1]
    if path == "/v1/ask":
        assert odd_body["answer"] == plain_body["answer"]
    japanese = client.post("/v1/search", json={"query": "ラブロフ外相は？", "top_k": 1}).json()
    assert japanese["query"] == "ラブロフ外相は？"
