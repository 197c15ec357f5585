"""Rebuilding a private copy of the session's default index, for tests of what an incremental build reuses."""

from __future__ import annotations

import shutil
from pathlib import Path

from rag.indexing.build import BuildReport
from rag.indexing.load import LoadedIndex, load_index
from rag.runtime import build
from rag.settings import Settings


def rebuild_copy(settings: Settings, embedders, tmp_path: Path, **changes) -> tuple[BuildReport, LoadedIndex, LoadedIndex]:
    """Copy the index at settings.index_dir to tmp_path/index, rebuild it with `changes` applied to the settings;
    (report, index before, index after)."""
    index_dir = tmp_path / "index"
    shutil.copytree(settings.index_dir, index_dir)
    before = load_index(index_dir, settings.embedders)
    report = build(settings.replace(index_dir=index_dir, **changes), embedders)
    return report, before, load_index(index_dir, settings.embedders)
