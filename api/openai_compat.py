"""OpenAI chat-completions compatibility: the conversation from the messages, and an Answer as a completion or as
server-sent events, with its citations in the shapes chat clients read (OpenAI annotations, Open WebUI sources,
Perplexity citations and search_results)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import msgspec

from rag.answers import SOURCES_HEADING, Answer
from rag.answers.coverage import NOT_COVERED
from rag.errors import QueryError
from rag.retrieval.followup import small_talk
from rag.tokens import count
from rag.types import Citation

from .chat_schemas import (Annotation, ChatChoice, ChatCompletion, ChatCompletionChunk, ChatMessage, ChatMessageOut,
                           ChunkChoice, ContentPart, Delta, OpenWebUIMeta, OpenWebUIRef, OpenWebUISource,
                           SearchResultOut, UrlCitation, Usage)
from .cut import Cut, cut_text
from .schemas import HitOut, SourceOut, seed_path
from .wire import hit_out

SERVICE_MODEL = "newsrag"
_PIECE = re.compile(r"\S+\s*|\s+")
_MAX_PIECE = 32
_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_SPLIT = re.compile(r"(\[\d+\])")


# -- the request ------------------------------------------------------------------------------------------------

def text_of(content: str | list[ContentPart] | None) -> str:
    """The text of a message: a string, or its "text" parts joined by newlines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.text for p in content if p.type == "text" and p.text)


def conversation_of(messages: list[ChatMessage]) -> tuple[str, tuple[str, ...]]:
    """(the question, the earlier user messages): the last user message is the question; system and assistant
    messages are not searched."""
    asked = [m for m in messages if m.role == "user"]
    if not asked:
        raise QueryError("messages hold no message with role 'user'; the last user message is the question")
    users = [text_of(m.content) for m in asked]
    last = asked[-1].content
    if isinstance(last, list) and last and not users[-1].strip():
        # an image alone, or the Responses API's "input_text" parts, read as "query is empty; send a question…"
        kinds = ", ".join(dict.fromkeys(repr(p.type) for p in last))
        raise QueryError(f"the last user message holds no text: its content parts are of type {kinds}, and this "
                         "service reads the text of parts of type 'text' ({\"type\": \"text\", \"text\": \"…\"})")
    return users[-1], tuple(u for u in users[:-1] if u.strip())


# a line of the "Sources:" list this service writes under an answer (footer): "[2] title (date) …/documents/<id>?start="
_SOURCE_LINE = re.compile(r"^\[(\d{1,2})\] .*?/documents/([^?\s/]+)\?start=(\d{1,12})&end=(\d{1,12})\b",
                          re.MULTILINE)


def cited_before(messages: list[ChatMessage]) -> dict[int, str]:
    """The passages of the numbered sources listed under the last assistant message before the question ({2:
    "doc_id#start-end"}), as this service wrote them (`footer`); {} when there is none (a client that drops the list,
    another model's answer) or when the answer is the not-covered notice, which quotes none of them."""
    answer = _answer_before_question(messages)
    if answer is None:
        return {}
    text = text_of(answer.content)
    # the not-covered notice lists the closest passages, which it was not drawn from: a follow-up is not kept to the
    # first one's article (a reviewer's). Its own words tell it, not its markers, which a client may strip.
    if any(notice[:40] in text for notice in NOT_COVERED.values()):
        return {}
    listed = _SOURCE_LINE.findall(text)
    return {int(n): f"{unquote(doc)}#{start}-{end}" for n, doc, start, end in listed}


# an answer's first sentence ends at its first citation marker, or as a sentence or a line does (searched for, not
# matched lazily from the start: a lazy match backtracked over every run of spaces, quadratic in its length); the
# full stop of an initial or a title ends none ("U.S. officials said…", "Mr. Kudo"), nor "No." before its number ("No. 5";
# "he said No. Rubio left." ends at it: a reviewer's)
_SENTENCE_END = re.compile(
    r"\[\d{1,2}\]|[。！？\n]|[!?](?=\s)"
    r"|(?<!(?<![A-Za-z])[A-Z])(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bJr)(?<!\bSr)(?<!\bProf)"
    r"(?<!\bGov)(?<!\bSen)(?<!\bRep)(?<!\bGen)(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)\.(?=\s)(?!(?<=\bNo\.)\s+\d)"
)
FIRST_SENTENCE_CHARS = 1000  # a first sentence is read from this much of the answer's head


def answer_before(messages: list[ChatMessage]) -> str:
    """The first sentence of the last assistant message before the question: whom a follow-up's "he" may be when the
    question before asked who ("Who scored Japan's winning goal?" → 「…藤堂が決勝ゴール…」 → "Which club does he play
    for?"); "" when there is none."""
    answer = _answer_before_question(messages)
    head = text_of(answer.content).lstrip()[:FIRST_SENTENCE_CHARS] if answer is not None else ""
    m = _SENTENCE_END.search(head)
    return (head[: m.start()] if m else head).strip()


