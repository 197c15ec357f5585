"""Shared, session-scoped fixtures: real models and one real index over the real seeds, built once per run."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
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


def _numba_is_cold() -> bool:
    return not any((CACHE / "numba").glob("metrics_*/*.nbi"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """On a run with no numba cache (a fresh clone), compile ranx's functions in another process while this one
    builds the session index (~90 s of CPU otherwise spent later, inside the first metric tests, at a time when the
    index build leaves a core idle in its single-threaded stages). The other process runs the metric tests' own
    calls, so that it compiles exactly the signatures they load; this run still runs those tests itself."""
    if _numba_is_cold() and not os.environ.get("NEWSRAG_NO_NUMBA_WARMUP"):
        CACHE.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "NEWSRAG_NO_NUMBA_WARMUP": "1", "NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"]}
        with open(CACHE / "numba-warmup.log", "wb") as log:
            session.config._numba_warmup = subprocess.Popen(  # type: ignore[attr-defined]
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 str(REPO / "tests" / "eval" / "test_eval_metrics.py")],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def pytest_sessionfinish(session: pytest.Session) -> None:
    proc = getattr(session.config, "_numba_warmup", None)
    if proc is not None and proc.poll() is None:  # never leave it running after the tests
        proc.kill()
        proc.wait()


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
def share_dictionary_cache(built_index):
    """share_dictionary_cache(index_dir): give a new index the session index's JMdict table (rag/stores/bridge.py
    caches it in the index's own .cache/). A build in another process reads it in ~1 s instead of reading the
    dictionary database again (~15 s quiet); a link, not a 67 MB copy."""
    settings, _ = built_index
    tables = sorted((Path(settings.index_dir) / ".cache").glob("jmdict-terms-*.marshal"))

    def share(index_dir: Path) -> None:
        cache = Path(index_dir) / ".cache"
        cache.mkdir(parents=True, exist_ok=True)
        for table in tables:
            if not (cache / table.name).exists():
                (cache / table.name).symlink_to(table)

    return share


@pytest.fixture(scope="session")
def searcher(built_index, embedders):
    """A Searcher over the session's default index."""
    from rag.runtime import open_searcher

    settings, _ = built_index
    return open_searcher(settings, embedders=embedders)
