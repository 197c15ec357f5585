"""Shared, session-scoped fixtures: real models and one real index over the real seeds, built once per run."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# Git-ignored. The session index lives here, keyed by the seeds' content, so that a second run reuses its vectors
# through the product's own incremental build; numba keeps its compilations here too (rag/stores/kernels_numba.py: the
# loops of a machine without a C compiler, which tests/retrieval/test_kernels.py compares the compiled ones against).
CACHE = Path(os.environ.get("NEWSRAG_TEST_CACHE", REPO / ".cache"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no hub here: models come from packages or local paths
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NUMBA_CACHE_DIR", str(CACHE / "numba"))
# One JMdict table for every index the tests build, the session index included, in this process and the ones it
# starts (rag/stores/dictionary.py; api.process.running_server passes it on): read once per clone, and no copy of an
# index carries a 77 MB table of its own.
os.environ.setdefault("RAG_CACHE_DIR", str(CACHE / "tables"))


def _tables() -> str:
    return os.environ["RAG_CACHE_DIR"]


def pytest_configure(config: pytest.Config) -> None:
    """Whether the session index must be built, decided once before pytest-xdist starts its workers (they inherit
    it), so that every worker orders its collection alike, as xdist requires."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        os.environ["NEWSRAG_TEST_INDEX_COLD"] = "0" if (_session_root() / "index" / "manifest.json").is_file() else "1"


def _index_is_cold() -> bool:
    return os.environ.get("NEWSRAG_TEST_INDEX_COLD") == "1"


_CHILDREN = pytest.StashKey[dict]()
# what the session index fixture runs, in a process of its own (the defaults, as Settings.from_env({}) gives them),
# under the session index's lock; it builds nothing if a pytest-xdist worker's fixture has built this run's index
# already (its report is there), so that the index never changes under a worker's searcher
_BUILD = ("import os, sys; from pathlib import Path; from filelock import FileLock; from rag.runtime import build; "
          "from rag.settings import Settings; seeds, index, lock, done, tables = map(Path, sys.argv[1:6]); "
          "run = os.environ.get('PYTEST_XDIST_TESTRUNUID'); held = FileLock(lock); held.acquire(); "
          "skip = bool(run) and done.is_file(); "
          "skip or build(Settings.from_env({}, seeds_dir=seeds, index_dir=index, cache_dir=tables)); held.release()")


def _start(config: pytest.Config, name: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Start `python args…` beside the tests (output in `log`); pytest_sessionfinish stops it if still running."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env={**os.environ, **(env or {})}, stdout=out,
                                stderr=subprocess.STDOUT)
    config.stash.setdefault(_CHILDREN, {})[name] = proc


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: only the tests that will run count
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a run with no session index (a fresh clone), build it in another process while this one runs the test
    modules that need neither it nor the models, then the others: the build is ~2 min of mostly e5 work with stages
    that leave a core idle, and those modules (~400 quick tests) fill it. A module is moved whole, so its module
    fixtures are set up once."""
    if config.option.collectonly or os.environ.get("NEWSRAG_NO_WARMUP"):
        return
    helpers = os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0"  # xdist: one worker starts them for all
    fixtures = {item: set(getattr(item, "fixturenames", ())) for item in items}
    cold = any("built_index" in f for f in fixtures.values()) and _index_is_cold()
    later: set[Path] = set()
    if cold:
        if helpers:
            root = _session_root()
            with _root_lock(root) as lock:
                seeds = _session_seeds(root)
            _start(config, "index", ["-c", _BUILD, str(seeds), str(root / "index"), lock.lock_file,
                                     str(_report_file(root)), _tables()], CACHE / "test-index-build.log")
        # Later: the modules that need the index, and those that load the models (several build indexes of their
        # own, which would read the JMdict database here, ~30 s, instead of the table the session build caches).
        later = {item.path for item, f in fixtures.items() if f & {"built_index", "embedders"}}
    # Within each group, the longest modules first (the last run's times, if any): pytest-xdist hands out whole
    # modules in this order (the Makefile turns off its reordering by test count), so a run does not end on one
    # long module, nor start with both workers waiting for the session index. The sort is stable.
    took = _module_times()
    items.sort(key=lambda item: (item.path in later, -took.get(_module(item.nodeid), 0.0)))


TIMES = CACHE / "test-module-seconds.json"  # each module's seconds in the last run, for the next run's order
_TOOK: dict[str, float] = {}


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _module_times() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(TIMES.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


_SESSION_SETUP: list[float] = []  # seconds spent in session fixtures during the current test's setup, in this process


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, Any, None]:
    """Tell the controller (through the report, which pytest-xdist sends it) how much of a setup was session setup."""
    outcome = yield
    if call.when == "setup" and _SESSION_SETUP:
        outcome.get_result().user_properties.append(("session_setup_s", sum(_SESSION_SETUP)))
        _SESSION_SETUP.clear()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum each module's setup, call and teardown time (in the controller, which sees every worker's reports),
    without the session index's setup: on a fresh clone that is a ~70 s wait charged to whichever module came first,
    which would put that module first in the next run's order."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        own = report.duration - sum(v for k, v in report.user_properties if k == "session_setup_s")
        _TOOK[_module(report.nodeid)] = _TOOK.get(_module(report.nodeid), 0.0) + max(own, 0.0)


def _save_module_times(exitstatus: int) -> None:
    """Keep this run's module times for the next run's order (a module that did not run keeps its old time)."""
    if ("PYTEST_XDIST_WORKER" in os.environ or os.environ.get("NEWSRAG_NO_WARMUP") or not _TOOK
            or exitstatus == pytest.ExitCode.INTERRUPTED):
        return
    times = {**_module_times(), **{m: round(t, 2) for m, t in _TOOK.items()}}
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    tmp = TIMES.with_name(f".{TIMES.name}.{os.getpid()}")
    tmp.write_text(json.dumps(times, indent=0, sort_keys=True))
    tmp.replace(TIMES)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _save_module_times(exitstatus)
    children = session.config.stash.get(_CHILDREN, {})
    index = children.get("index")
    if index is not None and "PYTEST_XDIST_WORKER" in os.environ and exitstatus != pytest.ExitCode.INTERRUPTED:
        try:  # this worker is done, but another may be waiting for the session index it builds
            index.wait(timeout=600)
        except subprocess.TimeoutExpired:
            pass
    for proc in children.values():
        if proc.poll() is None:  # never leave one running after the tests
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


def _session_root() -> Path:
    from rag.chunking import CHUNKING_ID
    from rag.indexing.manifest import FORMAT_VERSION

    # an index of another format, or chunked by other code, is built aside: brought up to date in place, its rows
    # would be spread over the segments of two builds, which the tests of a first build do not expect
    return CACHE / "test-index" / f"{_seeds_key()}-f{FORMAT_VERSION}-{CHUNKING_ID}"


def _root_lock(root: Path) -> FileLock:
    """Held while a process sets up the session index (pytest-xdist workers share it)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(root.parent / f"{root.name}.lock")


