"""A chat frontend's housekeeping prompt (Open WebUI's title, tags, follow-ups, search queries, sent to the chat model
itself) gets the JSON object it asks for, is not searched, and never fails for being long: api/client_tasks.py."""

from __future__ import annotations

import json

import pytest

from api.client_tasks import client_task, shortened

from api_support import EN_QUESTION, JA_QUESTION

try:  # the answers team's fake OpenAI-compatible server
    from answers.fake_llm import FakeLLM
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.fake_llm import FakeLLM


def task_prompt(kind: str, history: str) -> str:
    """A prompt in the shape Open WebUI's task templates have (written here, not copied): a "### Task:" header,
    guidelines, the JSON object asked for under "### Output:", examples, then the conversation in <chat_history>."""
    asks = {"title": ('Write a short title for the conversation.', '{ "title": "the title" }',
                      '- { "title": "Oil Prices" }'),
            "tags": ("List a few tags for the conversation's themes.", '{ "tags": ["tag1", "tag2"] }',
                     '- { "tags": ["Energy"] }'),
            "follow_ups": ("Suggest questions the user might ask next.", '{ "follow_ups": ["Question?"] }', ""),
            "queries": ("Write search queries for the last question.", '{ "queries": ["query"] }', ""),
            "none": ("Reply with one emoji for the conversation's mood.", "a single emoji", "")}[kind]
    guidelines = "\n".join(f"- {g}" for g in (
        "Say what the conversation is mainly about, not how it went.", "Keep it short, clear and plain.",
        "Use the language the conversation mostly uses; if it mixes several, use English.",
        "Prefer being accurate to being creative or clever.", "Do not add quotation marks, markdown or decoration.",
        "Answer with the JSON object alone, with no text before or after it and no code fences around it.",
        "Do not explain the answer or comment on the conversation.", "Never invent facts that are not in it."))
    return (f"### Task:\n{asks[0]}\n### Guidelines:\n{guidelines}\n### Output:\n"
            f"JSON format: {asks[1]}\n### Examples:\n{asks[2]}\n### Chat History:\n<chat_history>\n{history}\n"
            "</chat_history>")


def history_after_one_exchange(client) -> str:
    """The conversation after a real first exchange: the question and this service's whole reply."""
    reply = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}]})
    assert reply.status_code == 200
    return f"USER: {EN_QUESTION}\nASSISTANT: {reply.json()['choices'][0]['message']['content']}"


def chat(client, content: str, **extra):
    return client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": content}], **extra})


def test_a_title_task_after_a_long_answer_gets_a_title_not_a_refusal_and_searches_nothing(client, searcher,
                                                                                           monkeypatch):
    history = history_after_one_exchange(client)
    prompt = task_prompt("title", history)
    # searched as a question, this prompt is over e5's limit: it was refused with every new chat
    assert client.post("/v1/search", json={"query": prompt}).status_code == 422
    searched = []
    monkeypatch.setattr(searcher, "search", lambda *a, **k: searched.append(a) or pytest.fail("searched"))
    response = chat(client, prompt)
    assert response.status_code == 200, response.text
    body = response.json()
    content = body["choices"][0]["message"]["content"]
    assert json.loads(content) == {"title": shortened(EN_QUESTION)}
    assert body["choices"][0]["message"]["annotations"] == [] and body["citations"] == [] and body["passages"] == []
    assert searched == [] and body["generator"] == "extractive"


@pytest.mark.parametrize(("kind", "expected"), [
    ("tags", {"tags": []}), ("follow_ups", {"follow_ups": []}),
    ("queries", {"queries": ["And what did China answer?"]}), ("none", {})])
def test_other_tasks_get_the_object_they_ask_for_from_the_conversation(client, kind, expected):
    history = f"USER: {EN_QUESTION}\nASSISTANT: He said it [1].\nUSER: And what did China answer?"
    response = chat(client, task_prompt(kind, history))
    assert response.status_code == 200, response.text
    assert json.loads(response.json()["choices"][0]["message"]["content"]) == expected


