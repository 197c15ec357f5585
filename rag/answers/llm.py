"""A minimal OpenAI-compatible chat-completions client: a whole reply or a stream of tokens, bounded retries, short
reasons."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx

from ..errors import LLMError
from ..settings import Settings

logger = logging.getLogger(__name__)

BACKOFF_S = 0.2
MAX_BACKOFF_S = 2.0


def endpoint(base_url: str) -> str:
    """`{base}/chat/completions`; the base normally ends in /v1, as in the OpenAI SDK."""
    return base_url.rstrip("/") + "/chat/completions"


def chat_completion(client: httpx.Client, settings: Settings, messages: list[dict[str, str]],
                    reply_tokens: int | None = None) -> str:
    """The assistant's reply text; raises LLMError with a short reason once retries are exhausted, or when the reply
    is not whole within `llm_deadline_s`. `reply_tokens`: the most the client reads (its max_tokens), asked of the
    model too, so that it does not write what is cut."""
    deadline = time.monotonic() + settings.llm_deadline_s
    with _Connection(client, settings, messages, stream=False, deadline=deadline,
                     reply_tokens=reply_tokens) as response:
        return _whole_reply(response, settings, deadline)


def stream_chat_completion(client: httpx.Client, settings: Settings, messages: list[dict[str, str]],
                           reply_tokens: int | None = None) -> Iterator[str]:
    """The reply's content deltas as the model sends them; LLMError if the call fails, the stream breaks, or it has
    not ended within `llm_deadline_s` (`llm_timeout_s` bounds each read; a model that streams keep-alive comments, or
    a token now and then, for ever, is stopped by the deadline).

    Retries happen only before the first byte of a reply; a server that ignores `stream` and sends one JSON
    completion yields it whole. A stream is whole when it ends with [DONE], or its last choice said why it finished
    (`finish_reason`); one that closes before either broke off, though the connection closed cleanly."""
    t0, deadline = time.perf_counter(), time.monotonic() + settings.llm_deadline_s
    with _Connection(client, settings, messages, stream=True, deadline=deadline,
                     reply_tokens=reply_tokens) as response:
        if response.headers.get("content-type", "").startswith("application/json"):
            yield _whole_reply(response, settings, deadline)
            return
        first, finished = True, False
        try:
            for line in response.iter_lines():
                _check(deadline, settings, "while streaming")
                if not line.startswith("data:"):
                    continue  # comments, event names, blank separators
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                piece, finished = _delta(data, finished)
                if piece:
                    if first:
                        logger.info("llm %s: first token after %.1f ms", settings.llm_model,
                                    (time.perf_counter() - t0) * 1000)
                        first = False
                    yield piece
        except httpx.TimeoutException:
            raise LLMError(f"timeout ({settings.llm_timeout_s:g} s) while streaming") from None
        except httpx.TransportError as exc:
            raise LLMError(f"stream broken ({exc.__class__.__name__})") from None
    if not finished:
        raise LLMError("stream ended before the model finished (no [DONE], no finish_reason)")
    logger.info("llm %s: stream ended without [DONE] after its finish_reason, %.1f ms", settings.llm_model,
                (time.perf_counter() - t0) * 1000)


def _check(deadline: float, settings: Settings, where: str) -> None:
    if time.monotonic() > deadline:
        raise LLMError(f"no whole answer within {settings.llm_deadline_s:g} s (llm_deadline_s), {where}")


def _whole_reply(response: httpx.Response, settings: Settings, deadline: float) -> str:
    body = bytearray()
    try:
        for chunk in response.iter_bytes():  # not read(): a reply that trickles in must not outlast the deadline
            body += chunk
            _check(deadline, settings, "while reading the reply")
    except httpx.TimeoutException:
        raise LLMError(f"timeout ({settings.llm_timeout_s:g} s) while reading the reply") from None
    except httpx.TransportError as exc:
        raise LLMError(f"connection error while reading the reply ({exc.__class__.__name__})") from None
    return parse_reply(bytes(body))


def _delta(data: str, finished: bool) -> tuple[str, bool]:
    """The content of one chat.completion.chunk, and whether the stream's choice has finished (this chunk or one
    before gave a `finish_reason`); LLMError for a chunk that is not one."""
    try:
        chunk = json.loads(data)
    except ValueError:
        raise LLMError(f"invalid JSON in stream: {data[:80]!r}") from None
    if not isinstance(chunk, dict):
        raise LLMError("invalid chunk in stream: not an object")
    if chunk.get("error"):
        raise LLMError(f"error in stream: {str(chunk['error'])[:80]}")
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "", finished  # a usage-only chunk
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else "", finished or bool(choices[0].get("finish_reason"))


class _Connection:
    """A POST to the chat endpoint as an open response, retried on timeouts, connection errors, 429 and 5xx."""

    def __init__(self, client: httpx.Client, settings: Settings, messages: list[dict[str, str]], stream: bool,
                 deadline: float, reply_tokens: int | None = None) -> None:
        if not settings.llm_base_url:
            raise LLMError("llm_base_url is not set")
        self.client, self.settings = client, settings
        self.url = endpoint(settings.llm_base_url)
        self.headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        self.body = {"model": settings.llm_model, "messages": messages, "temperature": 0, "stream": stream}
        if reply_tokens is not None:
            # OpenAI's current name, which its reasoning models require (they refuse max_tokens); servers that do not
            # know it ignore it, and the reply is cut to the client's max_tokens afterwards either way (api/cut.py)
            self.body["max_completion_tokens"] = reply_tokens
        self.response: httpx.Response | None = None
        self.deadline = deadline  # time.monotonic(): no attempt starts after it, none waits past it

    def __enter__(self) -> httpx.Response:
        settings = self.settings
        attempts = 1 + max(settings.llm_retries, 0)
        reason = "no attempt made"
        for attempt in range(1, attempts + 1):
            t0 = time.perf_counter()
            retry_after: float | None = None
            left = self.deadline - time.monotonic()
            if left <= 0:
                reason = f"{reason}, and no time left within {settings.llm_deadline_s:g} s (llm_deadline_s)"
                break
            try:
                request = self.client.build_request("POST", self.url, json=self.body, headers=self.headers,
                                                    timeout=min(settings.llm_timeout_s, left))
                response = self.client.send(request, stream=True)
            except httpx.TimeoutException:
                reason = f"timeout ({settings.llm_timeout_s:g} s)"
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise LLMError(f"llm_base_url={settings.llm_base_url!r} is not usable: {exc}") from exc
            except httpx.TransportError as exc:
                reason = f"connection error ({exc.__class__.__name__})"
            else:
                status = response.status_code
                if status < 400:
                    logger.info("llm %s answered in %.1f ms (attempt %d)", settings.llm_model,
                                (time.perf_counter() - t0) * 1000, attempt)
                    self.response = response
                    return response
                response.close()
                if status == 429 or status >= 500:
                    reason = f"HTTP {status}"
                    retry_after = retry_after_s(response)
                else:
                    raise LLMError(f"HTTP {status} from {self.url}")  # a client error will not fix itself on retry
            if attempt < attempts:
                delay = retry_after if retry_after is not None else min(BACKOFF_S * 2 ** (attempt - 1), MAX_BACKOFF_S)
                delay = max(min(delay, self.deadline - time.monotonic()), 0.0)
                logger.warning("llm attempt %d/%d failed: %s; retrying in %.2f s", attempt, attempts, reason, delay)
                time.sleep(delay)
        tried = attempt if left > 0 else attempt - 1  # the loop ends early at the deadline
        raise LLMError(f"{reason} after {tried} attempt{'s' if tried != 1 else ''}")

    def __exit__(self, *exc: object) -> None:
        if self.response is not None:
            self.response.close()


def parse_reply(body: bytes) -> str:
    """The first choice's message content of a reply's body; LLMError for anything that is not a usable
    chat.completion."""
    try:
        data: Any = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both derive from it
        raise LLMError(f"invalid JSON in reply: {body[:80].decode('utf-8', 'replace')!r}") from None
    if not isinstance(data, dict):
        raise LLMError(f"invalid JSON in reply: expected an object, got {type(data).__name__}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise LLMError("no choices in reply")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise LLMError("empty content in reply")
    return content


def retry_after_s(response: httpx.Response, cap: float = MAX_BACKOFF_S) -> float | None:
    """A numeric Retry-After header in seconds, at most `cap` so that one slow server cannot stall a caller; None
    when there is none, or it is a date or no number (NaN: a sleep of it raises)."""
    try:
        wait = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return None if wait != wait else min(max(wait, 0.0), cap)