def _session_seeds(root: Path) -> Path:
    seeds = root / "seeds"
    if not seeds.is_dir():  # copied aside, then renamed: a killed run never leaves half the seeds
        tmp = root / f".seeds.{os.getpid()}"
        shutil.copytree(SEEDS, tmp)
        tmp.rename(seeds)
    return seeds


@pytest.fixture(scope="session")
def built_index(embedders, request):
    """(settings, build report) for a real default index over a copy of the real seeds; treat it as read-only.

    The index is built in the test cache (keyed by the seeds' content) and updated there by an ordinary incremental
    build, so the report says what this run embedded: everything on a first run, nothing on a second (or when the
    first build ran in the process pytest_collection_modifyitems started: this one then finds it done)."""
    t0 = time.perf_counter()
    try:
        return _built_index(embedders, request)
    finally:  # a session cost (waiting for or running the build), not the cost of the module that came first
        _SESSION_SETUP.append(time.perf_counter() - t0)


def _built_index(embedders, request):
    from rag.runtime import build
    from rag.settings import Settings

    root = _session_root()
    background = request.config.stash.get(_CHILDREN, {}).get("index")
    if background is not None and background.wait() != 0:  # then the build below does it all, or says why not
        warnings.warn(f"the background index build failed (exit {background.returncode}); building here: "
                      f"see {CACHE / 'test-index-build.log'}")
    # Under pytest-xdist every worker gets here: the first builds, the others take its report (the same index
    # version; another no-op build would switch the index under the first worker's searcher).
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    done = _report_file(root)
    with _root_lock(root):  # the background build holds it too
        settings = Settings.from_env({}, seeds_dir=_session_seeds(root), index_dir=root / "index",
                                     cache_dir=Path(_tables()))
        if run and done.is_file():
            return settings, pickle.loads(done.read_bytes())
        report = build(settings, embedders)
        if run:
            for old in root.glob("built-in-run-*.pickle"):
                old.unlink()
            done.write_bytes(pickle.dumps(report))
    return settings, report


def _report_file(root: Path) -> Path:
    """Where the first xdist worker to build leaves this run's build report for the others."""
    return root / f"built-in-run-{os.environ.get('PYTEST_XDIST_TESTRUNUID')}.pickle"


@pytest.fixture(scope="session")
def searcher(built_index, embedders):
    """A Searcher over the session's default index."""
    from rag.runtime import open_searcher

    settings, _ = built_index
    return open_searcher(settings, embedders=embedders)