def test_a_streamed_task_reply_is_one_json_text_then_the_stop_chunk(client):
    history = f"USER: {JA_QUESTION}\nASSISTANT: 答え [1]"
    response = chat(client, task_prompt("title", history), stream=True, stream_options={"include_usage": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert json.loads(text) == {"title": shortened(JA_QUESTION)}
    stop = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop"]
    assert len(stop) == 1 and stop[0]["choices"][0]["delta"] == {"annotations": []} and stop[0]["lang"] == "ja"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_with_an_llm_the_task_prompt_goes_to_the_model_as_it_is(serve_app, api_settings):
    prompt = task_prompt("title", f"USER: {EN_QUESTION}\nASSISTANT: He said it [1].")
    with FakeLLM(["reply", "error500"], content='{ "title": "Lavrov on China" }') as llm, serve_app(
            api_settings.replace(llm_base_url=llm.base_url, llm_timeout_s=0.5, llm_retries=0)) as c:
        by_model = chat(c, prompt).json()
        fallback = chat(c, prompt).json()  # the model fails: the reply the task asks for, from the conversation
    assert llm.requests[0].body["messages"] == [{"role": "user", "content": prompt}]
    assert by_model["choices"][0]["message"]["content"] == '{ "title": "Lavrov on China" }'
    assert by_model["generator"] == "llm" and by_model["citations"] == []
    assert json.loads(fallback["choices"][0]["message"]["content"]) == {"title": shortened(EN_QUESTION)}
    assert fallback["generator"] == "extractive"


@pytest.mark.parametrize("question", [
    EN_QUESTION, JA_QUESTION,
    "### Task: what did Lavrov say about China?",  # a heading, but no quoted conversation: a question
    "What is <chat_history> in Open WebUI's prompts?",  # the tag, but no task header
    "Summarise this:\n### Task:\n<chat_history>USER: x</chat_history>",  # the header not at the start
])
def test_questions_are_never_taken_for_tasks(question):
    assert client_task(question) is None


def test_the_title_is_the_first_question_cut_at_a_word():
    assert shortened("short") == "short"
    long = "What did the Russian foreign minister say about building an alliance with China last week?"
    cut = shortened(long)
    assert len(cut) <= 51 and cut.endswith("…") and long.startswith(cut[:-1]) and long[len(cut) - 1] == " "
    ja = "ラブロフ外相は中国との同盟関係の構築について何を述べたのか、そしてその背景にはどのような国際情勢があるのかを詳しく知りたい"
    assert shortened(ja) == ja[:50] + "…"


# LobeChat's system agent: a summarizer's rules as the system message, the chat as "role: content" lines (the
# shape of its title chain; the wording here is ours)
SUMMARIZER = ("You summarise conversations. Write a short title that says what this conversation is about.\n"
              "Rules:\n- Reply with the title text only\n- At most 10 words\n- No punctuation")


def lobechat_title(client, history: str, **extra):
    return client.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": SUMMARIZER}, {"role": "user", "content": history}], **extra})


def test_a_title_asked_in_other_shapes_is_a_plain_title_and_searches_nothing(client, searcher, monkeypatch):
    answer = "ラブロフ外相は「中国との真の同盟関係の構築」に前向きだと述べた [1]\n\nSources:\n[1] …"
    monkeypatch.setattr(searcher, "search", lambda *a, **k: pytest.fail("searched"))
    lobechat = lobechat_title(client, f"user: {EN_QUESTION}\nassistant: {answer}\nuser: And the US?")
    # an older Open WebUI title template: no "### Task:" header, the conversation in <chat_history>
    webui = chat(client, f"Create a concise title of 3-5 words for the chat history, in its language.\n"
                         f"<chat_history>\nUSER: {JA_QUESTION}\nASSISTANT: {answer}\n</chat_history>")
    # a user asking in the chat itself
    asked = client.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": EN_QUESTION}, {"role": "assistant", "content": answer},
        {"role": "user", "content": "Generate a concise, 3-5 word title for this chat. Reply with the title only."}]})
    for response, first in ((lobechat, EN_QUESTION), (webui, JA_QUESTION), (asked, EN_QUESTION)):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["choices"][0]["message"]["content"] == shortened(first.rstrip("?？"))
        assert body["citations"] == [] and body["passages"] == [] and body["generator"] == "extractive"
    streamed = lobechat_title(client, f"user: {EN_QUESTION}\nassistant: {answer}", stream=True)
    text = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content", "")
                   for line in streamed.text.splitlines() if line.startswith("data: {") and '"choices":[{' in line)
    assert text == shortened(EN_QUESTION.rstrip("?"))


@pytest.mark.parametrize(("system", "messages"), [
    # a question about a title in the news, in a chat
    ("", [EN_QUESTION, "What was the title of the Global Times editorial?"]),
    # a quoted exchange, but nothing asks for a title
    ("You are a helpful assistant.", [f"user: {EN_QUESTION}\nassistant: He said it [1]."]),
    # a title asked for, but of no conversation: the first message
    ("", ["Give me a title for this chat"]),
])
def test_questions_about_titles_are_not_title_tasks(system, messages):
    assert client_task(messages[-1], system, tuple(messages[:-1])) is None


def test_with_an_llm_a_plain_title_task_goes_to_the_model_with_its_system_message(serve_app, api_settings):
    history = f"user: {EN_QUESTION}\nassistant: He said it [1]."
    with FakeLLM(["reply"], content="Lavrov on China") as llm, serve_app(
            api_settings.replace(llm_base_url=llm.base_url, llm_timeout_s=2, llm_retries=0)) as c:
        body = lobechat_title(c, history).json()
    assert llm.requests[0].body["messages"] == [{"role": "system", "content": SUMMARIZER},
                                                 {"role": "user", "content": history}]
    assert body["choices"][0]["message"]["content"] == "Lavrov on China" and body["generator"] == "llm"
