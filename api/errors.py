"""The one table that maps every failure to an HTTP status and a JSON body: {"error", "detail"}, or OpenAI's
{"error": {"message", "type", "code"}} on the OpenAI-compatible endpoints."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from rag.errors import IndexError_, LLMError, NotFoundError, OverloadedError, QueryError, RagError
from rag.shown import without_server_paths as settings_without_server_paths

from .schemas import ErrorBody, OpenAIError, OpenAIErrorBody

logger = logging.getLogger(__name__)

# Set in the ASGI scope by api.edge when the client hung up before its request was read.
CLIENT_GONE = "newsrag.client_gone"


class ApiError(HTTPException):
    """An HTTP error raised by the API layer itself, with its short code."""

    code = "bad_request"


class InvalidJSON(ApiError):
    status_code = 400
    code = "invalid_json"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"


class RequestTimeout(ApiError):
    """The request body did not arrive within body_timeout_s."""

    status_code = 408
    code = "request_timeout"


class ModelNotFound(ApiError):
    """GET /v1/models/{id} of a model this service does not offer (OpenAI's code for it)."""

    status_code = 404
    code = "model_not_found"


class ReloadFailed(ApiError):
    """The index on disk could not be loaded; the previous one stays live."""

    status_code = 409
    code = "reload_failed"


# Litestar's own HTTP errors, by status.
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 408: "request_timeout", 413: "body_too_large", 415: "unsupported_media_type",
               429: "too_many_requests", 500: "internal_error", 503: "unavailable"}
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


# OpenAI's other endpoints, which this service does not offer: a client trying them reads the 404 in its own shape
_OPENAI_ELSEWHERE = ("/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/moderations", "/v1/audio",
                     "/v1/images", "/v1/files", "/v1/assistants", "/v1/threads", "/v1/batches")


def is_openai_path(path: str) -> bool:
    """The OpenAI-compatible surface, whose clients expect OpenAI's error shape."""
    return (path.startswith(("/v1/chat/", "/v1/models/")) or path in ("/v1/chat", "/v1/models")
            or any(path == p or path.startswith(p + "/") for p in _OPENAI_ELSEWHERE))


def error_body(path: str, status: int, code: str, detail: str, param: str | None = None) -> ErrorBody | OpenAIErrorBody:
    """The error body for a request to `path` (`param`: the request field at fault, in OpenAI's shape only)."""
    if is_openai_path(path):
        kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        return OpenAIErrorBody(OpenAIError(message=detail, type=kind, code=code, param=param))
    return ErrorBody(error=code, detail=detail)


def error_status(path: str, status: int) -> int:
    """On the OpenAI-compatible surface a question the service cannot take is a 400, as OpenAI answers it (the
    openai SDK raises BadRequestError for it); elsewhere such a well-formed but unacceptable request is a 422."""
    return 400 if status == 422 and is_openai_path(path) else status


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                   path: str = "", param: str | None = None) -> Response[ErrorBody | OpenAIErrorBody]:
    """The JSON error body every failure ends in."""
    return Response(error_body(path, status, code, detail, param), status_code=error_status(path, status),
                    media_type=MediaType.JSON, headers=headers)


# -- no server paths in what the service says about its own failures ------------------------------------------

def without_server_paths(text: str, request: Request) -> str:
    """`text` without the server's paths (rag.shown.without_server_paths)."""
    return settings_without_server_paths(text, request.app.state.settings)


def field_message(key: object, message: str) -> str:
    """"key: message", or the message alone when there is no key or it opens with the key already ("n=2: …")."""
    if not key or re.match(rf"{re.escape(str(key))}(?!\w)", message):
        return message
    return f"{key}: {message}"


# -- handlers --------------------------------------------------------------------------------------------------

def _validation(request: Request, exc: ValidationException) -> Response:
    # Litestar's own validation puts the field-level messages in `extra`; the strict body check puts them in `detail`.
    parts, keys = [], []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key, msg = item.get("key"), item.get("message", "")
            parts.append(field_message(key, str(msg)))
            keys.append(key)
    detail = "; ".join(parts) or exc.detail
    param = keys[0] if len(keys) == 1 and isinstance(keys[0], str) else None
    return error_response(400, "invalid_request", detail, path=request.url.path, param=param)


def with_head(allow: str) -> str:
    """An Allow list with HEAD beside GET: the Edge answers HEAD on every GET route (api/edge.py), Litestar's router
    does not list it."""
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


def _http(request: Request, exc: HTTPException) -> Response:
    status, headers = exc.status_code, dict(exc.headers or {})
    code = exc.code if isinstance(exc, ApiError) else _HTTP_CODES.get(status, "http_error")
    detail = exc.detail
    if status == 500 and (request.scope.get(CLIENT_GONE) or detail == "client disconnected prematurely"):
        # Nobody reads this answer; a client hanging up is not a server error, and must not flood the error log.
        logger.info("client aborted %s %s before sending its whole request", request.method, request.url.path)
        return error_response(400, "client_closed_request", "the client closed the connection",
                              path=request.url.path)
    if not isinstance(exc, ApiError):  # Litestar's stock messages are bare status phrases; say what to do instead
        if status == 404 and detail == "Not Found":
            detail = f"no endpoint at {request.url.path!r}; the endpoints are listed at /schema"
        elif status == 405:
            allowed = with_head(headers.get("allow", "?"))
            detail = f"{request.method} is not allowed on {request.url.path!r}; allowed: {allowed}"
        elif status == 413:
            detail = f"the body is larger than {request.app.state.settings.max_body_bytes} bytes"
        elif status >= 500:  # Litestar's internal errors may describe internals: log them, say less
            logger.error("HTTP %d on %s %s: %s", status, request.method, request.url.path, detail)
            detail = "an unexpected error occurred; it has been logged"
    elif isinstance(exc, ReloadFailed):
        detail = without_server_paths(detail, request)
    return error_response(status, code, detail, headers or None, path=request.url.path)


