"""OpenAI chat-completions compatibility: the question from the messages, and an Answer as a completion or SSE."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator

import msgspec

from rag.answers import Answer, sources_footer
from rag.errors import QueryError
from rag.retrieval.serialize import citation_json
from rag.tokens import count

from .schemas import (ChatChoice, ChatCompletion, ChatCompletionChunk, ChatMessage, ChatMessageOut, ChunkChoice,
                      CitationOut, ContentPart, Delta, Usage)

SERVICE_MODEL = "newsrag"
_PIECE = re.compile(r"\S+\s*|\s+")
_MAX_PIECE = 32


def text_of(content: str | list[ContentPart] | None) -> str:
    """The text of a message: a string, or its "text" parts joined by newlines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.text for p in content if p.type == "text" and p.text)


def question_of(messages: list[ChatMessage]) -> str:
    """The last user message is the question; system and earlier turns are ignored."""
    for m in reversed(messages):
        if m.role == "user":
            return text_of(m.content)
    raise QueryError("messages hold no message with role 'user'; the last user message is the question")


def content_of(answer: Answer) -> str:
    """The assistant text: the answer, then its numbered sources."""
    footer = sources_footer(answer)
    return f"{answer.answer}\n\n{footer}" if footer else answer.answer


def _citations(answer: Answer) -> list[CitationOut]:
    return [msgspec.convert(citation_json(c), CitationOut) for c in answer.citations]


def completion(answer: Answer, messages: list[ChatMessage]) -> ChatCompletion:
    """A non-streamed chat.completion."""
    content = content_of(answer)
    # What the answer was made from: the conversation and the retrieved passages.
    prompt = count("\n".join(text_of(m.content) for m in messages))
    prompt += sum(count(h.passage.text) for h in answer.passages)
    done = count(content)
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}", object="chat.completion", created=int(time.time()), model=SERVICE_MODEL,
        choices=[ChatChoice(index=0, message=ChatMessageOut(role="assistant", content=content), finish_reason="stop")],
        usage=Usage(prompt_tokens=prompt, completion_tokens=done, total_tokens=prompt + done),
        citations=_citations(answer), index_version=answer.index_version, generator=answer.generator,
    )


def pieces(text: str) -> list[str]:
    """Words with their trailing space, long runs (Japanese has no spaces) cut into short slices."""
    out = []
    for piece in _PIECE.findall(text):
        out.extend(piece[i : i + _MAX_PIECE] for i in range(0, len(piece), _MAX_PIECE))
    return out


async def sse_events(answer: Answer) -> AsyncIterator[bytes]:
    """chat.completion.chunk events: the role, the content in pieces, a final chunk with citations, then [DONE]."""
    common = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time()),
              "model": SERVICE_MODEL, "index_version": answer.index_version}

    def event(delta: Delta, finish: str | None = None, **extra: object) -> bytes:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        chunk = ChatCompletionChunk(choices=[choice], **common, **extra)
        return b"data: " + msgspec.json.encode(chunk) + b"\n\n"

    yield event(Delta(role="assistant", content=""))
    for piece in pieces(content_of(answer)):
        yield event(Delta(content=piece))
    yield event(Delta(), "stop", citations=_citations(answer))
    yield b"data: [DONE]\n\n"
