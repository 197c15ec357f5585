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
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.DOTALL)
_KEY = re.compile(r"\{\s*\"(\w+)\"\s*:")  # the key of the JSON object the task asks for
_TURN = re.compile(r"^(USER|ASSISTANT):[ \t]*", re.MULTILINE)
TITLE_CHARS = 50


@dataclass(frozen=True, slots=True)
class ClientTask:
    """A frontend's task prompt: the JSON key it asks for (None when it names none) and the user turns of the
    conversation it quotes."""

    prompt: str
    key: str | None
    questions: tuple[str, ...]


def client_task(question: str) -> ClientTask | None:
    """The task, if the last user message is a frontend's task prompt rather than a question."""
    history = _HISTORY.search(question)
    if not _TASK.match(question) or history is None:
        return None
    head = question[: history.start()]
    key = _KEY.search(head[head.rfind("### Output"):] if "### Output" in head else head)
    return ClientTask(question, key.group(1) if key else None, _user_turns(history.group(1)))


def _user_turns(history: str) -> tuple[str, ...]:
    """The USER turns of a quoted conversation ("USER: …" / "ASSISTANT: …" lines, a turn running to the next)."""
    marks = list(_TURN.finditer(history))
    turns = []
    for mark, after in zip(marks, marks[1:] + [None]):
        if mark.group(1) == "USER":
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


def fallback_reply(task: ClientTask) -> str:
    """The JSON object the task asks for, made from the conversation alone."""
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
            reply, generator = chat_completion(client, settings, [{"role": "user", "content": task.prompt}]), "llm"
        except LLMError as exc:
            logger.warning("a chat client's %s task went to the fallback reply: %s", task.key or "unnamed", exc)
    if reply is None:
        reply = fallback_reply(task)
    lang = detect_language(task.questions[0]) if task.questions else "en"
    return Answer(question=task.prompt, answer=reply, citations=(), passages=(), took_ms=0.0,
                  generator=generator, index_version=index_version, lang=lang)  # type: ignore[arg-type]
