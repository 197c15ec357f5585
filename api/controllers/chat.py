"""OpenAI-compatible endpoints: POST /v1/chat/completions (plain or streamed) and GET /v1/models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import httpx
from anyio import to_thread
from litestar import Controller, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.response import Stream
from litestar.response.streaming import ASGIStreamingResponse

from rag.answers import answer_question
from rag.errors import NotFoundError
from rag.retrieval import Searcher
from rag.settings import Settings

from ..errors import ERROR_RESPONSES
from ..openai_compat import SERVICE_MODEL, completion, question_of, sse_events
from ..schemas import ChatCompletion, ChatRequest, ErrorBody, ModelCard, ModelList


class EventStream(Stream):
    """Server-sent events; its own media type wins (Litestar would prefer the handler's, JSON)."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIStreamingResponse:
        kwargs["media_type"] = self.media_type
        return super().to_asgi_response(*args, **kwargs)


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
                            "the role, the last chunk has finish_reason 'stop' and `citations`), then `data: [DONE]`")),
        }


class ChatController(Controller):
    path = "/v1/chat"
    tags = ["openai"]

    @post("/completions", status_code=200, responses=ERROR_RESPONSES, operation_class=_ChatOperation,
          summary="OpenAI-compatible chat completion (set stream=true for server-sent events)")
    async def completions(self, data: ChatRequest, searcher: Searcher, settings: Settings,
                          llm_client: httpx.Client | None) -> ChatCompletion | Stream:
        """The last user message is the question; the reply cites its sources, also as structured `citations`."""
        question = question_of(data.messages)
        # The answer is complete before the first byte goes out, so every error is still a clean JSON 4xx/5xx.
        answer = await to_thread.run_sync(
            partial(answer_question, searcher, question, data.top_k, settings, client=llm_client))
        if data.stream:
            return EventStream(sse_events(answer), media_type="text/event-stream",
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return completion(answer, data.messages)


class ModelsController(Controller):
    path = "/v1/models"
    tags = ["openai"]

    @get("/", sync_to_thread=False, summary="The one model this service offers")
    def list_models(self, searcher: Searcher) -> ModelList:
        """OpenAI-compatible model list."""
        return ModelList(object="list", data=[_card(searcher)])

    @get("/{model_id:str}", sync_to_thread=False, summary="One model",
         responses={404: ResponseSpec(data_container=ErrorBody, description="unknown model")})
    def get_model(self, model_id: str, searcher: Searcher) -> ModelCard:
        """OpenAI-compatible model lookup."""
        if model_id != SERVICE_MODEL:
            raise NotFoundError(f"no model {model_id!r}; this service offers {SERVICE_MODEL!r}")
        return _card(searcher)


def _card(searcher: Searcher) -> ModelCard:
    created = datetime.fromisoformat(searcher.index.manifest["created_at"].replace("Z", "+00:00"))
    return ModelCard(id=SERVICE_MODEL, object="model", created=int(created.timestamp()), owned_by="newsrag")
