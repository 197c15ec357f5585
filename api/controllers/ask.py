"""POST /v1/ask: an answer with [n] markers into its citations."""

from __future__ import annotations

import httpx
from litestar import Controller, post

from rag.answers import answer_question
from rag.retrieval import Searcher
from rag.settings import Settings

from ..errors import ERROR_RESPONSES
from ..schemas import AskRequest, AskResponse
from .search import to_filters
from ..wire import ask_response


class AskController(Controller):
    path = "/v1/ask"
    tags = ["answers"]

    @post("/", status_code=200, sync_to_thread=True, responses=ERROR_RESPONSES,
          summary="Answer a question with cited passages")
    def ask(self, data: AskRequest, searcher: Searcher, settings: Settings,
            llm_client: httpx.Client | None) -> AskResponse:
        """Uses the configured LLM when there is one, else (or when it fails) an extractive answer; `filters`, as
        /v1/search's, keep the passages to some documents and dates."""
        answer = answer_question(searcher, data.question, data.passages, settings, client=llm_client,
                                 scope=to_filters(data.filters))
        return ask_response(answer)
