"""A first `rag serve` builds the missing index in view: a plain line per stage without a terminal, a bar with
done/total and an ETA on one (real builds, USE only so that they stay cheap)."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.process import free_port, running_server

from isolated import isolated_env

pytestmark = pytest.mark.slow


def _fresh(built_index, root: Path) -> tuple[Path, Path]:
    """root/seeds (a copy of the real seeds) and root/index, empty but for the JMdict cache a first build makes."""
    settings, _ = built_index
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    index.mkdir()
    if (Path(settings.index_dir) / ".cache").is_dir():
        shutil.copytree(Path(settings.index_dir) / ".cache", index / ".cache")
    return seeds, index


def test_serve_without_an_index_prints_each_build_stage_before_serving(built_index, tmp_path: Path) -> None:
    seeds, index = _fresh(built_index, tmp_path)
    log = tmp_path / "server.log"
    with running_server(seeds, index, log, env={"RAG_EMBEDDERS": "use"}) as url:
        version = httpx.get(f"{url}/v1/index", timeout=30).json()["index_version"]
    text = log.read_text(encoding="utf-8")
    assert "\r" not in text  # no terminal: no bar redrawn in place
    lines = text.splitlines()
    stage = [line for line in lines if line.startswith("[index build] ")]
    passages = int(re.search(r"embedding use: \d+/(\d+) passages", text).group(1))
    assert passages > 64  # three batches at least: a first line, progress, a last line
    assert re.fullmatch(rf"\[index build\] embedding use: 32/{passages} passages", stage[0]), stage
    assert re.fullmatch(rf"\[index build\] embedding use: {passages}/{passages} passages, done in \d+\.\ds", stage[-1])
    # in order: the warning that a build starts, its stages, the summary, then the server is ready
    start = next(i for i, line in enumerate(lines) if "no index at" in line and "building it" in line)
    done = lines.index(stage[-1])
    built = next(i for i, line in enumerate(lines) if f"built index {version}" in line)
    ready = next(i for i, line in enumerate(lines) if f"ready: index {version}" in line)
    assert start < lines.index(stage[0]) < done < built < ready


def test_index_build_on_a_terminal_draws_a_bar_with_an_eta(built_index, tmp_path: Path, repo_root: Path) -> None:
    seeds, index = _fresh(built_index, tmp_path)
    primary, secondary = pty.openpty()
    env = isolated_env()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "index", "build", "--seeds", str(seeds), "--index",
                             str(index), "--embedders", "use"], cwd=repo_root, env=env, stdout=subprocess.PIPE,
                            stderr=secondary)
    os.close(secondary)
    out = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(primary)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out.decode(errors="replace")
    text = out.decode("utf-8", errors="replace")
    assert "\r" in text and "[index build]" not in text  # redrawn in place, not logged line by line
    assert re.search(r"embedding use\s+\[#*\.*\] \d+/\d+ passages, ETA \d+s", text), text[-2000:]
    assert re.search(r"\[#{30}\] (\d+)/\1 passages", text)
    assert stdout.decode().startswith("index ")


@contextmanager
def _ctrl_c_as_from_a_terminal() -> Iterator[None]:
    """A child started meanwhile gets SIGINT's default disposition. A suite run in the background by a shell without
    job control (`make test &` in a script) has SIGINT ignored, and a process keeps an ignored SIGINT across exec, as
    it should: the server then rightly ignored the test's Ctrl-C, and the test waited out its 60 s."""
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # reset to the default by exec
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_first_serve_stops_mid_build_on_ctrl_c_or_sigterm_as_index_build_does(built_index, tmp_path: Path,
                                                                                repo_root: Path, signum) -> None:
    # the build ran in the app's start, under uvicorn's signal handlers: a stop signal waited for the whole build
    # and the server's start ("ready: …", then "rag: interrupted"), minutes on a large corpus
    seeds, index = _fresh(built_index, tmp_path)
    for extra in sorted(seeds.glob("*.txt"))[2:]:  # two articles: a build long enough to stop, short to run
        extra.unlink()
    env = {**isolated_env(), "RAG_EMBEDDERS": "use"}
    with _ctrl_c_as_from_a_terminal():
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
                                 str(free_port()), "--seeds", str(seeds), "--index", str(index)], cwd=repo_root,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    try:
        while "[index build] embedding use:" not in seen:  # the build is under way
            line = proc.stderr.readline()
            assert line, f"serve ended before its build showed progress:\n{seen}"
            seen += line
        t0 = time.monotonic()
        proc.send_signal(signum)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stopped_in = time.monotonic() - t0
    text = seen + rest
    assert proc.returncode == 130 and "rag: interrupted" in text, text[-2000:]
    assert "Traceback" not in text and "ready:" not in text and "built index" not in text
    assert not (index / "manifest.json").exists()  # nothing half-built was published
    # stopped at once, not after the build (an upper bound only a hang reaches: the build takes longer than this)
    assert stopped_in < 30, stopped_in


def test_a_first_serve_whose_build_fails_serves_without_an_index_and_does_not_build_it_again(tmp_path: Path) -> None:
    # the foreground build failed, then the app's start built the missing index again, to fail again: twice the wait
    # (and twice the work, when a build fails late) before the server answered /readyz with the reason
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    (seeds / "a.txt").write_bytes("ロシアの外相は北京を訪れた。".encode("shift_jis"))  # no UTF-8: no document
    env = {**isolated_env(), "RAG_EMBEDDERS": "use"}
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--seeds", str(seeds), "--index", str(index)], cwd=Path(__file__).resolve().parents[2],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, ready = time.monotonic() + 120, None
        while ready is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            except httpx.TransportError:
                time.sleep(0.25)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    assert ready is not None and ready.status_code == 503, text[-2000:]
    assert "a.txt" in ready.json()["detail"] and "Traceback" not in text
    assert text.count("no index at") == 1 and text.count("serving without an index") == 1, text  # one build
    assert text.count("a.txt: file is not valid UTF-8") == 3, text  # the build's warning, the error, the 503's log
    assert text.count("skipping ") == text.count("planned 0 documents") == 1, text  # the seeds were read once
