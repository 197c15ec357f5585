"""OpenAI-compatible endpoints: POST /v1/chat/completions (plain or streamed) and GET /v1/models."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx
from anyio import CancelScope, to_thread
from litestar import Controller, Request, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.response import Stream
from litestar.response.streaming import ASGIStreamingResponse

from rag.answers import Answer
from rag.answers.coverage import small_talk_message
from rag.answers.service import Retrieval, answer_retrieved, retrieve
from rag.answers.streaming import stream_answer
from rag.corpus.lines import has_cjk
from rag.retrieval import Searcher
from rag.retrieval.engine import detect_language
from rag.retrieval.followup import small_talk
from rag.retrieval.intake import has_word, strip_invisible
from rag.settings import Settings

from ..chat_schemas import ChatCompletion, ChatRequest, ModelCard, ModelList
from ..client_tasks import client_task, task_answer
from ..errors import OPENAI_ERROR_RESPONSES, ModelNotFound
from ..openai_compat import (SERVICE_MODEL, answer_before, chat_messages, cited_before, completion, conversation_of,
                             instructions_of, sse_events)
from ..schemas import OpenAIErrorBody

T = TypeVar("T")
_END = object()


class _ClosingStreamingResponse(ASGIStreamingResponse):
    """Litestar's streaming response, which also closes its iterator when the stream ends: Litestar steps it with
    `async for` and, when the client leaves, cancels that loop without closing it, so a stream suspended while a chunk
    was being sent stayed suspended (its answer still being made for no one) until the garbage collector came by."""

    __slots__ = ()

    async def send_body(self, send: Any, receive: Any) -> None:
        try:
            await super().send_body(send, receive)
        finally:
            aclose = getattr(self.iterator, "aclose", None)
            if aclose is not None:
                with CancelScope(shield=True):  # the scope may be cancelled already: the close must still run
                    await aclose()


class EventStream(Stream):
    """Server-sent events; its own media type wins (Litestar would prefer the handler's, JSON); the stream's iterator
    is closed when it ends, however it ends."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIStreamingResponse:
        kwargs["media_type"] = self.media_type
        response = super().to_asgi_response(*args, **kwargs)
        if type(response) is ASGIStreamingResponse:  # the same slots: only what happens at the end changes
            response.__class__ = _ClosingStreamingResponse
        return response


@dataclass
class _ChatOperation(Operation):
    """The 200 response is JSON, or server-sent events when the request says stream=true."""

    def __post_init__(self) -> None:
        ok = self.responses.get("200") if self.responses else None
        if ok is None or not getattr(ok, "content", None):
            return
        schema = ok.content["application/json"].schema
        if isinstance(schema, Schema) and schema.one_of:  # ChatCompletion | Stream: keep the ChatCompletion part
            schema = schema.one_of[0]
        ok.content = {
            "application/json": OpenAPIMediaType(schema=schema),
            "text/event-stream": OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.STRING,
                description="with stream=true: `data: <chat.completion.chunk JSON>` events (the first delta holds "
                            "the role; the chunk with finish_reason 'stop' has `delta.annotations`, `citations`, "
                            "`search_results`, `sources`, `passages`, `lang`, `generator`, `shed` and `covered`; with "
                            "stream_options.include_usage a last chunk has "
                            "`usage` and no choices), then `data: [DONE]`")),
        }


