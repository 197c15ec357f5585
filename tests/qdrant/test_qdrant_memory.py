"""Qdrant's local mode at :memory: lives in the serving process alone: a live rebuild there must run in that
process, or a build process publishes into its own memory, reports success, and the server serves the old version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.indexing import backend
from rag.indexing.live import LiveBuilder

pytestmark = pytest.mark.slow


def test_a_live_rebuild_on_the_in_memory_store_serves_the_new_version(built_index, embedders, tmp_path: Path):
    local, _ = built_index
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(local.seeds_dir, seeds)
    shutil.copytree(local.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    collection = f"memory{tmp_path.name[-8:].replace('-', '_')}"
    settings = local.replace(store="qdrant", qdrant_path=":memory:", qdrant_collection=collection,
                             seeds_dir=seeds, index_dir=index, live_build="process")
    backend.push(settings)
    before = backend.open_index(settings).version
    installed = []
    builder = LiveBuilder(settings, embedders, lambda: installed.append(backend.open_index(settings)) or installed[-1])
    smallest = min(seeds.glob("*.txt"), key=lambda p: p.stat().st_size)
    text = smallest.read_text(encoding="utf-8")
    (seeds / f"{smallest.stem}x.txt").write_text(text.replace("ロシア", "ルミナ"), encoding="utf-8")
    builder.start("test")
    status = builder.wait(600)
    assert status.state == "succeeded", status
    served = backend.open_index(settings)
    assert status.index_version == served.version == installed[-1].version != before
    assert f"{smallest.stem}x" in served.docs
    # nothing new since: the version stays in the store, which is asked whether it keeps it (its layout is the same)
    builder.start("test")
    again = builder.wait(600)
    assert again.state == "succeeded" and again.up_to_date, again
    assert again.index_version == status.index_version == backend.open_index(settings).version
    # what the publishing did, in the status as `rag index build --json` says it (it was only in the log)
    assert status.store["qdrant"]["upserted"] > 0 and not status.store["qdrant"]["already_live"]
    assert again.store["qdrant"]["already_live"] and again.as_json()["store"] == again.store