class RepeatedWarnings:
    """Each warning text logged once, then again only after `every_s`, saying how many times it was held back
    meanwhile; another text is logged at once, after a line for each text held back since its own. A server without
    an index answered each readiness probe and each search with a 503 and a warning line of the same words: a probe
    a second was a line a second for as long as a build took."""

    def __init__(self, log: logging.Logger, every_s: float = 60.0, keep: int = 64) -> None:
        self._log, self._every_s, self._keep = log, every_s, keep
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()  # text -> (logged at, held back since)
        self._lock = threading.Lock()

    def warning(self, text: str) -> None:
        now = time.monotonic()
        with self._lock:
            logged_at, held = self._seen.get(text, (None, 0))
            if logged_at is not None and now - logged_at < self._every_s:
                self._seen[text] = (logged_at, held + 1)
                return
            # another text now: what the others held back is said before it (it was lost when the reason changed)
            lines = [(other, n, now - at) for other, (at, n) in self._seen.items() if n and other != text]
            for other, _, _ in lines:
                self._seen[other] = (self._seen[other][0], 0)
            if held:
                lines.append((text, held, now - logged_at))
            self._seen[text] = (now, 0)
            self._seen.move_to_end(text)
            while len(self._seen) > self._keep:
                self._seen.popitem(last=False)
        for said, n, seconds in lines:
            self._log.warning("%s (and %d more times in the last %.0fs)", said, n, seconds)
        if not held:
            self._log.warning("%s", text)


_REPEATED = RepeatedWarnings(logger)


# when a client may ask again while no index is served: the server loads it again by itself after 1 s, then twice as
# long each time up to 30 s (api/live.py LoadRetry), and a load balancer or a client that reads Retry-After waits so
# (an operator's probe: the 503 said nothing of when)
INDEX_RETRY_AFTER = {"Retry-After": "5"}


def _domain(status: int, code: str, param: str | None = None) -> Callable[[Request, RagError], Response]:
    def handle(request: Request, exc: RagError) -> Response:
        detail = str(exc)
        if status >= 500:
            _REPEATED.warning(f"{code}: {exc}")
            detail = without_server_paths(detail, request)
        return error_response(status, code, detail, INDEX_RETRY_AFTER if status == 503 else None,
                              path=request.url.path, param=param)

    return handle


# what the question is called in each route's body: the core's messages say "query", the search's field
_QUESTION_FIELD = {"/v1/ask": "question", "/v1/chat/completions": "the last user message"}


def _invalid_query(request: Request, exc: QueryError) -> Response:
    """A question the service refuses (422; 400 on OpenAI's routes), named as the route's body names it: /v1/ask's
    errors said "query is empty" of a field called `question`."""
    detail = str(exc)
    field = _QUESTION_FIELD.get(request.url.path.rstrip("/"))
    if field is not None:
        detail = re.sub(r"^query\b", field, detail)
    return error_response(422, "invalid_query", detail, path=request.url.path, param="messages")


def _overloaded(request: Request, exc: OverloadedError) -> Response:
    return error_response(503, "overloaded", str(exc), {"Retry-After": str(exc.retry_after_s)}, path=request.url.path)


def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged",
                          path=request.url.path)


EXCEPTION_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Response]] = {
    ValidationException: _validation,
    HTTPException: _http,
    # `param` is shown on OpenAI's routes only, where the one question the service takes comes from `messages`
    QueryError: _invalid_query,
    NotFoundError: _domain(404, "not_found"),
    OverloadedError: _overloaded,
    IndexError_: _domain(503, "index_unavailable"),
    LLMError: _domain(502, "llm_error"),
    RagError: _domain(500, "internal_error"),
    Exception: _unexpected,
}

# OpenAPI: the error shape of every handler that reads a body.
_ERRORS = {400: "malformed body: invalid JSON, wrong type, missing or unknown field, JSON nested too deeply, top_k "
                "out of range, a date that is not YYYY-MM-DD",
           413: "body larger than max_body_bytes", 415: "content type is not application/json",
           422: "well-formed but unacceptable: blank, too long (characters or tokens), NUL character, unknown mode, "
                "a filter nothing can match (no such date or document, dates reversed)",
           503: "no index loaded, or too many questions waiting for the encoders (see Retry-After)"}
ERROR_RESPONSES = {status: ResponseSpec(data_container=ErrorBody, description=text) for status, text in _ERRORS.items()}
# the OpenAI-compatible surface answers the 422s above as 400s (`error_status`)
_OPENAI_ERRORS = {**{k: v for k, v in _ERRORS.items() if k != 422},
                  400: f"{_ERRORS[400]}; or a question the service cannot take: {_ERRORS[422].split(': ', 1)[1]}"}
OPENAI_ERROR_RESPONSES = {status: ResponseSpec(data_container=OpenAIErrorBody, description=text)
                          for status, text in sorted(_OPENAI_ERRORS.items())}
