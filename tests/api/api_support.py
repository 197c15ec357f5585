"""Helpers shared by the API tests (a module name of its own: `api` is the package under test)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

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


# -- a real server in a subprocess ------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(seeds: Path, index: Path, log_path: Path, env: dict[str, str] | None = None,
                   timeout_s: float = 300) -> Iterator[str]:
    """`rag serve` on a free port of 127.0.0.1; yields its base URL once /readyz says 200, stops it after."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    environment.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(env or {})})
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--seeds", str(seeds), "--index", str(index)]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready after {timeout_s:.0f}s:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