def _answer_before_question(messages: list[ChatMessage]) -> ChatMessage | None:
    """The last assistant message before the question that answers a question: not the reply to "thanks!" or "👍"
    between them, which answers nothing (a reviewer's: when it listed the passages closest to "thanks", the follow-up
    after it was drawn from that list's article; a client may also send another model's reply to small talk)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    reply: ChatMessage | None = None  # the last assistant message found walking back, until its question is
    for m in reversed(messages[:max(last_user, 0)]):
        if m.role == "assistant" and reply is None:
            reply = m
        elif m.role == "user" and reply is not None:
            if not small_talk(text_of(m.content)):
                return reply
            reply = None  # the reply to small talk: the answer before is further back
    return reply  # an assistant message no user message comes before (a client's greeting), or none


def instructions_of(messages: list[ChatMessage]) -> str:
    """The chat client's own instructions: its system and developer messages, in order. A model's answer follows them
    after the service's rules (rag/answers/prompt.py); they are not searched."""
    return "\n\n".join(t for m in messages if m.role in ("system", "developer") and (t := text_of(m.content).strip()))


def chat_messages(messages: list[ChatMessage]) -> tuple[dict[str, str], ...]:
    """The chat as text messages a model is sent: each system, user and assistant message's text, in order."""
    roles = {"developer": "system"}
    return tuple({"role": roles.get(m.role, m.role), "content": text_of(m.content)} for m in messages
                 if m.role in ("system", "developer", "user", "assistant"))


# -- citations --------------------------------------------------------------------------------------------------

def web_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, else None: a seed may name any scheme (javascript:, data:, file:)."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def view_url(base_url: str, c: Citation) -> str:
    """The service's own article view with the passage highlighted."""
    return f"{base_url.rstrip('/')}/documents/{quote(c.doc_id, safe='')}?start={c.start}&end={c.end}"


@dataclass(frozen=True, slots=True)
class Cited:
    """An answer's citations in every wire shape; [n] is entry n - 1 of each list."""

    annotations: list[Annotation]
    citations: list[str]
    search_results: list[SearchResultOut]
    sources: list[OpenWebUISource]
    passages: list[HitOut]


def cited(answer: Answer, base_url: str) -> Cited:
    """The answer's citations as OpenAI annotations, Open WebUI sources and Perplexity citations/search_results."""
    hits = {h.citation: h for h in answer.passages}
    results: list[SearchResultOut] = []
    for c in answer.citations:
        hit = hits.get(c)
        results.append(SearchResultOut(
            title=c.title, url=view_url(base_url, c), date=c.published,
            snippet=hit.passage.text if hit else "", doc_id=c.doc_id, start=c.start, end=c.end,
            passage_id=hit.passage.passage_id if hit else f"{c.doc_id}#{c.start}-{c.end}", source_file=seed_path(c.source_file),
            source_url=web_url(c.url), sources=[SourceOut(s.title, web_url(s.url)) for s in c.sources]))
    # one annotation per cited passage, at its first marker, in the order of the numbers: LobeChat turns the list
    # into its citations one to one and links [n] to entry n - 1, so a second [1] must not shift [2] onto source 1
    first: dict[int, Annotation] = {}
    for m in _MARKER.finditer(answer.answer):
        n = int(m.group(1))
        if 1 <= n <= len(results) and n not in first:
            r = results[n - 1]
            first[n] = Annotation(type="url_citation", url_citation=UrlCitation(
                url=r.url, title=r.title, start_index=m.start(), end_index=m.end()))
    annotations = [first[n] for n in sorted(first)]
    sources = [OpenWebUISource(source=OpenWebUIRef(id=r.passage_id, name=r.title, url=r.url), document=[r.snippet],
                               metadata=[OpenWebUIMeta(source=r.passage_id, name=r.title,
                                                       source_url=r.source_url or r.url)])
               for r in results]
    passages = [hit_out(h) for h in answer.passages]
    return Cited(annotations, [r.url for r in results], results, sources, passages)


def footer(answer: Answer, base_url: str) -> str:
    """A plain "Sources:" list (出典: for a Japanese question) for clients that show only the text: each citation's
    view URL, and its original."""
    if not answer.citations:
        return ""
    lines = [SOURCES_HEADING[answer.lang]]
    for n, c in enumerate(answer.citations, start=1):
        date = f" ({c.published[:10]})" if c.published else ""
        original = web_url(c.url)
        lines.append(f"[{n}] {c.title}{date} {view_url(base_url, c)}" + (f" — {original}" if original else ""))
    return "\n".join(lines)


def content_of(answer: Answer, base_url: str) -> str:
    """The assistant text: the answer, then its numbered sources."""
    tail = footer(answer, base_url)
    return f"{answer.answer}\n\n{tail}" if tail else answer.answer


# -- responses --------------------------------------------------------------------------------------------------

def _usage(messages: list[ChatMessage], answer: Answer, content: str) -> Usage:
    # What the answer was made from: the conversation and the retrieved passages.
    prompt = count("\n".join(text_of(m.content) for m in messages))
    prompt += sum(count(h.passage.text) for h in answer.passages)
    done = count(content)
    return Usage(prompt_tokens=prompt, completion_tokens=done, total_tokens=prompt + done)


