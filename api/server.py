"""`rag serve`: run the app under uvicorn, one worker (the models live in-process), with bounded connections."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import signal
import socket
from http import HTTPStatus
from typing import Any

import h11
import msgspec
import uvicorn
try:  # h11's own reader, read to refuse a bare LF it would wait on (`_Requests._check_chunk_line`); not its API
    from h11._readers import ChunkedReader
except ImportError:  # pragma: no cover - a later h11 that moved it: the check is skipped, as before it
    ChunkedReader = None
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

from rag.errors import ConfigError
from rag.settings import Settings

from rag.runtime import close_embedders

from .app import UNSERVABLE, create_app
from .errors import error_body
from .metrics import SERVER_REFUSALS

logger = logging.getLogger(__name__)
# How long an idle keep-alive connection stays open. It must outlast the clients' own pool expiry (httpx and Node's
# agent drop idle connections after 5 s): with both at 5 s, a client reusing a connection idle for ~5 s sent its
# request just as the server closed it, and read a connection reset (seen in the live-rebuild tests under load).
# It stays below the header deadline (10 s), which would otherwise close idle connections with a log line each.
KEEP_ALIVE_S = 8


_ABSOLUTE_FORM = re.compile(rb"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)")
# the authority of an http URL a server takes as the Host, and a Host header's value: a host, not empty, and a port
# maybe; no user information (RFC 9110 section 4.2.4: `http://user:pw@host/` is an error), which became the Host and
# the chat's citation links (`a@evil.example` reads as one host and goes to another). A host name in the letters,
# digits and marks a registered name is written in, or an IP literal; a port of ASCII digits up to 65535. A Host of
# `127.0.0.1:8934"`, `host/x`, `host#frag` or a port of `abc` or full-width digits made the URL the app builds of it
# unreadable: every error response and every chat's citation links failed with a 500 (a probe's)
_HOST = re.compile(rb"(?:\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9\-._~]+)(?::([0-9]{0,5}))?")


def _host(authority: bytes) -> bool:
    """Whether `authority` is a host and a port maybe (`_HOST`), the port at most 65535 and a bracketed host an IPv6
    address (`[.]`, `[1.2.3.4]` made links no URL parser reads: a review's). Not a percent-encoded name nor an IPv6
    zone (`[fe80::1%25eth0]`), which no client of this service sends."""
    m = _HOST.fullmatch(authority)
    if m is None or (m.group(2) and int(m.group(2)) > 65535):
        return False
    try:
        return m.group(1) is None or bool(ipaddress.IPv6Address(m.group(1).decode("ascii")))
    except ValueError:
        return False


class _Requests(h11.Connection):
    """h11's server side, with the checks of the request line that h11 leaves to the server (RFC 9112 section 3):

    - a major version other than 1 is refused with a 505 (`refused`, which send_400_response answers) and the
      connection closed: h11 took "HTTP/9.9" for 1.1, so the request was served and its connection held until the
      keep-alive timer, 8 s; a later minor version is read as 1.1, which must name its Host (h11 asks that of 1.1
      only: "HTTP/1.9" without one was served);
    - the absolute form (`GET http://host/path`), which a server must accept, is served as its path and query, with
      its authority as the Host (the URI's wins over the header's): the app saw the whole URL as the path and answered
      404. Only the http and https schemes, with a host and no user name; a fragment is dropped; an empty path is
      `/`, `OPTIONS http://host` too (the RFC reads it as `OPTIONS *`, which the app does not route)."""

    refused: tuple[int, str] | None = None
    refused_path: str = ""  # the path of a request refused after its line was read: its error in that route's shape
    body_limit: int | None = None  # the app's max_body_bytes: a chunk declared larger is refused at once
    chunk_seen = 0  # the bytes of the chunk being read that have come

    def __init__(self, role: Any, max_incomplete_event_size: int) -> None:
        super().__init__(role, max_incomplete_event_size)
        self.header_limit = max_incomplete_event_size

    def next_event(self) -> Any:
        idle = self.their_state is h11.IDLE  # before the event: h11 marks its peer's state ERROR as it raises
        if idle:
            self._drop_empty_lines()
        try:
            event = super().next_event()
            if event is h11.NEED_DATA and self.their_state is h11.SEND_BODY:
                self._check_chunk_line()
        except h11.RemoteProtocolError as exc:  # h11's own: its status (431 for headers too long), in words of ours
            if self.refused is None:
                status = exc.error_status_hint
                if status == 431 and idle and self._target_too_long():
                    status = 414
                self.refused = (status, self._too_large(status) if status in (414, 431)
                                else "the request is not valid HTTP/1.1")
            raise
        if isinstance(event, h11.Data):  # Content-Length's data is no chunk's: its flags stay False
            self.chunk_seen = 0 if event.chunk_end else (0 if event.chunk_start else self.chunk_seen) + len(event.data)
        if not isinstance(event, h11.Request):
            return event
        self.chunk_seen = 0
        self.refused_path = event.target.split(b"?", 1)[0].decode("ascii", "replace")
        # h11 bounds only a head still arriving: one whole in the first bytes read was served at any size (a
        # reviewer's: 100 KB in one send got a 200, 150 KB a 431), so a head's size depended on how TCP cut it
        size = len(event.target) + sum(len(name) + len(value) + 4 for name, value in event.headers)
        if len(event.target) > self.header_limit:  # a URL too long is 414, not the headers' 431 (a probe's)
            self._refuse(414, self._too_large(414))
        if size > self.header_limit:
            self._refuse(431, self._too_large(431))
        names = {name for name, _ in event.headers}
        if b"transfer-encoding" in names and b"content-length" in names:
            # which of the two frames the body is what request smuggling plays on: h11 reads it as chunked and kept
            # the connection, so bytes after the chunks were served as a next request (a probe's). RFC 9112 section
            # 6.1 lets a server refuse it, and asks it to close the connection either way
            self._refuse(400, "a request must not carry both Content-Length and Transfer-Encoding")
        version = event.http_version
        if not version.startswith(b"1."):
            self._refuse(505, f"HTTP/{version.decode('ascii', 'replace')} is not supported: this server speaks "
                              "HTTP/1.1 and HTTP/1.0")
        if version not in (b"1.0", b"1.1") and not any(name == b"host" for name, _ in event.headers):
            self._refuse(400, "an HTTP/1.1 request must have a Host header")
        hosts = [value for name, value in event.headers if name == b"host"]
        if hosts and hosts[0] and not _host(hosts[0]):  # (two Host lines h11 refuses itself)
            self._refuse(400, "the Host header must be a host name or address, and a port from 0 to 65535 maybe; "
                              "nothing else (no user name, path or quote)")
        origin = _ABSOLUTE_FORM.match(event.target)
        if origin is None:
            if b"#" not in event.target:
                return event
            # a fragment is no part of a request target (RFC 9112 section 3.2), and a URL's is the client's own: read
            # past, as in absolute form ("GET /healthz#frag" was a 404 naming "/healthz#frag", a twenty-second probe's)
            self.refused_path = self.refused_path.split("#", 1)[0]
            target = event.target.split(b"#", 1)[0]
            if not target:  # "GET #x": no path at all (h11 refused the empty target, and the connection died unanswered)
                self._refuse(400, "a request target must be a path (a fragment is no part of it)")
            return h11.Request(method=event.method, headers=event.headers, target=target, http_version=version)
        self.refused_path = "/" + event.target[origin.end():].split(b"?", 1)[0].decode("ascii", "replace").lstrip("/")
        scheme, authority = origin.group(1).lower(), origin.group(2)
        if scheme not in (b"http", b"https") or not _host(authority):
            self._refuse(400, "a request target in absolute form must be an http or https URL with a host (and no "
                              "user name)")
        rest = event.target[origin.end():].split(b"#", 1)[0]
        if not rest.startswith(b"/"):
            rest = b"/" + rest
        headers = [(name, value) for name, value in event.headers if name != b"host"] + [(b"host", authority)]
        return h11.Request(method=event.method, headers=headers, target=rest, http_version=version)

    def _drop_empty_lines(self) -> None:
        """Pass over the empty lines before a request line, as RFC 9112 section 2.2 asks: a client may send a CRLF after
        a POST body, which h11 read as an empty request, a 400 (a probe's) that the next request's client then read as
        its answer (a reviewer's). On a fresh connection or a kept-alive one, whether the line came with the body or
        after it: h11's buffer holds them all."""
        waiting = self._receive_buffer._data  # read where it is: a pipelined request's body may wait behind the line
        blank = 0
        while blank < len(waiting) and waiting[blank] in b"\r\n":
            blank += 1
        if blank:
            self._receive_buffer._extract(blank)

    def _target_too_long(self) -> bool:
        """Whether the request line still arriving has a target longer than the limit by itself, or one still arriving
        (as a whole head's is judged: a target under it with a few headers is 431 however TCP cut it, a reviewer's)."""
        line, ended, _ = self.trailing_data[0].partition(b"\n")
        _, _, rest = line.partition(b" ")
        target, space, _ = rest.partition(b" ")
        # a target still arriving is what passed the limit; a whole line's target, whatever came after it (a second
        # reviewer's: cut after the line's end, a URL too long was 431)
        return (not space and not ended) or len(target) > self.header_limit

    def _too_large(self, status: int) -> str:
        if status == 414:
            return f"the request's URL is longer than {self.header_limit} bytes"
        return f"the request line and headers are larger than {self.header_limit} bytes"

    def _check_chunk_line(self) -> None:
        """Refuse a chunked body whose size line ends in a bare LF ("0\\n\\n", "10\\n…"): h11 waits for the CRLF
        that ends it, so a body that had arrived whole was held until the body deadline and answered 408 "did not
        arrive in time" (a probe's); a bare LF after a chunk's data was a 400 at once, as this is now. A size line is
        hex digits and extensions, so a line feed in the waiting bytes before any CRLF ends one."""
        reader = getattr(self, "_reader", None)
        if ChunkedReader is None or not isinstance(reader, ChunkedReader):
            return
        if self.body_limit is not None and self.chunk_seen + getattr(reader, "_bytes_in_chunk", 0) > self.body_limit:
            # one chunk declared larger than the body limit (`FFFFF`, sixteen F's) was waited for until the body
            # deadline and answered 408 "send it without pauses" (a probe's); a Content-Length as large is a 413 at
            # once. Many chunks under it that sum past it are the app's, which answers 413 and keeps the connection
            self._refuse(413, f"the body is larger than {self.body_limit} bytes (one chunk was declared larger)")
        if (getattr(reader, "_bytes_in_chunk", 1) or getattr(reader, "_bytes_to_discard", b"x")
                or getattr(reader, "_reading_trailer", True)):
            return
        waiting = bytes(self._receive_buffer._data[: self.header_limit])
        feed = waiting.find(b"\n")
        if feed >= 0 and (feed == 0 or waiting[feed - 1:feed] != b"\r"):
            self._refuse(400, "a chunk's size line must end in CRLF (a bare line feed ended one)")

    def _refuse(self, status: int, text: str) -> None:
        self.refused = (status, text)
        raise h11.RemoteProtocolError(text, error_status_hint=status)


# how long a connection opened and never used (no byte received) is kept for a request arriving at the limit: past
# the first bytes of a client that connects and sends (a network's round trip), so that no request already sent is
# reset; its socket is peeked for bytes not yet read too (`_unread`)
_UNUSED_BEFORE_CLOSING = 0.5
# and one kept alive after its response: past the 5 s after which httpx and Node drop an idle connection from their
# pools, so that they are not sending on it as it closes (under KEEP_ALIVE_S, when it closes anyway)
_KEPT_BEFORE_CLOSING = 5.5


def _unread(transport: asyncio.BaseTransport) -> bool:
    """Whether bytes are waiting in the connection's socket that the event loop has not read yet (peeked on a duplicate
    of it, which leaves them there)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return True  # not a socket this can look into: never closed for another
    try:
        with sock.dup() as peek:
            return bool(peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False
    except OSError:
        return True


def guarded_h11(header_timeout_s: float, max_body_bytes: int | None = None) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a deadline on each request's headers (body deadlines are api.edge's), and a
    chunked body refused as soon as one chunk's declared size is over `max_body_bytes`."""

    class GuardedH11Protocol(H11Protocol):
        """uvicorn has no header timeout: its keep-alive timer stops at a client's first byte, so a client that sends
        headers slowly, or not at all, would hold its connection for ever."""

        _header_timer: asyncio.TimerHandle | None = None
        _waiting_for: bool = False  # bytes of a request have come and its headers are not whole yet
        _answered: bool = False  # a response has been sent on this connection
        _idle_since: float = 0.0  # when it was opened, or its last response sent (the event loop's clock)
        _used: bool = False  # a byte has come on it
        _client_done: bool = False  # the client half-closed after a whole request: closed once all are answered

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            limit = self.config.h11_max_incomplete_event_size
            self.conn = _Requests(h11.SERVER, DEFAULT_MAX_INCOMPLETE_EVENT_SIZE if limit is None else limit)
            self.conn.body_limit = max_body_bytes

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._idle_since = self.loop.time()
            self._arm()

        def _make_room(self, count: int) -> None:
            """Close the `count` connections idle longest that may be closed (`closable`), for the request arriving on
            this one (uvicorn serves a request only while fewer than its limit are open): 130 sockets opened and left
            silent made every request a 503, /healthz's too, until the header deadline closed them, and a client
            reopening them every 10 s kept the service down (a probe's). A connection kept alive after its response
            is closed so only once its client's pool would have dropped it: it may be carrying a next request as it
            is closed (httpx and Node keep theirs 5 s and do not retry a POST cut off: a reviewer's, 24 of 555 lost
            when kept-alive connections were closed after 1 s idle); one whose headers are arriving is the header
            deadline's."""
            now = self.loop.time()
            idle = [c for c in self.connections
                    if c is not self and isinstance(c, GuardedH11Protocol) and c.closable(now)]
            for oldest in sorted(idle, key=lambda c: c._idle_since)[:count]:
                SERVER_REFUSALS["idle_closed"] += 1
                oldest._disarm()
                oldest.transport.close()  # nothing waits to be written to it: it closes at once
                self.connections.discard(oldest)  # as its connection_lost will: uvicorn counts the open ones

        def closable(self, now: float) -> bool:
            """Whether this connection may be closed for another: no byte has come on it since it opened
            `_UNUSED_BEFORE_CLOSING` or more ago, or it has been kept alive after its response, fully written, for
            `_KEPT_BEFORE_CLOSING` or more (a third reviewer's: 16 kept-alive connections turned every new client
            away for the 8 s of KEEP_ALIVE_S); and no byte waits in its socket: a connection accepted with its request
            in the same turn of the event loop is told of it after every accept of that turn (a reviewer's: a burst
            of 30 such connections got 14 resets from a first version)."""
            if self.transport.is_closing():
                return False
            if not self._used:
                waited = now - self._idle_since >= _UNUSED_BEFORE_CLOSING
            else:
                waited = (self._answered and self.conn.their_state is h11.IDLE and not self._waiting_for
                          and (self.cycle is None or self.cycle.response_complete) and not self.conn.trailing_data[0]
                          and self.transport.get_write_buffer_size() == 0
                          and now - self._idle_since >= _KEPT_BEFORE_CLOSING)
            return waited and not _unread(self.transport)

        def handle_events(self) -> None:
            # every request is read here, one that came in a packet or one pipelined after a response (a reviewer's:
            # a pipelined request got the 503 that the same one sent alone did not)
            if self.limit_concurrency is not None and len(self.connections) >= self.limit_concurrency:
                self._make_room(len(self.connections) - self.limit_concurrency + 1)
            super().handle_events()

        def data_received(self, data: bytes) -> None:
            self._used = True
            self._waiting_for = self._header_timer is not None
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # a whole request line and headers have arrived
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # a next request begun while this one was answered (pipelined) is waited for as one on a fresh connection
            self._answered, self._waiting_for = True, bool(self.conn.trailing_data[0])
            self._idle_since = self.loop.time()
            if self._client_done and not self.transport.is_closing() and (
                    self.cycle is None or self.cycle.response_complete or self.conn.their_state is h11.SEND_BODY):
                # the client half-closed, and every request it sent is answered, or the next one's body cannot come:
                # closed, so that its app sees the client gone (a 499) at once, not after the body deadline's 408 (a
                # review's)
                self._disarm()
                self.transport.close()
            elif not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm()  # for the next request on this connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def eof_received(self) -> bool | None:
            """A client that half-closes its side after a whole request (`shutdown(SHUT_WR)`: `nc -N`, some proxies
            and scripts) still reads the response, and the connection is closed after it: uvicorn let the transport
            close at the end of the request's stream, so the app saw a disconnect and answered no one (a probe's: 10
            of 10 POSTs got no status line, a GET answered before the end was read got its 200). A request that says
            `Connection: close`, or is HTTP/1.0, too (h11 then awaits no next one: MUST_CLOSE), and the requests
            pipelined behind it are each answered before the close (`on_response_complete`; a review's). A half-close
            before the request is whole, or with none under way, closes the connection as before."""
            cycle = self.cycle
            if (cycle is not None and not cycle.response_complete
                    and self.conn.their_state in (h11.DONE, h11.MUST_CLOSE)):
                self._client_done = True
                return True
            if (cycle is not None and not getattr(cycle, "response_started", True)
                    and self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing()):
                # the body can no longer come whole: its client, which can still read, is told so (it read nothing,
                # the connection closed at once: a probe's); its app sees the client gone, as before
                self.conn.refused = (400, "the request's body ended before all of it came (fewer bytes than its "
                                          "Content-Length, or a chunked body unended) and the client closed its side")
                self.send_400_response("")
                return None
            return super().eof_received()

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_overdue)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def send_400_response(self, msg: str) -> None:  # what is not HTTP: uvicorn's own 400, as text
            """The status h11 or the request-line checks gave (uvicorn answers every protocol error with a 400), and
            the JSON error body every other refusal has (`{"error", "detail"}`): a 200 KB header got a plain-text
            400 (a probe's), where it is a 431."""
            cycle = self.cycle  # the request the app is answering, if any: a broken body of it is not counted here
            if cycle is None or getattr(cycle, "response_complete", True):
                SERVER_REFUSALS["invalid_http"] += 1
            status, text = self.conn.refused or (400, "the request is not valid HTTP/1.1")
            head, body = _refusal(status, text, self.conn.refused_path)
            try:
                for event in (h11.Response(status_code=status, reason=HTTPStatus(status).phrase.encode("ascii"),
                                           headers=head), h11.Data(data=body), h11.EndOfMessage()):
                    self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:  # a response had begun (a broken body of a request being answered)
                pass
            self.transport.close()

        def _headers_overdue(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                if self._waiting_for or not self._answered:  # not a keep-alive connection merely left idle
                    SERVER_REFUSALS["header_timeout"] += 1
                logger.info("closing the connection from %s: no complete request headers within %.0f s",
                            "%s:%d" % self.client if self.client else "?", header_timeout_s)
                if self._waiting_for:  # a request had begun: its client reads why (RFC 9110 section 15.5.9)
                    head, body = _refusal(408, f"no complete request headers within {header_timeout_s:g} s")
                    self.transport.write(b"HTTP/1.1 408 Request Timeout\r\n" + b"".join(
                        name + b": " + value + b"\r\n" for name, value in head) + b"\r\n" + body)
                self.transport.close()

    return GuardedH11Protocol


_REFUSAL_CODES = {400: "invalid_http", 408: "request_timeout", 413: "body_too_large", 414: "uri_too_long",
                  431: "headers_too_large", 501: "not_implemented",
                  505: "http_version_not_supported"}
_REFUSAL_TEXTS = {501: "the request's transfer coding is not supported: send the body with Content-Length or chunked"}


def _refusal(status: int, text: str, path: str = "") -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and JSON body of a refusal at the HTTP layer, in the shape of the app's for `path` (api/errors.py:
    OpenAI's on the chat route), when the request line was read."""
    text = _REFUSAL_TEXTS.get(status, text)
    body = msgspec.json.encode(error_body(path, status, _REFUSAL_CODES.get(status, "invalid_http"), text))
    return [(b"content-type", b"application/json"), (b"connection", b"close"),
            (b"content-length", str(len(body)).encode("ascii"))], body


def _answer_over_the_limit() -> None:
    """Answer the requests uvicorn refuses beyond `limit_concurrency` in the service's JSON error shape, with
    Retry-After, and count them. uvicorn answers them with `service_unavailable`, an ASGI app its h11 protocol looks up
    as a module global when a request arrives over the limit: a plain-text "Service Unavailable" without Retry-After
    (a probe's), which the app never saw, so /metrics showed a server shedding load as idle. The global is replaced
    once; if a uvicorn release stops looking it up there, tests/api/test_hardening_server.py fails."""
    from uvicorn.protocols.http import h11_impl

    if getattr(h11_impl.service_unavailable, "ours", False):
        return

    async def service_unavailable(scope: Any, receive: Any, send: Any) -> None:
        SERVER_REFUSALS["concurrency_limit"] += 1
        body = msgspec.json.encode(error_body(scope.get("path", ""), 503, "overloaded",
                                              "every connection the server takes is busy with a request: retry "
                                              "in a second"))
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", b"1"), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    service_unavailable.ours = True  # type: ignore[attr-defined]
    h11_impl.service_unavailable = service_unavailable


def _build_first(settings: Settings) -> tuple[dict[str, Any] | None, Exception | None]:
    """A missing (or older-format) index built in the foreground, before uvicorn takes the signals over: (its models,
    which the server then uses, and why it failed, if it did); (None, None) when there is nothing to build (the app
    loads its models itself).

    Built in the app's startup, the index was built under uvicorn's signal handlers, which only set a flag: Ctrl-C
    (or a service manager's SIGTERM) did nothing until the build had finished and the server was ready, minutes
    later on a large corpus. Here both stop it as they stop `rag index build`: "rag: interrupted", exit 130, the
    previous index (or none) left as it was. A build that fails for its seeds or its store is handed to the app,
    which serves without an index and says why (/readyz), without building it a second time."""
    from rag.errors import IndexError_
    from rag.indexing import backend
    from rag.runtime import build_if_needed, load_embedders, needs_build

    if settings.live_build == "off":
        return None, None  # a replica serves what the store holds, when it holds it (api/live.py LoadRetry)
    try:
        if backend.store(settings).busy(settings) or not needs_build(settings):
            return None, None
    except (IndexError_, OSError):
        return None, None  # the app's start says what is wrong with the index
    embedders = load_embedders(settings)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        build_if_needed(settings, embedders)
    except UNSERVABLE as exc:
        return embedders, exc  # the app serves without an index and says why; its start does not build it again
    except BaseException:
        close_embedders(embedders)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    return embedders, None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _preflight(settings: Settings) -> None:
    """What would fail only after the models load (a minute on a first run): names no embedder or rerank feature
    answers to, and an address this process cannot listen on. ConfigError: one line and exit 2, not a traceback of
    the startup's exception group and exit 3."""
    from rag.embedders import check_spec
    from rag.retrieval.rerank import check_weights
    from rag.settings import check_admin_token

    check_admin_token(settings)

    for spec in settings.embedders:
        check_spec(spec)
    check_weights(settings)
    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn's own socket
            probe.bind(address)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}); choose another "
                          "--host/RAG_HOST or --port/RAG_PORT") from None


