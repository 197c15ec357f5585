"""The seed watcher (rag/indexing/watch.py, live.py): a watched build that loses the index's lock to another build
tries again once the lock is free, instead of serving the old version until someone reloads it (what two servers
watching one folder meet); seed files a build skips do not make the index look stale; a build that finds nothing new
keeps the live version. In process, USE only, builds on a thread."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from filelock import FileLock
from litestar.datastructures import State

from api.live import serve_from_disk

from rag.indexing import live
from rag.indexing.build import chunker_params
from rag.indexing.live import LiveBuilder
from rag.indexing.load import LoadedIndex, load_index
from rag.indexing.manifest import read_manifest
from rag.indexing.watch import SeedWatcher, seeds_match_index

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

    def serve(before_serving) -> LoadedIndex:
        served.append(load_index(index, settings.embedders))
        before_serving(served[-1])
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


def test_seeds_the_build_skips_do_not_make_the_index_look_stale_and_a_real_change_does(use_settings) -> None:
    """The watcher compared every *.txt with the index: a seed the build skips (empty, hidden, a link out of the
    folder) made each server start with --watch, and each poll after a change, build the same index again."""
    seeds, manifest = Path(use_settings.seeds_dir), read_manifest(use_settings.index_dir)
    chunker = chunker_params(use_settings)
    assert seeds_match_index(seeds, manifest, chunker)
    (seeds / "zz_empty.txt").write_bytes(b"")
    (seeds / ".zz_hidden.txt").write_text(NEW_TEXT, encoding="utf-8")
    outside = seeds.parent / "elsewhere.txt"
    outside.write_text(NEW_TEXT, encoding="utf-8")
    (seeds / "zz_link.txt").symlink_to(outside)
    assert seeds_match_index(seeds, manifest, chunker)
    (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert not seeds_match_index(seeds, manifest, chunker)
    (seeds / f"{NEW_DOC}.txt").unlink()
    one = min(seeds.glob("0*.txt"))
    one.write_bytes(one.read_bytes() + "追記。".encode())
    assert not seeds_match_index(seeds, manifest, chunker)


def test_a_live_build_that_finds_nothing_new_keeps_the_version_and_says_so(use_settings, use_embedder) -> None:
    settings = use_settings.replace(live_build="thread")
    index = Path(settings.index_dir)
    served: list[LoadedIndex] = []
    builder = LiveBuilder(settings, {"use": use_embedder},
                          lambda _: served.append(load_index(index, settings.embedders)) or served[-1])
    first = builder.start("api") and builder.wait(300)
    assert first.state == "succeeded" and not first.up_to_date  # the copy records its own seeds' paths
    passages = len(served[-1].passages)
    assert (first.done, first.total) == (passages, passages)  # the served version's passages, not 0 of 0
    again = builder.start("api") and builder.wait(300)
    assert again.state == "succeeded" and again.up_to_date and again.as_json()["up_to_date"] is True
    assert again.index_version == first.index_version == read_manifest(index)["build"]
    assert again.changes == {"added": 0, "changed": 0, "removed": 0, "unchanged": 5}


def test_a_live_builds_status_and_the_version_served_change_in_one_step(use_settings, use_embedder) -> None:
    """A client that saw the new version served (GET /readyz turned 200) then read GET /v1/index, whose build was
    still "running" at "loading the new index": the index was swapped in, then the status finished (seen as a flaky
    test of a server whose start waited on a build that died). A reader (`observe`, as GET /v1/index reads) that
    comes during the swap now waits for it, and then reads the build succeeded beside the version it made."""
    settings = use_settings.replace(live_build="thread")
    during: list[bool] = []
    seen: list[tuple] = []
    readers: list[threading.Thread] = []

    class Swapping(State):  # at the swap, a reader in another thread
        def __setattr__(self, key, value):
            if key == "searcher" and self.get("builder") is not None:
                reader = threading.Thread(target=lambda: seen.append(self.builder.observe(lambda: self.searcher)))
                reader.start()
                reader.join(0.2)
                during.append(reader.is_alive())  # it waits while the swap is under way
                readers.append(reader)
            super().__setattr__(key, value)

    state = Swapping({"swap_lock": threading.Lock(), "embedders": {"use": use_embedder}})
    state.builder = LiveBuilder(settings, {"use": use_embedder},
                                lambda serving: serve_from_disk(state, settings, serving)[0])
    done = state.builder.start("api") and state.builder.wait(300)
    for reader in readers:
        reader.join(10)
    status, served = seen[0]
    assert done.state == "succeeded" and during == [True]
    assert status.state == "succeeded" and status.index_version == served.index.version == done.index_version
    assert state.builder.finished == {"succeeded": 1, "failed": 0}


def test_a_live_builds_public_messages_name_no_qdrant_folder(use_settings, use_embedder, tmp_path) -> None:
    folder = tmp_path / "qdrant-store"
    settings = use_settings.replace(store="qdrant", qdrant_path=folder)
    builder = LiveBuilder(settings, {"use": use_embedder}, lambda _: None)
    said = builder._public(f"Qdrant's local mode at {folder.resolve()} stayed in use by another process for 120s")
    assert said == "Qdrant's local mode at <qdrant> stayed in use by another process for 120s"


def test_a_watched_build_that_failed_is_tried_again_while_the_seeds_differ(use_settings, use_embedder,
                                                                           monkeypatch) -> None:
    """A build that fails for a while (here the store is away for its first try: a Qdrant folder another process
    held past the wait, in the probe) was not tried again until the seeds changed once more; the server served a
    removed document meanwhile."""
    from rag.errors import StoreUnavailableError

    settings = use_settings.replace(live_build="thread")
    index, seeds = Path(settings.index_dir), Path(settings.seeds_dir)
    served: list[LoadedIndex] = [load_index(index, settings.embedders)]
    builder = LiveBuilder(settings, {"use": use_embedder},
                          lambda _: served.append(load_index(index, settings.embedders)) or served[-1])
    real, tries = live.backend.build, []

    def away_once(*args, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise StoreUnavailableError("Qdrant at http://qdrant:6333 did not answer (connection refused)")
        return real(*args, **kwargs)

    monkeypatch.setattr(live.backend, "build", away_once)
    watcher = SeedWatcher(seeds, 0.05, builder, lambda: served[-1].manifest, chunker_params(settings),
                          retry_s=0.3).start()
    try:
        (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
        failed = _until(lambda: (s := builder.status()) is not None and s.state == "failed" and s)
        assert "did not answer" in failed.error
        done = _until(lambda: (s := builder.status()) is not None and s.state == "succeeded" and s)
        time.sleep(1.0)  # the index now matches the seeds: nothing is tried again
    finally:
        watcher.stop()
    assert len(tries) == 2 and done.trigger == "watch" and NEW_DOC in served[-1].manifest["documents"]


def test_a_failed_build_the_restored_seeds_no_longer_need_is_not_tried_again(use_settings, use_embedder, monkeypatch,
                                                                              caplog) -> None:
    """A refused removal, then the seeds restored: the watcher kept "trying the failed build again" with nothing to
    build, doubling its wait each time, so that the next real failure waited four minutes for its retry."""
    from rag.errors import StoreUnavailableError

    settings = use_settings.replace(live_build="thread")
    index, seeds = Path(settings.index_dir), Path(settings.seeds_dir)
    served: list[LoadedIndex] = [load_index(index, settings.embedders)]
    builder = LiveBuilder(settings, {"use": use_embedder},
                          lambda _: served.append(load_index(index, settings.embedders)) or served[-1])

    def away(*args, **kwargs):
        raise StoreUnavailableError("Qdrant at http://qdrant:6333 did not answer (connection refused)")

    monkeypatch.setattr(live.backend, "build", away)
    watcher = SeedWatcher(seeds, 0.05, builder, lambda: served[-1].manifest, chunker_params(settings),
                          retry_s=0.2).start()
    try:
        with caplog.at_level("INFO", logger="rag.indexing.watch"):
            (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
            failed = _until(lambda: (s := builder.status()) is not None and s.state == "failed" and s)
            (seeds / f"{NEW_DOC}.txt").unlink()  # the seeds are the index's again
            _until(lambda: "is not tried again" in caplog.text)
            time.sleep(1.5)  # waits of 0.2, 0.4 and 0.8 s: the old watcher tried three times by now
    finally:
        watcher.stop()
    assert failed.build_id in caplog.text and caplog.text.count("trying the failed build") <= 1
    assert watcher._retry_s == 0.2  # the next failure's first wait is the first again, not doubled by retries of nothing


def test_a_new_seed_the_build_cannot_read_is_said_once_though_no_build_starts(use_settings, use_embedder,
                                                                              caplog) -> None:
    """The index does not look stale for it (above), so no build ran and no build's warnings named it: an operator who
    dropped a Shift-JIS file in saw nothing at all."""
    settings = use_settings.replace(live_build="thread")
    index, seeds = Path(settings.index_dir), Path(settings.seeds_dir)
    served = [load_index(index, settings.embedders)]
    builder = LiveBuilder(settings, {"use": use_embedder}, lambda _: served[-1])
    watcher = SeedWatcher(seeds, 0.05, builder, lambda: served[-1].manifest, chunker_params(settings))
    bad = seeds / "006_shift_jis.txt"
    with caplog.at_level("WARNING", logger="rag.indexing.watch"):
        watcher.start()
        try:
            time.sleep(0.3)  # settled on the seeds as they are: nothing to say
            assert not [r for r in caplog.records if r.name == "rag.indexing.watch" and r.levelno >= logging.WARNING]
            bad.write_bytes(NEW_TEXT.encode("shift_jis"))
            _until(lambda: [r for r in caplog.records if "006_shift_jis.txt" in r.getMessage()])
            time.sleep(0.3)  # more polls of the same file: said once
        finally:
            watcher.stop()
    said = [r.getMessage() for r in caplog.records if "006_shift_jis.txt" in r.getMessage()]
    assert len(said) == 1 and "not valid UTF-8" in said[0] and "not indexed" in said[0], said
    assert builder.status() is None  # and no build was started for it
