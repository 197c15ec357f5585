"""answer_question: retrieve, then answer with the configured LLM or, failing that, extractively."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import httpx

from ..errors import LLMError
from ..retrieval import Searcher
from ..settings import Settings
from ..types import Citation, Hit
from .extractive import extractive_answer
from .llm import chat_completion
from .markers import renumber
from .model import Answer
from .prompt import build_prompt

logger = logging.getLogger(__name__)


def answer_question(searcher: Searcher, question: str, top_k: int, settings: Settings,
                    *, client: httpx.Client | None = None) -> Answer:
    """Answer `question` from the top_k passages; raises QueryError for bad input, never for LLM failures."""
    t0 = time.perf_counter()
    result = searcher.search(question, top_k)  # the searcher's validation is the one place that rejects bad input
    question, hits, lang = result.query, result.hits, result.lang
    fallback: str | None = None
    if settings.llm_base_url:
        try:
            text, citations = llm_answer(question, hits, lang, settings, client)
        except LLMError as exc:
            fallback = str(exc)
            logger.warning("llm answer failed, falling back to extractive: %s", fallback)
        except Exception as exc:  # noqa: BLE001 - an LLM failure of any kind must still produce an answer
            fallback = f"unexpected {exc.__class__.__name__}"
            logger.warning("llm answer failed, falling back to extractive: %s", fallback, exc_info=True)
        else:
            return Answer(question, text, citations, hits, _ms(t0), "llm", None, result.index_version, lang)
    text, citations = extractive_answer(question, hits, searcher, lang)
    return Answer(question, text, citations, hits, _ms(t0), "extractive", fallback, result.index_version, lang)


def llm_answer(question: str, hits: Sequence[Hit], lang: str, settings: Settings,
               client: httpx.Client | None = None) -> tuple[str, tuple[Citation, ...]]:
    """Generated text with markers renumbered to the passages actually cited; LLMError on any failure."""
    if not hits:
        raise LLMError("no passages retrieved")
    prompt = build_prompt(question, hits, lang, settings.llm_max_prompt_tokens)
    if client is None:
        with httpx.Client(timeout=settings.llm_timeout_s) as own:
            reply = chat_completion(own, settings, prompt.as_messages())
    else:
        reply = chat_completion(client, settings, prompt.as_messages())
    text, cited = renumber(reply, len(prompt.hits))
    if not text:
        raise LLMError(f"reply held nothing but invalid citation markers: {reply[:80]!r}")
    logger.info("llm answer: %d passages in prompt (%d tokens), %d cited", len(prompt.hits), prompt.tokens, len(cited))
    return text, tuple(prompt.hits[n - 1].citation for n in cited)


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