def serve(settings: Settings) -> int:
    """Serve until interrupted, building a missing index first, in the foreground. Returns an exit code."""
    for name in ("api", "rag"):  # the entry point decides: this command reports its phases unless told otherwise
        log = logging.getLogger(name)
        if log.getEffectiveLevel() > logging.INFO:
            log.setLevel(logging.INFO)
    _preflight(settings)
    _answer_over_the_limit()
    embedders, failed = _build_first(settings)
    try:
        return _run(settings, embedders, failed)
    finally:
        if embedders is not None:
            close_embedders(embedders)


def _run(settings: Settings, embedders: dict[str, Any] | None, failed: Exception | None = None) -> int:
    app = create_app(settings, embedders=embedders, unservable=failed)
    # limit_concurrency: at max_connections open connections, the one opened longest ago and never used is closed
    # (`_make_room`), or with none such uvicorn answers 503 at once instead of queueing (`_answer_over_the_limit`).
    config = uvicorn.Config(app, host=settings.host, port=settings.port, workers=1, lifespan="on",
                            log_config=None, access_log=False, server_header=False, timeout_graceful_shutdown=10,
                            http=guarded_h11(settings.header_timeout_s, settings.max_body_bytes),
                            # uvicorn serves a request while fewer than its limit are open, this one's among them: so
                            # that RAG_MAX_CONNECTIONS connections are served (a probe's: 128 were refused at 128)
                            limit_concurrency=settings.max_connections + 1,
                            timeout_keep_alive=KEEP_ALIVE_S)
    server = uvicorn.Server(config)
    logger.info("newsrag API on http://%s:%d (OpenAPI at /schema, index %s)", settings.host, settings.port,
                settings.index_dir)
    server.run()
    return 0 if server.started else 1
