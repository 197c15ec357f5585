"""Helpers shared by the API tests (a module name of its own: `api` is the package under test)."""

from __future__ import annotations

import json
import socket
from typing import Any


ADMIN_TOKEN = "test-admin-token"
EN_QUESTION = "What did Lavrov say about an alliance with China?"
JA_QUESTION = "ラヴロフ外相は中国との同盟について何と言ったか"


def assert_error(response: Any, status: int | None = None) -> dict[str, Any]:
    """A 4xx (or the given status) with exactly {"error", "detail"} as JSON, and no traceback."""
    if status is not None:
        assert response.status_code == status, response.text
    else:
        assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"] and " " not in body["error"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def assert_openai_error(response: Any, status: int) -> dict[str, Any]:
    """An error in OpenAI's shape {"error": {"message", "type", "param", "code"}}, as on the OpenAI-compatible
    endpoints (`param` always present, as OpenAI sends it: the field at fault, or null)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    assert body["error"]["param"] is None or isinstance(body["error"]["param"], str)
    error = body["error"]
    assert error["message"] and error["code"] and " " not in error["code"]
    assert error["type"] == ("server_error" if status >= 500 else {401: "authentication_error",
                             403: "permission_error", 429: "rate_limit_error"}.get(status, "invalid_request_error"))
    assert "Traceback" not in response.text
    return error


def public(body: Any) -> Any:
    """`body` with every citation's source_file as the API shows it: relative to the seeds directory."""
    if isinstance(body, dict):
        return {k: (v.rsplit("/", 1)[-1] if k == "source_file" else public(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [public(v) for v in body]
    return body


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A copy without the keys that legitimately differ between two runs (timings)."""
    return {k: v for k, v in body.items() if k not in keys}


def sse_data(text: str) -> list[str]:
    """The `data:` payloads of a server-sent event stream, in order."""
    return [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]


def sse_chunks(text: str) -> list[dict[str, Any]]:
    """The JSON chunks of a stream; asserts it ends with exactly one [DONE]."""
    data = sse_data(text)
    assert data and data[-1] == "[DONE]" and data.count("[DONE]") == 1, data[-3:]
    return [json.loads(d) for d in data[:-1]]


# -- a real server in a subprocess: api.process.running_server --------------------------------------------------

def raw_http(url: str, request_line: str) -> tuple[int, dict[str, Any]]:
    """Send one request line verbatim (no client-side path normalisation); (status, JSON body)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(f"{request_line}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body.decode("utf-8"))
