"""Run `rag serve` as a child process on 127.0.0.1 and wait until it is ready, and load it with searching threads
(tests, benchmarks, smoke checks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent


class ServerStartError(RuntimeError):
    """The child server exited or never became ready; the message carries the tail of its log."""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(seeds: Path, index: Path, log_path: Path, env: dict[str, str] | None = None,
                   timeout_s: float = 300) -> Iterator[str]:
    """`rag serve` on a free port (it builds the index first if missing); yields the base URL once /readyz is 200."""
    port = free_port()
    # the child gets exactly the settings passed here, not whatever RAG_* the caller's shell has, but for
    # RAG_CACHE_DIR: where tables that do not depend on the corpus are kept, which changes no result, only whether
    # the child reads JMdict again (~15 s) for its first build
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") or k == "RAG_CACHE_DIR"}
    environment.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(env or {})})
    cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--seeds", str(seeds), "--index", str(index)]
    url = f"http://127.0.0.1:{port}"
    # one client for the polls, a new connection each (no keep-alive to race the server's start): a client per poll
    # loaded the CA bundle each time, ~40 ms of CPU
    with open(log_path, "wb") as log, fresh_connections(2) as poll:
        proc = subprocess.Popen(cmd, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise ServerStartError(f"server exited with {proc.returncode}:\n{_tail(log_path)}")
                if time.monotonic() > deadline:
                    raise ServerStartError(f"server not ready after {timeout_s:.0f}s:\n{_tail(log_path)}")
                try:
                    if poll.get(f"{url}/readyz").status_code == 200:
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


def fresh_connections(timeout_s: float) -> httpx.Client:
    """A client that opens a new connection for every request (no keep-alive), for polling a server that is starting
    or loaded: what `httpx.get` does, but without making a new client (and reading the CA bundle) at every call."""
    return httpx.Client(timeout=timeout_s, limits=httpx.Limits(max_keepalive_connections=0))


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no log)"


@dataclass(frozen=True, slots=True)
class Reply:
    """One search a SearchLoad made: when it started and ended, its status (0: no response) and its JSON body."""

    started: float
    ended: float
    status: int
    body: dict[str, Any] | None
    error: str | None = None


class SearchLoad:
    """Threads searching a running server in a loop, each on a keep-alive connection of its own (as real clients
    are), cycling through `questions`; every reply is recorded. Tests and benchmarks load a server with it."""

    def __init__(self, url: str, questions: Sequence[str], threads: int = 8, top_k: int = 5,
                 timeout_s: float = 120) -> None:
        self.url, self.questions, self.top_k, self.timeout_s = url, list(questions), top_k, timeout_s
        self.replies: list[Reply] = []
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self) -> SearchLoad:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.timeout_s * 1.5)

    def _loop(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=self.timeout_s) as client:
            n = i
            while not self._stop.is_set():
                question = self.questions[n % len(self.questions)]
                n += 1
                started = time.monotonic()
                try:
                    r = client.post("/v1/search", json={"query": question, "top_k": self.top_k})
                    reply = Reply(started, time.monotonic(), r.status_code, r.json() if r.status_code == 200 else None,
                                  None if r.status_code == 200 else f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    reply = Reply(started, time.monotonic(), 0, None, repr(exc))
                with self._lock:
                    self.replies.append(reply)

    def snapshot(self) -> list[Reply]:
        with self._lock:
            return list(self.replies)

    @property
    def failures(self) -> list[str]:
        return [r.error for r in self.snapshot() if r.error is not None]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.snapshot() if r.body is not None]
