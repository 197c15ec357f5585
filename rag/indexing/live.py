"""Live rebuilds beside a serving index: one background build at a time, its progress, and a seeds-directory watcher.

The build itself is build_index (atomic and incremental): until it writes the new manifest the old index stays live
on disk, and the serving process keeps its loaded index until `install` swaps the new one in. A build that fails,
for whatever reason, changes nothing that is served; its status says why. By default (`live_build=process`) it runs
in a process of its own (`child_main`), which reports its progress as JSON lines; a crash or a kill there is a
failed build, and its Python work takes no turn from the serving threads.
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
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from ..embedders import Embedder
from ..embedders.e5_engine import InContext
from ..errors import BuildBusyError, BuildProcessError, RagError
from ..processes import child_env, exit_with_parent, python
from ..settings import Settings
from . import backend
from .load import LoadedIndex

logger = logging.getLogger(__name__)
BuildState = Literal["running", "succeeded", "failed"]
# Passages per embedder call during a live build: the e5 engine runs one call at a time, so a query that arrives
# mid-build waits for at most this many passages (~75 ms each for e5) instead of a whole batch of 32.
LIVE_EMBED_BATCH = 2


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """One live build as /v1/index shows it: while it runs, and after it has finished or failed."""

    build_id: str
    trigger: str  # "api" or "watch"
    state: BuildState
    stage: str
    done: int
    total: int
    started_at: str
    finished_at: str | None = None
    index_version: str | None = None  # the version it produced and swapped in
    error: str | None = None
    warnings: tuple[str, ...] = ()
    changes: dict[str, int] = field(default_factory=dict)  # added, changed, removed, unchanged documents
    last_error: str | None = None  # the latest failure of any build so far, this one or an earlier one

    def as_json(self) -> dict[str, Any]:
        return {"build_id": self.build_id, "trigger": self.trigger, "state": self.state, "stage": self.stage,
                "done": self.done, "total": self.total, "started_at": self.started_at,
                "finished_at": self.finished_at, "index_version": self.index_version, "error": self.error,
                "warnings": list(self.warnings), "changes": dict(self.changes), "last_error": self.last_error}


class _Interleaved:
    """An embedder for the background build: passages go through in small calls, so queries interleave with them."""

    def __init__(self, inner: Embedder, batch: int) -> None:
        self.inner, self._batch = inner, batch

    def __getattr__(self, name: str):
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        # the vocabulary for term alignment: thousands of words on a first build, in calls a query can slip between
        if len(texts) <= 64:
            return self.inner.encode_queries(texts)
        return np.vstack([self.inner.encode_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode_passages(texts)
        return np.vstack([self.inner.encode_passages(texts[i : i + self._batch])
                          for i in range(0, len(texts), self._batch)])

    def encode_sparse_passages(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for i in range(0, len(texts), self._batch):
            out.extend(self.inner.encode_sparse_passages(texts[i : i + self._batch]))
        return out

    def encode_passages_with_sparse(self, texts: Sequence[str]
                                    ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        if not texts:
            return self.inner.encode_passages_with_sparse(texts)
        parts = [self.inner.encode_passages_with_sparse(texts[i : i + self._batch])
                 for i in range(0, len(texts), self._batch)]
        return np.vstack([d for d, _ in parts]), [row for _, rows in parts for row in rows]

    def encode_passages_in_context(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                   sparse: bool = False) -> InContext:
        if not texts:
            return self.inner.encode_passages_in_context(texts, spans, sparse)
        parts = [self.inner.encode_passages_in_context(texts[i : i + self._batch], spans[i : i + self._batch], sparse)
                 for i in range(0, len(texts), self._batch)]
        return InContext(np.vstack([p.dense for p in parts]), [r for p in parts for r in p.sparse],
                         [v for p in parts for v in p.spans])

    def sentence_vectors(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]:
        return self.encode_passages_in_context(texts, spans).spans


def in_process_store(settings: Settings) -> bool:
    """Whether the index lives in this process's memory only (Qdrant's local mode at :memory:), which no other
    process can write."""
    return settings.store == "qdrant" and not settings.qdrant_url and str(settings.qdrant_path) == ":memory:"


def _locked_elsewhere(index_dir: Path) -> bool:
    """Whether another build holds the index's lock (rag/indexing/build.py `_exclusive`) right now; a build starting
    just after this look still fails as a build, as before it."""
    from filelock import FileLock, Timeout

    path = index_dir / ".build.lock"
    if not path.exists():
        return False
    lock = FileLock(path, timeout=0, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:  # an unwritable folder: the build says so
        return False
    lock.release()
    return False


class LiveBuilder:
    """Runs incremental builds of settings.index_dir on a background thread, one at a time, and hands each new index
    to `install` (which swaps it in); `status()` says what the current or last build is doing or did."""

    def __init__(self, settings: Settings, embedders: Mapping[str, Embedder],
                 install: Callable[[LoadedIndex], None], *, embed_batch: int = LIVE_EMBED_BATCH) -> None:
        if settings.live_build == "process" and in_process_store(settings):
            # a child publishing into Qdrant's :memory: writes its own memory, gone when it exits: the build "succeeded"
            # and the server went on serving the old version
            logger.info("live builds run in a thread: the Qdrant store is this process's memory (RAG_QDRANT_PATH=%s)",
                        settings.qdrant_path)
            settings = replace(settings, live_build="thread")
        self._settings = settings
        self._embedders = [_Interleaved(e, embed_batch) for e in embedders.values()]
        self._install = install
        # the code this server runs, read when it starts (only a build process compares it)
        self._source = source_id() if settings.live_build == "process" else ""
        self._lock = threading.Lock()
        self._status: BuildStatus | None = None
        self._thread: threading.Thread | None = None

    def start(self, trigger: str = "api") -> BuildStatus:
        """Start a build now; raises BuildBusyError while another one runs."""
        with self._lock:
            running = self._status
            if running is not None and running.state == "running":
                raise BuildBusyError(f"build {running.build_id} is still running ({running.stage}, "
                                     f"{running.done}/{running.total}); wait for it to finish")
            if _locked_elsewhere(Path(self._settings.index_dir)):  # a `rag index build` of this index, say
                raise BuildBusyError("another process is building this index (its build lock is held); wait for it "
                                     "to finish, then rebuild")
            started = datetime.now(timezone.utc)
            build_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
            self._status = BuildStatus(build_id, trigger, "running", "starting", 0, 0, _now(),
                                       last_error=running.last_error if running is not None else None)
            self._thread = threading.Thread(target=self._run, args=(build_id,), name=f"live-build-{build_id}",
                                            daemon=True)  # a build cut short by exit leaves the old index intact
            self._thread.start()
            logger.info("live build %s started (%s)", build_id, trigger)
            return self._status

    def status(self) -> BuildStatus | None:
        """The current or last build, or None if none has started."""
        with self._lock:
            return self._status

    def running(self) -> bool:
        status = self.status()
        return status is not None and status.state == "running"

    def wait(self, timeout: float | None = None) -> BuildStatus | None:
        """Block until the current build (if any) has finished; its final status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _public(self, text: str) -> str:
        """A message without server paths (the status is shown to anyone): the seeds and index directories become
        <seeds> and <index>; the log keeps the full text."""
        for directory, label in ((self._settings.seeds_dir, "<seeds>"), (self._settings.index_dir, "<index>")):
            for form in sorted({str(Path(directory).resolve()), str(directory)}, key=len, reverse=True):
                if form not in ("", "."):
                    text = text.replace(form, label)
        return text

    def _update(self, build_id: str, **changes: Any) -> None:
        with self._lock:
            if self._status is not None and self._status.build_id == build_id:
                self._status = replace(self._status, **changes)

    def _progress(self, build_id: str) -> Callable[[str, int, int], None]:
        def report(stage: str, done: int, total: int) -> None:
            status = self.status()
            if status is not None and status.stage != stage:
                logger.info("live build %s: %s, %d to do", build_id, stage, total)
            self._update(build_id, stage=stage, done=done, total=total)

        return report

    def _build(self, build_id: str) -> dict[str, Any]:
        """The build's outcome: its document changes and warnings."""
        progress = self._progress(build_id)
        if self._settings.live_build == "process":
            return build_in_child(self._settings, progress, self._source)
        return _outcome(backend.build(self._settings, self._embedders, progress=progress))

    def _run(self, build_id: str) -> None:
        t0 = time.perf_counter()
        try:
            self._update(build_id, stage="reading seeds")
            outcome = self._build(build_id)
            self._update(build_id, stage="loading the new index", done=0, total=0)
            index = backend.open_index(self._settings)
            self._update(build_id, stage="swapping it in")
            self._install(index)
            changes = outcome["changes"]
            self._update(build_id, state="succeeded", stage="done", index_version=index.version,
                         finished_at=_now(), warnings=tuple(self._public(w) for w in outcome["warnings"]),
                         changes=changes)
            logger.info("live build %s: index %s is live after %.1fs (%s)", build_id, index.version,
                        time.perf_counter() - t0, changes)
        except Exception as exc:  # anything at all: the old index keeps serving, and the status says why
            reason = _reason(exc)
            logger.error("live build %s failed after %.1fs, the previous index keeps serving: %s", build_id,
                         time.perf_counter() - t0, reason)
            at, reason = _now(), self._public(reason)
            self._update(build_id, state="failed", error=reason, finished_at=at,
                         last_error=f"build {build_id} failed at {at}: {reason}")
        finally:
            status = self.status()
            if status is not None and status.build_id == build_id and status.state == "running":
                # a BaseException (interpreter exit, KeyboardInterrupt): still say the build is over
                self._update(build_id, state="failed", error="the build was interrupted", finished_at=_now())


