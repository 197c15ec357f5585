"""In-process: /v1/chat/completions carries its citations in the shapes chat clients read (OpenAI annotations,
Open WebUI sources, Perplexity citations + search_results), plain and streamed, and follow-ups use the conversation."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.openai_compat import pieces, web_url
from api.schemas import seed_path
from api.wire import hit_json

from api_support import EN_QUESTION, JA_QUESTION, public, sse_chunks, sse_data

BASE = "http://testserver.local"  # the TestClient's base URL: every citation URL is absolute
MARKER = re.compile(r"\[(\d+)\]")


def chat(client, question: str, **extra: Any):
    return client.post("/v1/chat/completions", json={"top_k": 4, **extra,
                                                     "messages": [{"role": "user", "content": question}]})


def view(c) -> str:
    return f"{BASE}/documents/{c.doc_id}?start={c.start}&end={c.end}"


def check_citation_shapes(body: dict[str, Any], annotations: list[dict[str, Any]], answer_text: str, answer,
                          seed_file) -> None:
    """Every shape lists exactly the cited passages, numbered by first appearance; annotations sit on the markers."""
    numbers = [int(n) for n in MARKER.findall(answer_text)]
    assert numbers and list(dict.fromkeys(numbers)) == list(range(1, len(answer.citations) + 1))
    results = body["search_results"]
    hits = {h.citation: h for h in answer.passages}
    assert len(results) == len(answer.citations)
    for r, c in zip(results, answer.citations):
        hit = hits[c]
        assert r == {"title": c.title, "url": view(c), "date": c.published, "snippet": hit.passage.text,
                     "doc_id": c.doc_id, "start": c.start, "end": c.end, "passage_id": hit.passage.passage_id,
                     "source_file": seed_path(c.source_file), "source_url": web_url(c.url),
                     "sources": [{"title": s.title, "url": web_url(s.url)} for s in c.sources]}
        assert seed_file(c.source_file)[r["start"] : r["end"]] == r["snippet"]
    assert body["citations"] == [r["url"] for r in results]
    assert body["sources"] == [
        {"source": {"id": r["passage_id"], "name": r["title"], "url": r["url"]}, "document": [r["snippet"]],
         "metadata": [{"source": r["passage_id"], "name": r["title"], "source_url": r["source_url"] or r["url"]}]}
        for r in results]
    assert len({r["passage_id"] for r in results}) == len(results)
    # one annotation per cited passage, entry n - 1 for [n] (LobeChat links [n] to it), at the first "[n]"
    assert [a["type"] for a in annotations] == ["url_citation"] * len(results)
    for n, a in enumerate(annotations, start=1):
        cite = a["url_citation"]
        assert cite["start_index"] == answer_text.index(f"[{n}]")
        assert answer_text[cite["start_index"] : cite["end_index"]] == f"[{n}]"
        assert (cite["url"], cite["title"]) == (results[n - 1]["url"], results[n - 1]["title"])
    assert body["passages"] == public([hit_json(h, ".") for h in answer.passages])


def test_plain_completion_carries_annotations_sources_and_search_results(client, core_answer, seed_file):
    answer = core_answer(EN_QUESTION)
    response = client.post("/v1/chat/completions", json={
        "model": "anything", "top_k": 4, "temperature": 0.2, "user": "ignored-extra-field",
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": "Tell me about Russia and China."},
                     {"role": "assistant", "content": "an earlier answer"},
                     {"role": "user", "content": [{"type": "text", "text": EN_QUESTION}]}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "object", "created", "model", "choices", "usage", "citations", "search_results",
                         "sources", "passages", "lang", "index_version", "generator", "shed", "covered"}
    assert (body["object"], body["model"], body["lang"], body["generator"], body["covered"]) == (
        "chat.completion", "newsrag", "en", "extractive", True)
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    footer = "\n".join(["Sources:", *(f"[{n}] {c.title}" + (f" ({c.published[:10]})" if c.published else "")
                                     + f" {view(c)}" + (f" — {web_url(c.url)}" if web_url(c.url) else "")
                                     for n, c in enumerate(answer.citations, start=1))])
    assert content == f"{answer.answer}\n\n{footer}"
    check_citation_shapes(body, choice["message"]["annotations"], answer.answer, answer, seed_file)
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_each_citation_url_opens_the_article_view(client, core_answer):
    answer = core_answer(EN_QUESTION)
    url = view(answer.citations[0])
    page = client.get(url.removeprefix(BASE))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # the page highlights raw[start:end] of /v1/documents/{doc_id}: exactly the cited passage
    c = answer.citations[0]
    hit = next(h for h in answer.passages if h.citation == c)
    assert client.get(f"/v1/documents/{c.doc_id}").json()["raw"][c.start : c.end] == hit.passage.text


@pytest.mark.parametrize("include_usage", [False, True])
def test_the_stream_has_choices_in_every_chunk_but_the_usage_one_and_ends_with_the_annotations(
        client, core_answer, seed_file, include_usage):
    answer = core_answer(JA_QUESTION)
    plain = chat(client, JA_QUESTION).json()
    extra = {"stream_options": {"include_usage": include_usage}} if include_usage else {}
    response = chat(client, JA_QUESTION, stream=True, **extra)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    # no named events, ids or retry fields: strict clients read every event as a chunk
    fields = {line.split(":", 1)[0] for line in response.text.split("\n") if line}
    assert fields == {"data"}
    chunks = sse_chunks(response.text)
    usage_chunks = [c for c in chunks if c.get("usage")]
    if include_usage:
        *chunks, last = chunks
        assert last["choices"] == [] and usage_chunks == [last]
        assert last["usage"] == plain["usage"]
        assert all("usage" in c and c["usage"] is None for c in chunks)  # null before the last, as OpenAI sends it
    else:
        assert usage_chunks == [] and not any("usage" in c for c in chunks)
    assert all(len(c["choices"]) == 1 for c in chunks)
    assert {c["id"] for c in chunks} == {chunks[0]["id"]}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["choices"][0]["finish_reason"] is None and "citations" not in c for c in chunks[:-1])
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["choices"][0]["delta"] == {"annotations": plain["choices"][0]["message"]["annotations"]}
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert content == plain["choices"][0]["message"]["content"]
    # a Japanese question's answer lists its sources under a Japanese heading, as its own framing is Japanese
    assert content.startswith(answer.answer + "\n\n出典:\n[1] ") and "Sources:" not in content
    for key in ("citations", "search_results", "sources", "passages", "lang", "generator", "covered"):
        assert final[key] == plain[key], key
    assert final["lang"] == "ja" and final["covered"] is True
    check_citation_shapes(final, final["choices"][0]["delta"]["annotations"], answer.answer, answer, seed_file)


@pytest.mark.parametrize("question", ["Tell me a joke", "ペルーの首都は？"])
def test_a_question_the_articles_do_not_cover_gets_a_reply_that_quotes_nothing_and_lists_the_closest_passages(
        client, core_answer, question):
    """rag/answers/coverage/: no passage is about a general question, so none is quoted as its answer (no marker,
    so no annotation); the closest are still the sources, and `covered` says why."""
    answer = core_answer(question)
    assert answer.covered is False and len(answer.citations) == 3
    assert answer.citations == tuple(h.citation for h in sorted(answer.passages, key=lambda h: h.rank)[:3])
    plain = chat(client, question).json()
    message = plain["choices"][0]["message"]
    text, heading, footer = message["content"].partition("\n\n出典:\n" if question.endswith("？") else "\n\nSources:\n")
    assert heading and text == answer.answer and not MARKER.search(text) and message["annotations"] == []
    assert len(footer.splitlines()) == len(plain["sources"]) == len(plain["search_results"]) == len(answer.citations)
    assert plain["covered"] is False and len(plain["passages"]) == len(answer.passages)
    chunks = sse_chunks(chat(client, question, stream=True).text)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == message["content"]
    assert chunks[-1]["covered"] is False and chunks[-1]["choices"][0]["delta"] == {"annotations": []}
    ask = client.post("/v1/ask", json={"question": question, "top_k": 4}).json()
    assert ask["covered"] is False and ask["answer"] == answer.answer
    assert [c["start"] for c in ask["citations"]] == [c.start for c in answer.citations]


@pytest.mark.parametrize("question, lang", [("hello", "en"), ("こんにちは", "ja")])
def test_a_greeting_gets_the_small_talk_reply_that_searches_and_lists_nothing(client, question, lang):
    """A greeting asks nothing: the chat answers it with a short reply in its language, no passage, no source, no
    annotation, plain and streamed alike; /v1/ask, which answers single questions, searches it and says it is not
    covered."""
    from rag.answers.coverage import SMALL_TALK

    plain = chat(client, question).json()
    message = plain["choices"][0]["message"]
    # a greeting is greeted back (a probe's: the bare prompt read oddly), in its language
    greeted = {"en": f"Hello! {SMALL_TALK['en']}", "ja": f"こんにちは。{SMALL_TALK['ja']}"}[lang]
    assert message["content"] == greeted and message["annotations"] == []
    assert plain["covered"] is False and plain["passages"] == plain["sources"] == plain["search_results"] == []
    chunks = sse_chunks(chat(client, question, stream=True).text)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == greeted
    ask = client.post("/v1/ask", json={"question": question, "top_k": 4}).json()
    assert ask["covered"] is False and len(ask["citations"]) == 3


def test_a_follow_up_is_searched_through_the_earlier_user_turns(client):
    first = "Where did Putin and Xi Jinping hold talks in late April 2025?"
    follow_up = "How long did it last?"
    messages = [{"role": "user", "content": first}, {"role": "assistant", "content": "In Moscow [1]."},
                {"role": "user", "content": follow_up}]
    body = client.post("/v1/chat/completions", json={"messages": messages, "top_k": 5}).json()
    alone = chat(client, follow_up, top_k=5).json()
    raw = client.get("/v1/documents/004_b790a10d624dd4e2").json()["raw"]
    quote = "モスクワで7時間"

    def finds(b: dict[str, Any]) -> bool:
        return any(quote in raw[p["citation"]["start"] : p["citation"]["end"]] for p in b["passages"]
                   if p["citation"]["doc_id"] == "004_b790a10d624dd4e2")

    assert finds(body) and not finds(alone)
    assert body["passages"] != alone["passages"]


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b=1", True), ("http://example.org", True), ("HTTPS://EXAMPLE.ORG/", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), (" javascript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False), ("file:///etc/passwd", False), ("/documents/x", False),
    ("//example.org/x", False), ("https://", False), ("http://exa mple.org", False), ("http://a\n.org", False),
    ("", False), (None, False),
])
def test_only_absolute_http_urls_are_passed_on(url, ok):
    assert web_url(url) == (url if ok else None)


def test_a_question_over_the_limit_is_a_clean_4xx_before_any_byte_of_a_stream(client):
    response = chat(client, "x" * 5000, stream=True)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_query"  # OpenAI's status and shape
    assert sse_data(response.text) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="中国との同盟関係を述べた。 ab", min_size=1, max_size=40),
                          st.integers(1, 12).map(lambda n: f"[{n}]")), max_size=30))
def test_a_streamed_answer_is_cut_into_short_pieces_never_inside_a_marker(parts):
    text = "".join(parts)
    cut = pieces(text)
    assert "".join(cut) == text and all(cut)
    ends = set(itertools.accumulate(len(p) for p in cut))
    for m in MARKER.finditer(text):  # no piece ends inside a marker
        assert not any(m.start() < end < m.end() for end in ends), (text, cut)
    assert all(len(p) <= 32 + 4 or MARKER.search(p) for p in cut)


def test_with_a_public_url_citation_links_are_made_from_it_not_from_the_requests_host(serve_app, api_settings):
    # behind a proxy the Host the service sees is its own (or whatever a client sent): links must name the public one
    with serve_app(api_settings.replace(public_url="https://news.example.org/rag/")) as c:
        body = c.post("/v1/chat/completions", headers={"Host": "evil.example"},
                      json={"messages": [{"role": "user", "content": JA_QUESTION}]}).json()
    urls = body["citations"] + [r["url"] for r in body["search_results"]]
    assert urls and all(u.startswith("https://news.example.org/rag/documents/") for u in urls)
    assert "evil.example" not in body["choices"][0]["message"]["content"]