def completion(answer: Answer, messages: list[ChatMessage], base_url: str, max_tokens: int | None = None,
               stop: Sequence[str] = ()) -> ChatCompletion:
    """A non-streamed chat.completion; its text cut at `max_tokens` or the first of `stop` (api/cut.py), and only the
    annotations of the markers left in it."""
    content, finish = cut_text(content_of(answer, base_url), max_tokens, stop)
    c = cited(answer, base_url)
    message = ChatMessageOut(role="assistant", content=content, annotations=_within(c.annotations, len(content)))
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}", object="chat.completion", created=int(time.time()), model=SERVICE_MODEL,
        choices=[ChatChoice(index=0, message=message, finish_reason=finish)],
        usage=_usage(messages, answer, content), citations=c.citations, search_results=c.search_results,
        sources=c.sources, passages=c.passages, lang=answer.lang,  # type: ignore[arg-type]
        index_version=answer.index_version, generator=answer.generator, shed=list(answer.shed),
        covered=answer.covered,
    )


def _within(annotations: list[Annotation], length: int) -> list[Annotation]:
    """The annotations of markers that end within the first `length` characters of the text (all of an uncut one)."""
    return [a for a in annotations if a.url_citation.end_index <= length]


def pieces(text: str) -> list[str]:
    """Words with their trailing space, long runs (Japanese has no spaces) cut into short slices, never inside a
    marker: a client that renders [n] as the text grows never sees "[" in one chunk and "1]" in the next."""
    out = []
    for piece in _PIECE.findall(text):
        if len(piece) <= _MAX_PIECE:
            out.append(piece)
            continue
        run = ""
        for part in _MARKER_SPLIT.split(piece):
            if _MARKER.fullmatch(part):
                run += part
                continue
            for ch in part:
                if len(run) >= _MAX_PIECE:
                    out.append(run)
                    run = ""
                run += ch
        out.append(run)
    return [p for p in out if p]


async def sse_events(parts: AsyncIterator[str | Answer], messages: list[ChatMessage], base_url: str,
                     index_version: str, include_usage: bool = False, max_tokens: int | None = None,
                     stop: Sequence[str] = ()) -> AsyncIterator[bytes]:
    """chat.completion.chunk events as the answer is made: the role, the text as it comes, the sources footer, a
    final chunk (finish_reason 'stop', or 'length' at `max_tokens`) with the annotations and sources, the usage chunk
    if asked for, then [DONE]. The text is cut as a non-streamed completion's is (api/cut.py); the answer is still
    read to its end, for the sources the last chunk carries.

    Every chunk but the usage chunk has one choice; no event is named, so strict clients parse each one."""
    common = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time()),
              "model": SERVICE_MODEL, "index_version": index_version}
    if include_usage:
        common["usage"] = None  # null on every chunk but the last, which counts the tokens
    cut = Cut(max_tokens, stop)

    def event(delta: Delta, finish: str | None = None, **extra: object) -> bytes:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)  # type: ignore[arg-type]
        chunk = ChatCompletionChunk(choices=[choice], **common, **extra)  # type: ignore[arg-type]
        return b"data: " + msgspec.json.encode(chunk) + b"\n\n"

    yield event(Delta(role="assistant", content=""))
    answer: Answer | None = None
    try:
        async for part in parts:
            if isinstance(part, Answer):
                answer = part
                break
            for piece in pieces(part) if len(part) > _MAX_PIECE else (part,):  # model tokens are short already
                if sent := cut.feed(piece):  # nothing once the text is cut: the rest is read for the sources
                    yield event(Delta(content=sent))
    finally:
        aclose = getattr(parts, "aclose", None)
        if aclose is not None:  # a client that leaves mid-answer also ends the model's stream
            try:
                await aclose()
            except RuntimeError:
                # "already running": after a hang-up both generators are left to asyncio's finalizer, which closes
                # each in a task of its own, and the model's stream may be closing itself right now (seen under
                # load: an unretrieved task exception in the log for every dropped stream)
                pass
    if answer is None:  # the core always ends with its Answer; say so loudly rather than end the stream quietly
        raise RuntimeError("the answer stream ended without its Answer")
    tail = footer(answer, base_url)
    rest = cut.feed(f"\n\n{tail}" if tail else "") + cut.close()
    if rest:
        yield event(Delta(content=rest))
    c = cited(answer, base_url)
    yield event(Delta(annotations=_within(c.annotations, len(cut.text))), cut.finish or "stop", citations=c.citations,
                search_results=c.search_results, sources=c.sources, passages=c.passages, lang=answer.lang,
                generator=answer.generator, shed=list(answer.shed), covered=answer.covered)
    if include_usage:
        usage = _usage(messages, answer, cut.text)
        chunk = ChatCompletionChunk(choices=[], **{**common, "usage": usage})  # type: ignore[arg-type]
        yield b"data: " + msgspec.json.encode(chunk) + b"\n\n"
    yield b"data: [DONE]\n\n"
