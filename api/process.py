"""Run `rag serve` as a child process on 127.0.0.1 and wait until it is ready (tests, benchmarks, smoke checks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    # the child gets exactly the settings passed here, not whatever RAG_* the caller's shell has
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    environment.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(env or {})})
    cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--seeds", str(seeds), "--index", str(index)]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise ServerStartError(f"server exited with {proc.returncode}:\n{_tail(log_path)}")
                if time.monotonic() > deadline:
                    raise ServerStartError(f"server not ready after {timeout_s:.0f}s:\n{_tail(log_path)}")
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


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no log)"
