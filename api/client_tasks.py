"""A chat frontend's housekeeping requests, told apart from questions about the news.

Open WebUI sends its background tasks (the chat's title, its tags, follow-up suggestions, search queries) to the chat
model itself, unless its admin names a separate task model: one user message that starts with `### Task:`, holds
the conversation between `<chat_history>` tags, and asks for a JSON object (`{ "title": … }`). Searched as a question,
that prompt is the template's words plus the whole last answer: over e5's 512 tokens after the first exchange, so it
was refused, and every new chat in Open WebUI logged an error and kept no title. It is not a question about the
news, so it is not searched: with an LLM configured (RAG_LLM_BASE_URL) the prompt goes to the model as it is, which
is what Open WebUI expects; without one, or if the model fails, the reply is the JSON object the task asks for, made
from the conversation itself (the title is the chat's first question, shortened; tags and follow-ups are empty;
the search query is the last question).

A title is also asked for in other shapes, and the reply is then the title as plain text: LobeChat's system agent
sends a summarizer's instructions as the system message and the conversation as "user: …" / "assistant: …" lines;
older Open WebUI templates ask for a title over <chat_history> without the "### Task:" header; and a user may ask in
the chat itself for "a title for this chat". Answered from the news, each got a paragraph of quotes and sources, which
the client then showed as the chat's title.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

import httpx

from rag.answers import Answer
from rag.answers.llm import chat_completion
from rag.errors import LLMError
from rag.retrieval.engine import detect_language
from rag.settings import Settings

logger = logging.getLogger(__name__)

_TASK = re.compile(r"\A\s*###\s*Task:", re.IGNORECASE)
_HISTORY = re.compile(r"<chat_?history>(.*?)</chat_?history>", re.DOTALL | re.IGNORECASE)
_KEY = re.compile(r"\{\s*\"(\w+)\"\s*:")  # the key of the JSON object the task asks for
_TURN = re.compile(r"^(USER|ASSISTANT|SYSTEM|TOOL|HUMAN|AI):[ \t]*", re.MULTILINE | re.IGNORECASE)
_TRANSCRIPT = re.compile(r"\A\s*(?:user|human):", re.IGNORECASE)  # LobeChat's "user: …\nassistant: …"
_TITLE = re.compile(r"\btitles?\b|タイトル|表題|標題|题目|标题", re.IGNORECASE)
_THIS_CHAT = re.compile(r"\b(?:this|the|our|that)\s+(?:chat|conversation|discussion|thread)\b|この(?:チャット|会話)",
                        re.IGNORECASE)
TITLE_CHARS = 50


@dataclass(frozen=True, slots=True)
class ClientTask:
    """A frontend's task prompt: the JSON key it asks for (None when it names none), the user turns of the
    conversation it quotes, and, for a title asked as plain text (`plain`), the messages a model would be sent."""

    prompt: str
    key: str | None
    questions: tuple[str, ...]
    plain: bool = False
    messages: tuple[dict[str, str], ...] = ()


def client_task(question: str, instructions: str = "", earlier: tuple[str, ...] = (),
                messages: tuple[dict[str, str], ...] = ()) -> ClientTask | None:
    """The task, if the last user message is a frontend's task prompt rather than a question: Open WebUI's JSON
    tasks, or a title asked for a quoted conversation (in the system message or the last one) or for this chat.
    `instructions` are the system messages, `earlier` the user messages before the last, `messages` the whole chat
    as a model would be sent it."""
    history = _HISTORY.search(question)
    if _TASK.match(question) and history is not None:
        head = question[: history.start()]
        key = _KEY.search(head[head.rfind("### Output"):] if "### Output" in head else head)
        return ClientTask(question, key.group(1) if key else None, _user_turns(history.group(1)))
    if history is not None or _TRANSCRIPT.match(question):  # a conversation quoted whole
        quoted = history.group(1) if history is not None else question
        asks = f"{instructions}\n{question.replace(quoted, '')}"
        turns = _user_turns(quoted)
        if turns and _TITLE.search(asks):
            return ClientTask(question, None, turns, plain=True, messages=messages)
    if earlier and _TITLE.search(question) and _THIS_CHAT.search(question):  # "a title for this chat"
        return ClientTask(question, None, earlier, plain=True, messages=messages)
    return None


def _user_turns(history: str) -> tuple[str, ...]:
    """The user turns of a quoted conversation ("USER: …" / "ASSISTANT: …" lines in any case, a turn running to the
    next)."""
    marks = list(_TURN.finditer(history))
    turns = []
    for mark, after in zip(marks, marks[1:] + [None]):
        if mark.group(1).upper() in ("USER", "HUMAN"):
            text = " ".join(history[mark.end() : after.start() if after else len(history)].split())
            if text:
                turns.append(text)
    return tuple(turns)


def shortened(text: str, limit: int = TITLE_CHARS) -> str:
    """`text` cut to `limit` characters, at a space where one falls in its second half."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:、。") + "…"


def plain_title(question: str) -> str:
    """A chat's title from its first question, as a title is written: shortened, without the question mark."""
    return shortened(question.strip().rstrip("?？!！。.").strip())


def fallback_reply(task: ClientTask) -> str:
    """The title as plain text, or the JSON object the task asks for, made from the conversation alone."""
    if task.plain:
        return plain_title(task.questions[0]) if task.questions else ""
    first = task.questions[0] if task.questions else ""
    last = task.questions[-1] if task.questions else ""
    value: object = {"title": shortened(first), "tags": [], "follow_ups": [], "queries": [last] if last else []}.get(
        task.key or "", None)
    return json.dumps({task.key: value} if task.key and value is not None else {}, ensure_ascii=False)


def task_answer(task: ClientTask, settings: Settings, client: httpx.Client | None, index_version: str) -> Answer:
    """The reply to a task prompt as an Answer that cites nothing: the model's, or the fallback."""
    reply, generator = None, "extractive"
    if client is not None and settings.llm_base_url:
        try:
            sent = list(task.messages) if task.plain and task.messages else [{"role": "user", "content": task.prompt}]
            reply, generator = chat_completion(client, settings, sent), "llm"
        except LLMError as exc:
            logger.warning("a chat client's %s task went to the fallback reply: %s", task.key or "unnamed", exc)
    if reply is None:
        reply = fallback_reply(task)
    lang = detect_language(task.questions[0]) if task.questions else "en"
    return Answer(question=task.prompt, answer=reply, citations=(), passages=(), took_ms=0.0,
                  generator=generator, index_version=index_version, lang=lang)  # type: ignore[arg-type]
