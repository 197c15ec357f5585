"""Fixtures for tests that build their own indexes: USE-only (~400 passages/s) over temp copies of the real seeds.

One USE-only index over a copy of the seeds is built once per session; a test gets a private copy of both, so
its own builds start out incremental (and cheap) instead of re-embedding the whole corpus.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.embedders import Embedder
from rag.indexing.build import build_index
from rag.settings import Settings

from .helpers import Template, copy_seeds, private_copy, use_settings_for


class OnceEachText:
    """The Embedder protocol around a real embedder, which encodes each distinct text once per process and hands back
    the row it gave whenever that text comes again.

    These modules build ~30 indexes from the same seeds, and what they test is the builder (which texts it asks for,
    what it keeps, how it ranks), not the model: without this, three quarters of their time was USE encoding texts it
    had encoded before (tests/embedders tests the model itself, unwrapped). A row is always the model's own output
    for its text; USE's rows move by ~1e-7 with their batch (`batch_invariant` is False), so a remembered row is one
    of the values the model gives that text."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        self.batch_invariant = inner.batch_invariant
        self._rows: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("query", texts, self.inner.encode_queries)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("passage", texts, self.inner.encode_passages)

    def _encode(self, kind: str, texts: Sequence[str], encode: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if (kind, t) not in self._rows))
        if new:
            rows = encode(new)
            with self._lock:
                self._rows.update(((kind, t), row) for t, row in zip(new, rows))
        with self._lock:
            found = [self._rows[(kind, t)] for t in texts]
        return np.vstack(found).astype(np.float32, copy=False) if found else np.zeros((0, self.dim), np.float32)


@pytest.fixture(scope="session")
def use_embedder(embedders) -> Embedder:
    """The session's real USE model (its name is the spec 'use'), encoding each distinct text once (OnceEachText)."""
    return OnceEachText(embedders["use"])


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
