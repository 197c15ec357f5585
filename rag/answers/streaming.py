"""Answers as a stream: the LLM's tokens as they arrive, markers checked on the fly, the extractive answer on failure.

`stream_answer` yields text pieces and, last, the finished Answer, whose text is exactly the pieces joined.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import nullcontext

import httpx

from ..errors import LLMError
from ..retrieval import Searcher
from ..settings import Settings
from .llm import stream_chat_completion
from .markers import MarkerStream
from .model import Answer
from .prompt import build_prompt
from .service import Retrieval, _ms, extractive, model_sources

logger = logging.getLogger(__name__)


# the end of an answer whose model stream broke after its first words: the reader must not take it for complete
# (the reason, which may name the model's server, goes to the log only)
BROKE_OFF = {"en": "\n\n(The model's answer broke off here; it is incomplete.)",
             "ja": "\n\n（モデルの回答はここで途切れました。不完全な回答です。）"}


def stream_answer(r: Retrieval, searcher: Searcher, settings: Settings, *,
                  client: httpx.Client | None = None) -> Iterator[str | Answer]:
    """Text pieces, then the Answer. Falls back to the extractive answer when the model fails before its first
    visible token; after that, a broken stream ends the answer where it broke, with a line saying so."""
    question, hits, lang, version = r.result.query, r.result.hits, r.result.lang, r.result.index_version
    fallback: str | None = None
    if settings.llm_base_url and not r.about_collection:  # the index's list is answered as it is (service.py)
        shown: list[str] = []
        markers: MarkerStream | None = None
        try:
            if not hits:
                raise LLMError("no passages retrieved")
            prompt = build_prompt(question, hits, lang, settings.llm_max_prompt_tokens, r.earlier, r.instructions)
            markers = MarkerStream(len(prompt.hits))
            said = False  # whether the model sent any text at all
            with nullcontext(client) if client else httpx.Client(timeout=settings.llm_timeout_s) as http:
                for token in stream_chat_completion(http, settings, prompt.as_messages(), r.reply_tokens):
                    said = said or bool(token.strip())
                    piece = markers.feed(token)
                    if piece:
                        shown.append(piece)
                        yield piece
            rest = markers.close()
            if rest:
                shown.append(rest)
                yield rest
            if not shown:
                raise LLMError("reply held nothing but invalid citation markers" if said else "empty content in stream")
        except Exception as exc:  # noqa: BLE001 - an LLM failure of any kind must still produce an answer
            reason = str(exc) if isinstance(exc, LLMError) else f"unexpected {exc.__class__.__name__}"
            if not shown:
                fallback = reason
                logger.warning("llm answer failed before its first token, falling back to extractive: %s", reason,
                               exc_info=not isinstance(exc, LLMError))
            else:
                logger.warning("llm stream broke after %d pieces; the answer ends there: %s", len(shown), reason)
                shown.append(BROKE_OFF[lang if lang in BROKE_OFF else "en"])  # said, not left to look complete
                yield shown[-1]
        if shown and markers is not None:
            citations = model_sources(prompt.hits, markers.order)
            logger.info("llm answer streamed: %d passages in prompt, %d cited", len(prompt.hits), len(citations))
            yield Answer(question, "".join(shown), citations, hits, _ms(r.started), "llm", None, version, lang,
                         r.result.shed)
            return
    text, citations, covered = extractive(r, searcher, settings)
    yield text
    yield Answer(question, text, citations, hits, _ms(r.started), "extractive", fallback, version, lang,
                 r.result.shed, covered)
