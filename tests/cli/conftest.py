"""Fixtures for CLI tests: a USE-only index built by `rag index build` itself, and no RAG_* variables."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.cli import main

from isolated import foreign_rag_names

SEEDS = ("000_77323e78f047d601", "003_4dfd093ef708d448")  # 53 passages: one cheap USE build


@dataclass(frozen=True)
class Built:
    """root/seeds and root/index as `rag index build` (without --json) left them, with what it printed."""

    root: Path
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads RAG_* variables; tests pass everything as flags."""
    for name in foreign_rag_names():
        monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def cli_template(tmp_path_factory, seeds_dir: Path) -> Built:
    """One `rag index build --embedders use` over copies of 000 and 003, run once per module; copy before changing."""
    root = tmp_path_factory.mktemp("cli-template")
    (root / "seeds").mkdir()
    for doc in SEEDS:
        shutil.copy(seeds_dir / f"{doc}.txt", root / "seeds")
        (root / "seeds" / f"{doc}.txt").chmod(0o644)
    env = {k: os.environ[k] for k in foreign_rag_names()}
    for k in env:
        del os.environ[k]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["index", "build", "--seeds", str(root / "seeds"), "--index", str(root / "index"),
                         "--embedders", "use"])
    finally:
        os.environ.update(env)
    return Built(root, code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli_root(cli_template: Built, tmp_path: Path) -> Path:
    """A private copy of the template: tmp_path/seeds and tmp_path/index."""
    assert cli_template.exit_code == 0, cli_template.stderr
    shutil.copytree(cli_template.root / "seeds", tmp_path / "seeds")
    shutil.copytree(cli_template.root / "index", tmp_path / "index")
    return tmp_path
