"""Worker processes of the package's own (the live build, the dictionary's first read): fresh interpreters that
import this package as the parent found it, and that end when their parent does."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])  # the folder that holds the rag package


def python(code: str, *args: str) -> list[str]:
    """The command of a fresh interpreter running `code` (-P: this package, not whatever the working directory
    holds). Not multiprocessing: its spawn runs the caller's main script again in each child (a script without a
    __main__ guard would start over), and a fork would copy a server's engine threads stopped."""
    return [sys.executable, "-P", "-c", code, *args]


def child_env() -> dict[str, str]:
    """The parent's environment, with this package importable however the parent found it."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}


def exit_with_parent(code: int) -> None:
    """In a worker whose stdin is a pipe its parent holds open: exit with `code` at once when that pipe closes (the
    parent is done with it, or gone). Reads the raw descriptor: a buffered read would hold stdin's lock at
    interpreter exit."""
    def watch() -> None:
        while os.read(0, 4096):
            pass
        os._exit(code)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
