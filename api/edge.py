"""The edge of the app: what every HTTP exchange passes through before Litestar routes it.

- A body the app answers early (413, 401, 415...) is read and dropped first, up to `max_discard_bytes`: a server that
  closes while the client is still sending makes the client see a reset instead of the answer. A declared length over
  the limit is answered at once and drained after, so that a client that sends nothing need not wait.
- A request body must arrive within `body_timeout_s` (408 otherwise); a client that hangs up mid-body is marked in
  the scope, so that the error handler logs a client abort rather than a server error.
- HEAD is answered as GET without a body (uptime monitors send HEAD).
- A streamed response gives the event loop a turn after each chunk, so that a client's hang-up stops the stream.
- Every response says `X-Content-Type-Options: nosniff`, and `Cache-Control: no-store` unless it set its own.
- Every request is counted and timed for GET /metrics (api/metrics.py), by its route's template and status, and
  logged as one access line (`api.access`).
"""

from __future__ import annotations

import logging
import re
import time
from functools import lru_cache
from pathlib import PurePath
from typing import Any

import anyio
import msgspec
from litestar.config.cors import CORSConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from rag.settings import Settings

from .errors import CLIENT_GONE, RequestTimeout, error_body, with_head
from .logtext import field
from .metrics import Metrics

logger = logging.getLogger(__name__)
access = logging.getLogger("api.access")  # RAG_ACCESS_LOG=0 turns it off; a handler of its own can route it elsewhere
# the methods a metric's label may carry; any other token a client sends is "other", so that it cannot add series
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


class _Body:
    """The request body as the app reads it, with a deadline, and what is left of it once the app has answered."""

    def __init__(self, scope: Scope, receive: Receive, timeout_s: float) -> None:
        self.scope, self._receive = scope, receive
        self.deadline = time.monotonic() + timeout_s
        length = _header(scope, b"content-length")
        self.declared = int(length) if length is not None and length.isdigit() else None
        # no length and no chunked encoding: HTTP/1.1 says there is no body
        self.complete = self.declared == 0 or (self.declared is None and _header(scope, b"transfer-encoding") is None)
        self.expects_continue = (_header(scope, b"expect") or b"").lower() == b"100-continue"
        self.gone = self.timed_out = False
        self.received = 0  # the body's bytes that came, read by the app or dropped

    async def receive(self) -> Message:
        """The app's `receive`: the body under the deadline, then whatever comes (the disconnect a stream waits for)."""
        if self.complete or self.gone or self.timed_out:
            return await self._receive()
        message = await self._next()
        if message is None:
            raise RequestTimeout(detail="the request body did not arrive in time; send it without pauses")
        return message

    async def _next(self) -> Message | None:
        with anyio.move_on_after(max(0.0, self.deadline - time.monotonic())):
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                self.scope[CLIENT_GONE] = True
            else:
                self.received += len(message.get("body", b""))
                self.complete = not message.get("more_body", False)
            return message
        self.timed_out = True
        return None

    async def discard(self, limit: int) -> None:
        """Read and drop the rest of the body, up to `limit` bytes, so that the client gets to read the answer."""
        if self.expects_continue:  # the client waits for our word before sending: it will read the answer
            return
        dropped = 0
        while not (self.complete or self.gone or self.timed_out) and dropped <= limit:
            message = await self._next()
            if message is not None and message["type"] == "http.request":
                dropped += len(message.get("body", b""))
        if not (self.complete or self.gone):
            # the bytes that came, not only those dropped here (a probe's: "after 0 bytes dropped" for a body whose
            # 12 bytes the app had read before the deadline)
            logger.info("closing %s %s with its body unread (%s with %d of %s bytes received)", self.scope["method"],
                        self.scope["path"], "timed out" if self.timed_out else "too large", self.received,
                        self.declared if self.declared is not None else "unknown")


