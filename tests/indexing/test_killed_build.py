"""A build killed midway never damages the live index (rag/indexing/build.py writes a temp dir, then renames)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rag.indexing.build import build_index
from rag.indexing.live_child import _signal_name
from rag.indexing.load import load_index
from rag.indexing.manifest import BUILDS, read_manifest
from rag.retrieval import Searcher
from rag.stores.japanese import default_analyzer

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from rag.indexing.build import build_index
    from isolated import isolated_settings
    from indexing.slow_embedder import SlowUSE

    seeds, index, marker = map(Path, sys.argv[1:4])
    settings = isolated_settings(seeds_dir=seeds, index_dir=index, embedders=("use",))
    build_index(settings, [SlowUSE(marker)], full=True)  # full: re-embed all ~300 passages, ~10 slow batches
    print("finished")
    """
)


def _wait_for(predicate, timeout: float, proc: subprocess.Popen, stderr: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, f"the build exited early ({proc.returncode}): {stderr.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "the slow build never started embedding"
        time.sleep(0.05)


def test_a_build_killed_midway_leaves_the_old_index_loadable_and_the_next_build_cleans_up(
    use_settings, use_embedder, repo_root: Path, tmp_path: Path
) -> None:
    old_version = read_manifest(use_settings.index_dir)["build"]
    marker, stderr = tmp_path / "batches", tmp_path / "child.stderr"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo_root), str(repo_root / "tests")])}
    with open(stderr, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(use_settings.seeds_dir), str(use_settings.index_dir), str(marker)],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err,
        )
    try:
        # Kill once at least one batch is embedded: the build is then known to be midway (temp dir half written).
        _wait_for(lambda: marker.exists() and int(marker.read_text() or 0) >= 1, 120, proc, stderr)
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    builds = Path(use_settings.index_dir) / BUILDS
    stale = [p.name for p in builds.iterdir() if p.name.startswith(".tmp-")]
    assert len(stale) == 1, sorted(p.name for p in builds.iterdir())  # the half-written build was left behind
    index = load_index(use_settings.index_dir, ("use",))
    assert index.version == old_version
    searcher = Searcher(index, {"use": use_embedder}, default_analyzer(), use_settings)
    hits = searcher.search("ラヴロフ外相は中国との同盟について何と言ったか", top_k=5, mode="hybrid").hits
    assert any("中国との真の同盟関係の構築" in h.passage.text for h in hits)

    report = build_index(use_settings, [use_embedder])
    assert report.unchanged == 5 and report.embedded == {"use": 0, "use-align": 0}  # the old index was still reusable
    names = {p.name for p in builds.iterdir()}
    assert not any(n.startswith(".tmp-") for n in names), names
    assert names == {old_version, report.index_version}
    assert load_index(use_settings.index_dir, ("use",)).version == report.index_version


def test_a_build_killed_by_any_signal_says_which():
    """A real-time signal has no name in `signal.Signals`: the ValueError hid why the live build had failed."""
    assert _signal_name(signal.SIGKILL) == "SIGKILL"
    assert _signal_name(signal.SIGRTMIN + 1) == f"signal {signal.SIGRTMIN + 1}"

