"""`rag serve --watch`: a thread that polls the seeds directory and starts a live build when the seeds have changed,
settled, and differ from the live index."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..corpus import read_seed, seed_paths
from ..errors import BuildBusyError
from .live import LiveBuilder

logger = logging.getLogger(__name__)

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
    current = {}
    try:
        # the files a build reads, and of those the ones it indexes: a seed it skips (hidden, a link out of the
        # folder, empty, not UTF-8) made every server start and every poll after a change build the same index again
        for path in seed_paths(Path(seeds_dir), log=False)[0]:
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            if indexed.get(path.stem) == sha or read_seed(path)[1] is None:
                current[path.stem] = sha
    except OSError:
        return False
    return current == indexed


RETRY_FIRST_S = 30.0  # a failed build is tried again after this long, then after twice as long each time
RETRY_MAX_S = 900.0


class SeedWatcher:
    """Polls the seeds directory every `interval` seconds; when the files have changed and then stayed the same for
    one more poll (settled), and differ from the live index, it starts a build on `builder`. A build that failed
    (a Qdrant folder or server busy or away, a removal refused) is tried again while the seeds still differ from the
    index: after `retry_s`, then twice as long each time up to RETRY_MAX_S; before, the watcher waited for the next
    change of the seeds, and served a removed document meanwhile. Once the seeds match the live index again (a refused
    removal undone), that failure is not tried again and the next one's wait starts from `retry_s`."""

    def __init__(self, seeds_dir: Path, interval: float, builder: LiveBuilder,
                 live_manifest: Callable[[], Mapping[str, Any] | None], chunker: Mapping[str, Any] | None = None,
                 retry_s: float = RETRY_FIRST_S) -> None:
        self._seeds, self._interval, self._builder = Path(seeds_dir), interval, builder
        self._live_manifest = live_manifest
        self._chunker = chunker  # what a build records now: an index chunked otherwise is rebuilt at the first poll
        self._stop = threading.Event()
        self._handled: Snapshot | None = None  # the settled state last compared with the index (built or not)
        self._first_retry_s = self._retry_s = retry_s
        self._failed: tuple[str, float] | None = None  # the failed build waited on, and when it is tried again
        self._moot: str | None = None  # a failed build the seeds no longer need: they match the live index again
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
                # settled and not handled yet, or handled by a build that lost the index's lock to another process,
                # or by one that failed and whose wait before another try is over
                if current == previous:
                    changed = current != self._handled or self._builder.lost_to_another_build()
                    if changed or self._retry_due():
                        self._settled(current, retrying=not changed)
                previous = current
            except Exception:  # the watcher must outlive any one bad poll
                logger.exception("seed watcher poll failed")

    def _retry_due(self) -> bool:
        """Whether the last build failed and its wait before another try is over (the wait doubles per failure)."""
        status = self._builder.status()
        if status is None or status.state != "failed" or status.build_id == self._moot:
            if status is not None and status.state == "succeeded":
                self._retry_s, self._failed = self._first_retry_s, None
            return False
        now = time.monotonic()
        if self._failed is None or self._failed[0] != status.build_id:
            self._failed = (status.build_id, now + self._retry_s)  # a new failure: its wait starts now
            return False
        if now < self._failed[1]:
            return False
        self._retry_s = min(self._retry_s * 2, RETRY_MAX_S)  # the wait after this try, should it fail again
        self._failed = (status.build_id, now + self._retry_s)  # or find nothing to do
        logger.info("trying the failed build %s again (%s)", status.build_id, status.error)
        return True

    def _say_unreadable(self, snapshot: Snapshot) -> None:
        """Warn of each new or changed seed the build cannot read (not UTF-8, empty, binary): it does not make the
        index stale, so no build starts, and no build's warnings say it; an operator who dropped it in saw nothing."""
        for name, state in snapshot.items():
            if self._handled is not None and self._handled.get(name) == state:
                continue
            try:
                problem = read_seed(self._seeds / name)[1]
            except OSError:
                continue  # gone or unreadable between polls: the next poll sees it again
            if problem:
                logger.warning("skipping %s: %s (not indexed; fix the file to have it indexed)", name, problem)

    def _settled(self, snapshot: Snapshot, retrying: bool = False) -> None:
        if self._builder.running():
            return  # retried at the next poll, once that build is over
        manifest = self._live_manifest()
        if manifest is not None and seeds_match_index(self._seeds, manifest, self._chunker):
            self._say_unreadable(snapshot)
            self._handled = snapshot
            if self._failed is not None:  # restored seeds (a refused removal undone): the failure needs no retry
                logger.info("the seeds match the live index again: build %s is not tried again", self._failed[0])
                self._moot, self._failed, self._retry_s = self._failed[0], None, self._first_retry_s
            return
        try:
            self._builder.start(trigger="watch")
        except BuildBusyError:
            return
        self._handled = snapshot
        if manifest is None:  # nothing loaded (a missing or refused index): the seeds may not have changed at all
            logger.info("no index is served: building one from %s", self._seeds)
        elif chunked_otherwise(manifest, self._chunker):
            logger.info("the live index was chunked under other settings or code (%s, now %s): rebuilding",
                        manifest.get("chunker"), dict(self._chunker))
        elif not retrying:
            logger.info("seeds changed in %s: rebuilding", self._seeds)