def _reason(exc: BaseException) -> str:
    """What a failed build's status says: a RagError's own message, else the exception's type and message."""
    return str(exc) if isinstance(exc, RagError) else f"{exc.__class__.__name__}: {exc}"


def _outcome(report: Any) -> dict[str, Any]:
    return {"changes": {"added": report.added, "changed": report.changed, "removed": report.removed,
                        "unchanged": report.unchanged}, "warnings": list(report.warnings)}


# -- the build in a process of its own ------------------------------------------------------------------------

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
    BuildProcessError. The child loads its own models (1–2 s), logs to this process's stderr, and exits when this
    process does (its stdin closes). `source` is the caller's `source_id()`: the child refuses to build with other
    code."""
    cmd = python("from rag.indexing.live import child_main; child_main()")
    outcome: dict[str, Any] | None = None
    error: str | None = None
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
                    error = message["error"]
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
        raise BuildProcessError(error)
    how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    raise BuildProcessError(f"the build process {how} before it finished")


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
        send({"done": _outcome(report)})
    except BaseException as exc:  # the parent logs the reason; the traceback is logged here at debug level
        logger.debug("live build failed", exc_info=True)
        send({"error": _reason(exc)})
    finally:
        sys.stderr.flush()
        os._exit(0)  # no interpreter teardown: the engines' threads and caches die with the process


# -- watching the seeds ----------------------------------------------------------------------------------------

Snapshot = dict[str, tuple[int, int]]  # file name → (size, mtime_ns)


def seeds_snapshot(seeds_dir: Path) -> Snapshot:
    """What the watcher compares between polls: every *.txt file's size and modification time."""
    out: Snapshot = {}
    try:
        for path in Path(seeds_dir).glob("*.txt"):
            try:
                st = path.stat()
            except OSError:
                continue  # removed between listing and stat: the next poll sees it gone
            out[path.name] = (st.st_size, st.st_mtime_ns)
    except OSError:
        pass
    return out


