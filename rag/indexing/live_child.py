"""A live build in a process of its own (`live_build=process`, the default): the server's side (`build_in_child`) and
the child's (`child_main`), which speak JSON lines; a crash or a kill of the child is a failed build, and its Python
work takes no turn from the serving threads. The outcome and failure messages are the same as a build in a thread's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import BuildBusyError, BuildProcessError, RagError
from ..processes import child_env, exit_with_parent, python
from ..settings import Settings
from . import backend

logger = logging.getLogger(__name__)


def failure_reason(exc: BaseException) -> str:
    """What a failed build's status says: a RagError's own message, else the exception's type and message."""
    return str(exc) if isinstance(exc, RagError) else f"{exc.__class__.__name__}: {exc}"


def build_outcome(report: Any) -> dict[str, Any]:
    """What a finished build's status says: the documents it changed, and its warnings."""
    return {"changes": {"added": report.added, "changed": report.changed, "removed": report.removed,
                        "unchanged": report.unchanged}, "warnings": list(report.warnings),
            "up_to_date": report.up_to_date, "store": report.store}


def _settings_state(settings: Settings) -> dict[str, Any]:
    """Settings as plain values that pickle (its mappings are read-only proxies, which do not)."""
    return {f.name: dict(v) if isinstance(v := getattr(settings, f.name), MappingProxyType) else v
            for f in fields(settings)}


def source_id() -> str:
    """A digest of the package's Python sources as they are on disk now: a build process compares its own with the
    server's, so that code upgraded in place under a running server does not build an index that server cannot read."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build_in_child(settings: Settings, progress: Callable[[str, int, int], None], source: str) -> dict[str, Any]:
    """Run backend.build in a fresh interpreter (`child_main`) and relay its progress; its outcome, or
    BuildProcessError (BuildBusyError when another process held the index's lock). The child loads its own models (1–2 s), logs to this process's stderr, and exits when this
    process does (its stdin closes). `source` is the caller's `source_id()`: the child refuses to build with other
    code."""
    cmd = python("from rag.indexing.live_child import child_main; child_main()")
    outcome: dict[str, Any] | None = None
    error: str | None = None
    busy = False  # the build found the index's lock taken by another process
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env()) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            try:
                pickle.dump((_settings_state(settings), logging.getLogger("rag").getEffectiveLevel(), source),
                            proc.stdin)
                proc.stdin.flush()
            except OSError:
                pass  # it died before reading them: how it ended is reported below
            for line in proc.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # not ours: the protocol is one JSON object a line
                if not isinstance(message, dict):
                    continue
                if "progress" in message:
                    progress(*message["progress"])
                elif "done" in message:
                    outcome = message["done"]
                elif "error" in message:
                    error, busy = message["error"], bool(message.get("busy"))
            code = proc.wait()
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass  # the child is gone already
            if proc.poll() is None:  # this thread was interrupted: the child does not outlive the build it ran
                proc.kill()
                proc.wait()
    if outcome is not None:  # the build is on disk (and published): a late exit code does not undo it
        if code != 0:
            logger.warning("the build process exited with %s after it had finished its build", code)
        return outcome
    if error is not None:
        raise (BuildBusyError if busy else BuildProcessError)(error)
    how = f"was killed by {_signal_name(-code)}" if code < 0 else f"exited with code {code}"
    raise BuildProcessError(f"the build process {how} before it finished")


def _signal_name(number: int) -> str:
    """SIGKILL for 9; a real-time signal, which `signal.Signals` does not name, by its number (a reviewer's finding:
    the ValueError hid why the build had failed)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def child_main() -> None:
    """A live build's own process: reads (settings, log level, the server's source_id) pickled on stdin, runs backend.build with its own
    embedders, and writes JSON lines on a private copy of stdout: {"progress": [stage, done, total]}, then
    {"done": outcome} or {"error": reason}. Anything else written to stdout, by Python or by a native library, goes to
    stderr (the server's log). It exits at once if its parent does."""
    state, level, source = pickle.load(sys.stdin.buffer)
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("rag").setLevel(level)

    exit_with_parent(0)
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        with lock:
            protocol.write(json.dumps(message) + "\n")
            protocol.flush()

    try:
        if source_id() != source:
            raise BuildProcessError("the code on disk has changed since the server started (an upgrade in place?): "
                                    "restart the server, then rebuild")
        settings = Settings(**{k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in state.items()})
        from ..runtime import load_embedders

        embedders = list(load_embedders(settings).values())
        report = backend.build(settings, embedders, progress=lambda stage, done, total: send(
            {"progress": [stage, done, total]}))
        send({"done": build_outcome(report)})
    except BaseException as exc:  # the parent logs the reason; the traceback is logged here at debug level
        logger.debug("live build failed", exc_info=True)
        send({"error": failure_reason(exc), "busy": isinstance(exc, BuildBusyError)})
    finally:
        sys.stderr.flush()
        os._exit(0)  # no interpreter teardown: the engines' threads and caches die with the process
