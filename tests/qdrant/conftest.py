"""Qdrant fixtures: the session's real index published into qdrant-client's local mode, in a folder of its own.

The local mode's files are SQLite databases, written with a commit per upsert call (rag/qdrant/folder.py; the
client's own commits each point), so folders go to /dev/shm when the machine has it (the same files, in memory, no
disk syncs) and fall back to pytest's temporary directory otherwise."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.indexing import backend
from rag.settings import Settings

SHM = Path("/dev/shm")


@pytest.fixture
def qdrant_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh folder for a local-mode Qdrant, removed afterwards."""
    if SHM.is_dir():
        path = Path(tempfile.mkdtemp(prefix="newsrag-qdrant-", dir=SHM))
        yield path
        shutil.rmtree(path, ignore_errors=True)
    else:
        yield tmp_path / f"qdrant-{uuid.uuid4().hex[:8]}"


def qdrant_settings(local: Settings, path: Path, **changes) -> Settings:
    return local.replace(store="qdrant", qdrant_path=path, **changes)


@pytest.fixture(scope="module")
def published(built_index) -> Iterator[tuple[Settings, Settings]]:
    """(local settings, qdrant settings) of the session index, published once per module; treat it as read-only."""
    local, _ = built_index
    root = Path(tempfile.mkdtemp(prefix="newsrag-qdrant-", dir=SHM if SHM.is_dir() else None))
    settings = qdrant_settings(local, root / "store")
    backend.push(settings)
    yield local, settings
    shutil.rmtree(root, ignore_errors=True)