def chunked_otherwise(manifest: Mapping[str, Any], chunker: Mapping[str, Any] | None) -> bool:
    """Whether an index manifest records another `chunker` than the one given (None: not compared)."""
    return chunker is not None and manifest.get("chunker") != dict(chunker)


def seeds_match_index(seeds_dir: Path, manifest: Mapping[str, Any], chunker: Mapping[str, Any] | None = None) -> bool:
    """Whether the seeds' contents are exactly the documents of an index manifest (same ids, same sha256) and, given
    `chunker` (what a build would record now), whether the index was chunked under it: after an upgrade that changes
    cleaning or chunking (CHUNKING_ID), or a new --max-tokens, the same seeds make other passages."""
    if chunked_otherwise(manifest, chunker):
        return False
    indexed = {doc_id: entry["sha256"] for doc_id, entry in manifest.get("documents", {}).items()}
    try:
        current = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in Path(seeds_dir).glob("*.txt") if p.is_file()}
    except OSError:
        return False
    return current == indexed


class SeedWatcher:
    """Polls the seeds directory every `interval` seconds; when the files have changed and then stayed the same for
    one more poll (settled), and differ from the live index, it starts a build on `builder`."""

    def __init__(self, seeds_dir: Path, interval: float, builder: LiveBuilder,
                 live_manifest: Callable[[], Mapping[str, Any] | None], chunker: Mapping[str, Any] | None = None) -> None:
        self._seeds, self._interval, self._builder = Path(seeds_dir), interval, builder
        self._live_manifest = live_manifest
        self._chunker = chunker  # what a build records now: an index chunked otherwise is rebuilt at the first poll
        self._stop = threading.Event()
        self._handled: Snapshot | None = None  # the settled state last compared with the index (built or not)
        self._thread = threading.Thread(target=self._loop, name="seed-watcher", daemon=True)

    def start(self) -> SeedWatcher:
        self._thread.start()
        logger.info("watching %s every %.1fs for changed seeds", self._seeds, self._interval)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        previous = seeds_snapshot(self._seeds)
        while not self._stop.wait(self._interval):
            try:
                current = seeds_snapshot(self._seeds)
                if current == previous and current != self._handled:
                    self._settled(current)
                previous = current
            except Exception:  # the watcher must outlive any one bad poll
                logger.exception("seed watcher poll failed")

    def _settled(self, snapshot: Snapshot) -> None:
        if self._builder.running():
            return  # retried at the next poll, once that build is over
        manifest = self._live_manifest()
        if manifest is not None and seeds_match_index(self._seeds, manifest, self._chunker):
            self._handled = snapshot
            return
        try:
            self._builder.start(trigger="watch")
        except BuildBusyError:
            return
        self._handled = snapshot
        if manifest is not None and chunked_otherwise(manifest, self._chunker):
            logger.info("the live index was chunked under other settings or code (%s, now %s): rebuilding",
                        manifest.get("chunker"), dict(self._chunker))
        else:
            logger.info("seeds changed in %s: rebuilding", self._seeds)