class Edge:
    """ASGI middleware around the whole app (outside routing, so that it sees 404s and 405s too)."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics | None = None,
                 cors: CORSConfig | None = None) -> None:
        self.app = app
        self.settings = settings
        self.cors = cors
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 500: the app raised before answering; the path as sent (routing writes its normalised form into the scope)
        seen, t0 = {"status": 500, "path": scope.get("path", "")}, time.perf_counter()
        method = scope["method"] if scope["method"] in METHODS else "other"  # h11 takes any token as a method
        if self.metrics is not None:
            self.metrics.in_flight.inc()
        try:
            await self._exchange(scope, receive, send, seen)
        finally:
            took = time.perf_counter() - t0
            if self.metrics is not None:
                self.metrics.in_flight.dec()
                # the router writes the route's template into the scope it was given (the copy for HEAD, say)
                self.metrics.observe(method, seen.get("route"), seen["status"], took)
            if self.settings.access_log:
                _access(scope, seen, took)

    async def _exchange(self, scope: Scope, receive: Receive, send: Send, seen: dict[str, Any]) -> None:
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}  # type: ignore[assignment]
        body = _Body(scope, receive, self.settings.body_timeout_s)
        if body.declared is not None and body.declared > self.settings.max_body_bytes:
            await self._too_large(scope, body, send, seen)
            return
        try:
            await self.app(scope, body.receive, self._send(send, body, head, seen))
        finally:
            if scope.get(CLIENT_GONE):
                # the client hung up before its body came: nobody read the 400 answered, so it is counted and logged
                # as nginx's 499 "client closed request", not as a request refused (a probe's: 1,081 aborted uploads
                # among ~40 real 400s on /metrics)
                seen["status"] = 499
            seen["route"] = scope.get("path_template")
            if seen["route"] is None and seen["status"] == 405:
                seen["route"] = _route_of(scope)

    def _send(self, send: Send, body: _Body, head: bool, seen: dict[str, Any]) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                if not body.complete:  # answered before the body was read
                    await body.discard(self.settings.max_discard_bytes)
                message = {**message, "headers": _headers(message.get("headers", ()), close=not body.complete)}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)
            if message["type"] == "http.response.body" and message.get("more_body", False):
                # A stream of ready-made events never yields (uvicorn's send returns at once), so Litestar's disconnect
                # listener never ran and a dropped client's stream was written to the end into a closed socket.
                # A turn per chunk lets the listener hear the hang-up and cancel the stream.
                await anyio.sleep(0)

        return wrapped

    async def _too_large(self, scope: Scope, body: _Body, send: Send, seen: dict[str, Any]) -> None:
        """The 413 is written at once, then the body is drained (up to max_discard_bytes) before the exchange ends:
        a client that sends its whole body before reading reads the answer, not a reset, and one that declared a body
        and sends nothing reads it without waiting for the body deadline (30 s; a probe's)."""
        seen["status"] = 413
        detail = f"the body is larger than {self.settings.max_body_bytes} bytes"
        payload = msgspec.json.encode(error_body(scope["path"], 413, "body_too_large", detail))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                   *self._cors(scope)]
        await send({"type": "http.response.start", "status": 413,
                    "headers": _headers(headers, close=not body.complete)})
        await send({"type": "http.response.body", "body": payload, "more_body": True})
        await body.discard(self.settings.max_discard_bytes)
        await send({"type": "http.response.body", "body": b""})


    def _cors(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """The CORS headers Litestar's middleware adds to its answers, for an answer made here, outside it (the 413):
        without them a browser page on an allowed origin saw a network error, not the service's message."""
        origin = _header(scope, b"origin")
        if self.cors is None or origin is None or not self.cors.is_origin_allowed(origin.decode("latin-1")):
            return []
        headers = {"Access-Control-Allow-Origin": origin.decode("latin-1"), "Vary": "Origin",
                   **self.cors.simple_headers}  # its own, "*" when every origin is allowed, win
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _route_of(scope: Scope) -> str | None:
    """The template of the route whose path a 405 named (Litestar refuses the method before it writes the route's
    template into the scope): `PUT /v1/search` is a 405 of `/v1/search`, not of no route. A plain path before a
    template with parameters (`/schema/openapi.json` before `/schema/{path}`)."""
    path, routes = scope.get("path", ""), getattr(scope.get("app"), "routes", ())
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    path = "/" + path.strip("/")  # as the router reads it: `PUT /v1/search/` is a 405 of /v1/search
    if any(r.path_format == path for r in routes):
        return path
    return next((r.path_format for r in routes if _template(r.path_format, _slashed(r)).fullmatch(path)), None)


def _slashed(route: Any) -> tuple[str, ...]:
    """The route's parameters of type `path` (`/files/{p:path}`), whose values hold slashes."""
    params = getattr(route, "path_parameters", None) or {}
    return tuple(sorted(name for name, d in params.items()
                        if isinstance(getattr(d, "type", None), type) and issubclass(d.type, PurePath)))


@lru_cache(maxsize=256)
def _template(path_format: str, slashed: tuple[str, ...] = ()) -> re.Pattern[str]:
    def part(m: re.Match[str]) -> str:
        return ".+" if m.group(1) in slashed else "[^/]+"

    return re.compile(re.sub(r"\\\{([^/]*?)\\\}", part, re.escape(path_format)))


def _access(scope: Scope, seen: dict[str, Any], seconds: float) -> None:
    """One line per request, after its response: client, method, path and query as sent, status, time to the last
    byte. No body and no header is logged (questions, tokens). What the client sent is escaped (controls, quotes,
    backslashes, format characters), so that it can neither write lines of its own into the log (`/x%0AINFO ...`)
    nor fields of its own into this one (`/x%22%20200`)."""
    client = scope.get("client")
    query = scope.get("query_string", b"").decode("utf-8", "backslashreplace")
    target = field(seen["path"] + (f"?{query}" if query else ""))
    access.info('%s "%s %s" %d %.1f ms', f"{client[0]}:{client[1]}" if client else "-", field(scope["method"][:32]),
                target, seen["status"], seconds * 1000)


def _headers(headers: Any, close: bool) -> list[tuple[bytes, bytes]]:
    out = [(k, with_head(v.decode("latin-1")).encode("latin-1") if k.lower() == b"allow" else v) for k, v in headers]
    names = {k.lower() for k, _ in out}
    out.append((b"x-content-type-options", b"nosniff"))
    if b"cache-control" not in names:  # answers change with every index version; the chat stream sets its own
        out.append((b"cache-control", b"no-store"))
    if close and b"connection" not in names:
        out.append((b"connection", b"close"))
    return out
