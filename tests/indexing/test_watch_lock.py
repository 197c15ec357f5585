"""The seed watcher and another process building the same index (rag/indexing/watch.py, live.py): a watched build
that loses the index's lock to another build tries again once the lock is free, instead of serving the old version
until someone reloads it. In process, USE only, builds on a thread (what two servers watching one folder meet)."""

from __future__ import annotations

import time
from pathlib import Path

from filelock import FileLock

from rag.indexing import live
from rag.indexing.build import chunker_params
from rag.indexing.live import LiveBuilder
from rag.indexing.load import LoadedIndex, load_index
from rag.indexing.manifest import read_manifest
from rag.indexing.watch import SeedWatcher

from .test_incremental import NEW_DOC, NEW_TEXT


def _until(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def test_a_watched_build_that_lost_the_lock_to_another_build_builds_again_once_it_is_free(use_settings, use_embedder,
                                                                                         monkeypatch) -> None:
    settings = use_settings.replace(live_build="thread")
    index, seeds = Path(settings.index_dir), Path(settings.seeds_dir)
    served: list[LoadedIndex] = [load_index(index, settings.embedders)]

    def serve() -> LoadedIndex:
        served.append(load_index(index, settings.embedders))
        return served[-1]

    builder = LiveBuilder(settings, {"use": use_embedder}, serve)
    # the race: the other build takes the lock just after this server looked at it (its look is skipped here)
    monkeypatch.setattr(live, "_locked_elsewhere", lambda _: False)
    other = FileLock(index / ".build.lock", timeout=0, thread_local=False, preserve_lock_file=True)
    other.acquire()
    watcher = SeedWatcher(seeds, 0.05, builder, lambda: served[-1].manifest, chunker_params(settings)).start()
    try:
        (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
        lost = _until(lambda: (s := builder.status()) is not None and s.state == "failed" and s)
        assert "another build is already running" in lost.error and builder.lost_to_another_build()
        other.release()  # the other build is over (this test's stands for it)
        done = _until(lambda: (s := builder.status()) is not None and s.state == "succeeded" and s)
    finally:
        watcher.stop()
        if other.is_locked:
            other.release()
    assert done.trigger == "watch" and not builder.lost_to_another_build()
    assert NEW_DOC in served[-1].manifest["documents"] and read_manifest(index)["build"] == served[-1].version
