"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, with scripted behaviours per request.

Usage::

    with FakeLLM(["error500", "reply"]) as llm:          # first request fails, later ones succeed
        settings = settings.replace(llm_base_url=llm.base_url, llm_timeout_s=0.5)
        ...
        assert len(llm.requests) == 2
        print(llm.requests[-1].prompt)                     # all message contents, joined

A request with "stream": true gets server-sent chat.completion.chunk events, one small token each (a marker such as
[1] arrives as "[", "1", "]"), `delay_s` apart. With `gate` set, the server sends the first `gate_after` tokens,
then waits for the gate before sending the rest: a test can see what arrived before the model finished.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Behaviour = Literal["reply", "error500", "rate_limited", "unauthorized", "hang", "invalid_json", "no_choices",
                    "empty_content", "stream_broken", "stream_stall", "stream_closed", "stream_pings", "trickle"]
BEHAVIOURS: tuple[Behaviour, ...] = ("reply", "error500", "rate_limited", "unauthorized", "hang", "invalid_json",
                                     "no_choices", "empty_content", "stream_broken", "stream_stall", "stream_closed",
                                     "stream_pings", "trickle")
# stream_broken: half the tokens, then the connection drops mid-body; stream_stall: half the tokens, then silence
# for hang_s (longer than the client's timeout); stream_closed: half the tokens in a body that ends when the
# connection closes (no chunked encoding), closed cleanly without [DONE] or a finish_reason; stream_pings: the role
# chunk, then only SSE comments (": ping") every delay_s for hang_s, as a proxy keeping a queued request alive;
# trickle: the whole reply as JSON, a few bytes every delay_s.
STREAMED: tuple[Behaviour, ...] = ("reply", "stream_broken", "stream_stall", "stream_closed", "stream_pings")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
PATH = "/v1/chat/completions"
# Cites a real passage and a bogus one, so callers can check that markers pointing nowhere are dropped.
DEFAULT_CONTENT = ("Lavrov said Russia is open to discussing the building of a true alliance with China [1]. "
                   "He also called it a settled treaty [9].")


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    behaviour: Behaviour

    @property
    def prompt(self) -> str:
        """Every message content of the request, joined by blank lines."""
        messages = (self.body or {}).get("messages") or []
        return "\n\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))


@dataclass
class FakeLLM:
    """Serves /v1/chat/completions; request i gets behaviours[i], the last behaviour repeats."""

    behaviours: Sequence[Behaviour] = ("reply",)
    content: str = DEFAULT_CONTENT
    hang_s: float = 3.0
    delay_s: float = 0.0
    gate: threading.Event | None = None
    gate_after: int = 1
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [b for b in self.behaviours if b not in BEHAVIOURS]
        if unknown or not self.behaviours:
            raise ValueError(f"behaviours={list(self.behaviours)!r}: allowed {BEHAVIOURS!r}")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The base URL to put in settings.llm_base_url (ends in /v1, like OpenAI's)."""
        if self._server is None:
            raise RuntimeError("FakeLLM is not running; use it as a context manager or call start()")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True  # a hanging handler must never block shutdown
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake hanging handlers, stop serving and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def tokens(self) -> list[str]:
        """The content as the stream sends it."""
        return _TOKEN.findall(self.content)

    def _next(self, path: str, headers: dict[str, str], body: dict[str, Any] | None) -> Behaviour:
        with self._lock:
            behaviour = self.behaviours[min(len(self.requests), len(self.behaviours) - 1)]
            self.requests.append(Received(path, headers, body, behaviour))
        return behaviour


def completion(content: str | None, model: str, prompt: str = "", choices: bool = True) -> dict[str, Any]:
    """A chat.completion object in the OpenAI wire format."""
    from rag.tokens import count

    completion_tokens = count(content or "")
    prompt_tokens = count(prompt)
    return {
        "id": f"chatcmpl-fake{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "logprobs": None,
                     "finish_reason": "stop"}] if choices else [],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
        "system_fingerprint": "fp_fake",
    }


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An error object in the OpenAI wire format."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # keep pytest output clean

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
        fake: FakeLLM = self.server.fake  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != PATH:
            fake._next(self.path, headers, body)
            return self._json(404, error_body(f"unknown path {self.path!r}", "invalid_request_error"))
        behaviour = fake._next(self.path, headers, body)
        model = (body or {}).get("model", "fake-model")
        prompt = Received(self.path, headers, body, behaviour).prompt
        streamed = bool((body or {}).get("stream"))
        try:
            if behaviour == "hang":
                fake._stopping.wait(fake.hang_s)
                self._json(200, completion(fake.content, model, prompt))
            elif streamed and behaviour in STREAMED:
                self._stream(fake, model, behaviour)
            elif behaviour == "trickle":
                data = json.dumps(completion(fake.content, model, prompt), ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(0, len(data), 4):
                    if fake._stopping.wait(fake.delay_s):
                        return
                    self.wfile.write(data[i:i + 4])
                    self.wfile.flush()
            elif behaviour == "error500":
                self._json(500, error_body("The server had an error while processing your request.", "server_error"))
            elif behaviour == "rate_limited":
                self._json(429, error_body("Rate limit reached.", "requests", "rate_limit_exceeded"),
                           {"Retry-After": "0.05"})
            elif behaviour == "unauthorized":
                self._json(401, error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"))
            elif behaviour == "invalid_json":
                self._send(200, b'{"id": "chatcmpl-broken", "choices": [{"message": {"content": "trunc',
                           "application/json")
            elif behaviour == "no_choices":
                self._json(200, completion(None, model, prompt, choices=False))
            elif behaviour == "empty_content":
                self._json(200, completion("", model, prompt))
            else:
                self._json(200, completion(fake.content, model, prompt))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing left to tell it

    def _stream(self, fake: FakeLLM, model: str, behaviour: Behaviour) -> None:
        """Server-sent chunks in chunked transfer encoding; a broken stream ends without the closing chunk."""
        chunked = behaviour != "stream_closed"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        base = {"id": "chatcmpl-fakestream", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "system_fingerprint": "fp_fake"}

        def send(payload: str, field: str = "data: ") -> None:
            data = f"{field}{payload}\n\n".encode("utf-8")
            self.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n" if chunked else data)
            self.wfile.flush()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return json.dumps({**base, "choices": [choice]}, ensure_ascii=False)

        tokens = fake.tokens()
        cut = len(tokens) // 2 if behaviour != "reply" else len(tokens)
        send(chunk({"role": "assistant", "content": ""}))
        if behaviour == "stream_pings":
            end = time.monotonic() + fake.hang_s
            while time.monotonic() < end and not fake._stopping.wait(fake.delay_s):
                send("ping", field=": ")
            self.close_connection = True
            return
        for i, token in enumerate(tokens[:cut]):
            if fake.gate is not None and i == fake.gate_after:
                fake.gate.wait(fake.hang_s)
            if fake.delay_s:
                fake._stopping.wait(fake.delay_s)
            send(chunk({"content": token}))
        if behaviour == "stream_broken":
            self.close_connection = True
            return  # no closing zero-length chunk: the client sees the body end early
        if behaviour == "stream_stall":
            fake._stopping.wait(fake.hang_s)
            self.close_connection = True
            return
        if behaviour == "stream_closed":
            self.close_connection = True
            return  # the body ends with the connection, which the server closes cleanly
        send(chunk({}, "stop"))
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _json(self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json", extra)

    def _send(self, status: int, data: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
