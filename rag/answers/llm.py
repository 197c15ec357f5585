"""A minimal OpenAI-compatible chat-completions client: one non-streaming POST, bounded retries, short reasons."""

from __future__ import annotations

import logging
import time
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


def chat_completion(client: httpx.Client, settings: Settings, messages: list[dict[str, str]]) -> str:
    """The assistant's reply text; raises LLMError with a short reason once retries are exhausted."""
    if not settings.llm_base_url:
        raise LLMError("llm_base_url is not set")
    url = endpoint(settings.llm_base_url)
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    body = {"model": settings.llm_model, "messages": messages, "temperature": 0, "stream": False}
    attempts = 1 + max(settings.llm_retries, 0)
    reason = "no attempt made"
    for attempt in range(1, attempts + 1):
        t0 = time.perf_counter()
        retry_after: float | None = None
        try:
            response = client.post(url, json=body, headers=headers, timeout=settings.llm_timeout_s)
        except httpx.TimeoutException:
            reason = f"timeout ({settings.llm_timeout_s:g} s)"
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise LLMError(f"llm_base_url={settings.llm_base_url!r} is not usable: {exc}") from exc
        except httpx.TransportError as exc:
            reason = f"connection error ({exc.__class__.__name__})"
        else:
            status = response.status_code
            if status == 429 or status >= 500:
                reason = f"HTTP {status}"
                retry_after = _retry_after(response)
            elif status >= 400:
                raise LLMError(f"HTTP {status} from {url}")  # a client error will not fix itself on retry
            else:
                logger.info("llm %s replied in %.1f ms (attempt %d)", settings.llm_model,
                            (time.perf_counter() - t0) * 1000, attempt)
                return parse_reply(response)
        if attempt < attempts:
            delay = retry_after if retry_after is not None else min(BACKOFF_S * 2 ** (attempt - 1), MAX_BACKOFF_S)
            logger.warning("llm attempt %d/%d failed: %s; retrying in %.2f s", attempt, attempts, reason, delay)
            time.sleep(delay)
    raise LLMError(f"{reason} after {attempts} attempt{'s' if attempts > 1 else ''}")


def parse_reply(response: httpx.Response) -> str:
    """The first choice's message content; LLMError for anything that is not a usable chat.completion."""
    try:
        data: Any = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both derive from it
        raise LLMError(f"invalid JSON in reply: {response.text[:80]!r}") from None
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


def _retry_after(response: httpx.Response) -> float | None:
    """A numeric Retry-After header, capped so one slow server cannot stall a request."""
    try:
        return min(max(float(response.headers.get("retry-after", "")), 0.0), MAX_BACKOFF_S)
    except ValueError:
        return None