class ChatController(Controller):
    path = "/v1/chat"
    tags = ["openai"]

    @post("/completions", status_code=200, responses=OPENAI_ERROR_RESPONSES, operation_class=_ChatOperation,
          summary="OpenAI-compatible chat completion (set stream=true for server-sent events)")
    async def completions(self, request: Request, data: ChatRequest, searcher: Searcher, settings: Settings,
                          llm_client: httpx.Client | None) -> ChatCompletion | Stream:
        """The last user message is the question (a follow-up is also searched through the earlier user messages);
        the reply cites its sources as OpenAI annotations, Open WebUI `sources` and Perplexity `citations`."""
        question, earlier = conversation_of(data.messages)
        base_url = settings.public_url or str(request.base_url)
        task = client_task(question, instructions_of(data.messages), earlier, chat_messages(data.messages))
        if task is not None:  # a frontend's housekeeping (Open WebUI's title, tags...), not a question: not searched
            answer = await to_thread.run_sync(partial(task_answer, task, settings, llm_client, searcher.index.version))
            return _whole(answer, data, base_url)
        if isinstance(question, str) and small_talk(question) and _within_limits(question, searcher, settings):
            # "Thanks!", "hi", "ok 👍", "👍" ask nothing: answered with what the service answers, in the conversation's
            # language, searching nothing and listing no passages (reviewers': "Thanks!" listed the passages closest
            # to "thanks", and 👍, which the search refuses for holding no word, was answered another way)
            # (an English "thanks" in a Japanese conversation is answered in Japanese, ありがとう in Japanese anywhere)
            lang = "ja" if has_cjk(question) else next((detect_language(t) for t in reversed(earlier) if has_word(t)),
                                                       "en")
            answer = Answer(question, small_talk_message(lang, question), (), (), 0.0, "extractive",
                            index_version=searcher.index.version, lang=lang, covered=False)
            return _whole(answer, data, base_url)
        # Retrieval ends before the first byte goes out, so a bad question is still a clean JSON 4xx.
        found = await to_thread.run_sync(partial(_retrieve, searcher, question, data, earlier))
        if data.stream:
            parts = _in_thread(stream_answer(found, searcher, settings, client=llm_client))
            usage = bool(data.stream_options and data.stream_options.include_usage)
            events = sse_events(parts, data.messages, base_url, found.result.index_version, usage, data.limit,
                                data.stops)
            return EventStream(events, media_type="text/event-stream",
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        answer = await to_thread.run_sync(partial(answer_retrieved, found, searcher, settings, client=llm_client))
        return completion(answer, data.messages, base_url, data.limit, data.stops)


def _whole(answer: Answer, data: ChatRequest, base_url: str) -> ChatCompletion | Stream:
    """An answer made whole before the reply starts, as a completion or as the events of one."""
    if data.stream:
        usage = bool(data.stream_options and data.stream_options.include_usage)
        return EventStream(sse_events(_parts(answer.answer, answer), data.messages, base_url, answer.index_version,
                                      usage, data.limit, data.stops),
                           media_type="text/event-stream", headers={"Cache-Control": "no-cache",
                                                                    "X-Accel-Buffering": "no"})
    return completion(answer, data.messages, base_url, data.limit, data.stops)


def _within_limits(question: str, searcher: Searcher, settings: Settings) -> bool:
    """Whether small talk the chat answers without a search (`small_talk`: "Thanks!", and a message of no word,
    "👍") is a message the search would take but for its words: visible, no NUL, within the characters and tokens of
    a question (a blank one, "?\x00", 2,000 emoji and 21,000 characters of thanks are refused as any other is)."""
    if "\x00" in question:
        return False
    shown = strip_invisible(question)
    return (bool(shown) and len(shown) <= settings.max_query_chars
            and searcher.intake.count(shown) <= settings.max_query_tokens)


def _retrieve(searcher: Searcher, question: str, data: ChatRequest, earlier: tuple[str, ...]) -> Retrieval:
    """`retrieve` for a chat, in a worker thread: reading the answer before (its sources, its first sentence) is work
    that grows with what the client sent, which must not hold the event loop."""
    return retrieve(searcher, question, data.passages, earlier, instructions_of(data.messages), data.limit,
                    cited_before(data.messages), answer=answer_before(data.messages))


async def _parts(*items: str | Answer) -> AsyncIterator[str | Answer]:
    for item in items:
        yield item


@dataclass(frozen=True)
class _Failed:
    exc: BaseException


async def _in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """A blocking iterator (model calls, HTTP to the LLM) stepped, and closed, by a thread of its own.

    Litestar does not close a stream's iterator when the client leaves while a chunk is being sent: the stream's
    generators were then left to the garbage collector, which closed the model's HTTP response in whatever thread it
    happened to run in. In a thread that was inside httpcore's connection pool, whose lock is not reentrant, the
    close waited for that thread's own lock: it hung, and every later model call with it (encode/httpcore#990; the
    page tests' hang in fresh clones). So nothing here is left to the collector: the thread runs the iterator to its
    end, or to its next item once this generator is closed, and closes it itself, holding no lock."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()  # unbounded: an answer is a bounded number of pieces
    stop = threading.Event()

    def post(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (shutdown): nobody reads any more
            stop.set()

    def run() -> None:
        try:
            for item in items:
                if stop.is_set():
                    break
                post(item)
        except BaseException as exc:  # noqa: BLE001 - raised again in the reader
            post(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            try:
                if close is not None:
                    close()
            finally:
                post(_END)

    threading.Thread(target=run, name="answer-stream", daemon=True).start()
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()


class ModelsController(Controller):
    path = "/v1/models"
    tags = ["openai"]

    @get("/", sync_to_thread=False, summary="The one model this service offers")
    def list_models(self, searcher: Searcher) -> ModelList:
        """OpenAI-compatible model list."""
        return ModelList(object="list", data=[_card(searcher)])

    @get("/{model_id:str}", sync_to_thread=False, summary="One model",
         responses={404: ResponseSpec(data_container=OpenAIErrorBody, description="unknown model")})
    def get_model(self, model_id: str, searcher: Searcher) -> ModelCard:
        """OpenAI-compatible model lookup."""
        if model_id != SERVICE_MODEL:
            raise ModelNotFound(f"no model {model_id!r}; this service offers {SERVICE_MODEL!r}")
        return _card(searcher)


def _card(searcher: Searcher) -> ModelCard:
    created = datetime.fromisoformat(searcher.index.manifest["created_at"].replace("Z", "+00:00"))
    return ModelCard(id=SERVICE_MODEL, object="model", created=int(created.timestamp()), owned_by="newsrag")
