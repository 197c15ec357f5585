"""ranx compiles its metrics with numba on first use (~40 s of CPU each time, cold). Under pytest-xdist two
workers reaching this package at once would both compile; the first here compiles them into the test cache's
NUMBA_CACHE_DIR under a lock, and the others then load them from there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock


@pytest.fixture(scope="session", autouse=True)
def ranx_compiled() -> None:
    from eval.metrics import DEPTH, Judged, by_group, metric_names, recall_curve

    cache = Path(os.environ["NUMBA_CACHE_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(cache.parent / "numba.lock"):
        # the metrics `rag eval` asks for, on the types it gives them
        judged = (Judged("q1", "en", ("a", "b"), (False, True)), Judged("q2", "ja", ("c",), (False,)))
        by_group(judged, metric_names((1, 5, 10)))
        recall_curve(judged, DEPTH)
