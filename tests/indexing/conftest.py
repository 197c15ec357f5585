"""Fixtures for tests that build their own indexes: USE-only (~400 passages/s) over temp copies of the real seeds.

One USE-only index over a copy of the seeds is built once per session; a test gets a private copy of both, so
its own builds start out incremental (and cheap) instead of re-embedding the whole corpus.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.embedders import Embedder
from rag.indexing.build import build_index
from rag.settings import Settings

from .helpers import Template, copy_seeds, private_copy, use_settings_for


@pytest.fixture(scope="session")
def use_embedder(embedders) -> Embedder:
    """The session's real USE embedder (its name is the spec 'use')."""
    return embedders["use"]


@pytest.fixture(scope="session")
def use_template(tmp_path_factory, seeds_dir: Path, use_embedder: Embedder) -> Template:
    """The one full USE-only build of the session; treat it as read-only and copy it (use_settings, copy_index)."""
    root = tmp_path_factory.mktemp("use-template")
    copy_seeds(seeds_dir, root / "seeds")
    report = build_index(use_settings_for(root), [use_embedder])
    return Template(root / "seeds", root / "index", report)


@pytest.fixture
def use_settings(tmp_path: Path, use_template: Template) -> Settings:
    """Settings over private copies of the template's seeds and index (tmp_path/seeds, tmp_path/index)."""
    return private_copy(use_template, tmp_path)


@pytest.fixture
def copy_index(use_template: Template, tmp_path: Path) -> Path:
    """A private copy of the template index, to damage."""
    target = tmp_path / "damaged-index"
    shutil.copytree(use_template.index, target)
    return target
