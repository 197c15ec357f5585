"""Helpers for tests that build their own USE-only indexes over temp copies of the real seeds."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rag.indexing.build import BuildReport
from rag.settings import Settings

from isolated import isolated_settings


@dataclass(frozen=True)
class Template:
    """A built USE-only index and the seeds it was built from, with the report of that first build."""

    seeds: Path
    index: Path
    report: BuildReport


def use_settings_for(root: Path) -> Settings:
    """Settings for a USE-only index at root/index over the seeds at root/seeds."""
    return isolated_settings(seeds_dir=root / "seeds", index_dir=root / "index", embedders=("use",))


def copy_seeds(src: Path, dst: Path) -> None:
    """Copy a seeds directory, writable (the checked-in seeds are read-only and tests edit their copies)."""
    shutil.copytree(src, dst)
    for path in dst.iterdir():
        path.chmod(0o644)


def private_copy(template: Template, root: Path) -> Settings:
    """Settings over private copies of the template's seeds and index (root/seeds, root/index)."""
    copy_seeds(template.seeds, root / "seeds")
    shutil.copytree(template.index, root / "index")
    return use_settings_for(root)
