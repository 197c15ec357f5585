"""The one table that maps every failure to an HTTP status and a JSON body {"error", "detail"}."""

from __future__ import annotations

import logging
from collections.abc import Callable

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from rag.errors import IndexError_, LLMError, NotFoundError, QueryError, RagError

from .schemas import ErrorBody

logger = logging.getLogger(__name__)


class ApiError(HTTPException):
    """An HTTP error raised by the API layer itself, with its short code."""

    code = "bad_request"


class InvalidJSON(ApiError):
    status_code = 400
    code = "invalid_json"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"


class ReloadFailed(ApiError):
    """The index on disk could not be loaded; the previous one stays live."""

    status_code = 409
    code = "reload_failed"


# Litestar's own HTTP errors, by status.
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
               429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    """The JSON error body every failure ends in."""
    return Response(ErrorBody(error=code, detail=detail), status_code=status, media_type=MediaType.JSON,
                    headers=headers)


def _validation(_: Request, exc: ValidationException) -> Response[ErrorBody]:
    # Litestar's own validation puts the field-level messages in `extra`; the strict body check puts them in `detail`.
    parts = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key, msg = item.get("key"), item.get("message", "")
            parts.append(f"{key}: {msg}" if key else str(msg))
    detail = "; ".join(parts) or exc.detail
    return error_response(400, "invalid_request", detail)


def _http(request: Request, exc: HTTPException) -> Response[ErrorBody]:
    status, headers = exc.status_code, dict(exc.headers or {})
    code = exc.code if isinstance(exc, ApiError) else _HTTP_CODES.get(status, "http_error")
    detail = exc.detail
    if not isinstance(exc, ApiError):  # Litestar's stock messages are bare status phrases; say what to do instead
        if status == 404 and detail == "Not Found":
            detail = f"no endpoint at {request.url.path!r}; the endpoints are listed at /schema"
        elif status == 405:
            detail = f"{request.method} is not allowed on {request.url.path!r}; allowed: {headers.get('allow', '?')}"
        elif status == 413:
            detail = f"the body is larger than {request.app.state.settings.max_body_bytes} bytes"
        elif status >= 500:  # Litestar's internal errors may describe internals: log them, say less
            logger.error("HTTP %d on %s %s: %s", status, request.method, request.url.path, detail)
            detail = "an unexpected error occurred; it has been logged"
    return error_response(status, code, detail, headers or None)


def _domain(status: int, code: str) -> Callable[[Request, RagError], Response[ErrorBody]]:
    def handle(_: Request, exc: RagError) -> Response[ErrorBody]:
        if status >= 500:
            logger.warning("%s: %s", code, exc)
        return error_response(status, code, str(exc))

    return handle


def _unexpected(request: Request, exc: Exception) -> Response[ErrorBody]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")


EXCEPTION_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Response[ErrorBody]]] = {
    ValidationException: _validation,
    HTTPException: _http,
    QueryError: _domain(422, "invalid_query"),
    NotFoundError: _domain(404, "not_found"),
    IndexError_: _domain(503, "index_unavailable"),
    LLMError: _domain(502, "llm_error"),
    RagError: _domain(500, "internal_error"),
    Exception: _unexpected,
}

# OpenAPI: the error shape of every handler that reads a body.
ERROR_RESPONSES = {
    status: ResponseSpec(data_container=ErrorBody, description=text)
    for status, text in {400: "malformed body: invalid JSON, wrong type, missing or unknown field",
                         413: "body larger than max_body_bytes", 415: "content type is not application/json",
                         422: "well-formed but unacceptable: blank or too long, top_k out of range, unknown mode, "
                              "bad filter", 503: "no index loaded"}.items()
}
