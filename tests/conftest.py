"""Shared, session-scoped fixtures: real models and one real index over the real seeds, built once per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no hub here: models come from packages or local paths
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


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


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedders):
    """(settings, build report) for a real default index over a copy of the real seeds; treat it as read-only."""
    from rag.runtime import build
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("default-index")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=root / "index")
    report = build(settings, embedders)
    return settings, report


@pytest.fixture(scope="session")
def searcher(built_index, embedders):
    """A Searcher over the session's default index."""
    from rag.runtime import open_searcher

    settings, _ = built_index
    return open_searcher(settings, embedders=embedders)
