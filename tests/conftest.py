"""Shared, session-scoped fixtures: real models and one real index over the real seeds, built once per run."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# Git-ignored. The session index lives here, keyed by the seeds' content, so that a second run reuses its vectors
# through the product's own incremental build; numba (ranx) keeps its compilations here too.
CACHE = Path(os.environ.get("NEWSRAG_TEST_CACHE", REPO / ".cache"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no hub here: models come from packages or local paths
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NUMBA_CACHE_DIR", str(CACHE / "numba"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def embedders():
    """The default embedders (e5 + USE), loaded once."""
    from rag.runtime import load_embedders
    from rag.settings import Settings

    return load_embedders(Settings.from_env({}))


def _seeds_key() -> str:
    h = hashlib.sha256()
    for path in sorted(SEEDS.glob("*.txt")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def built_index(embedders):
    """(settings, build report) for a real default index over a copy of the real seeds; treat it as read-only.

    The index is built in the test cache (keyed by the seeds' content) and updated there by an ordinary incremental
    build, so the report says what this run embedded: everything on a first run, nothing on a second."""
    from rag.runtime import build
    from rag.settings import Settings

    from rag.indexing.manifest import FORMAT_VERSION

    root = CACHE / "test-index" / f"{_seeds_key()}-f{FORMAT_VERSION}"  # an index of another format is rebuilt aside
    seeds = root / "seeds"
    if not seeds.is_dir():  # copied aside, then renamed: a killed run never leaves half the seeds
        tmp = root / f".seeds.{os.getpid()}"
        shutil.copytree(SEEDS, tmp)
        tmp.rename(seeds)
    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=root / "index")
    report = build(settings, embedders)
    return settings, report


@pytest.fixture(scope="session")
def searcher(built_index, embedders):
    """A Searcher over the session's default index."""
    from rag.runtime import open_searcher

    settings, _ = built_index
    return open_searcher(settings, embedders=embedders)
