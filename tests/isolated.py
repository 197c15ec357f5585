"""A test's own settings and subprocess environment: none of the caller's RAG_* variables, so a developer's shell
cannot change what a test builds or serves, except RAG_CACHE_DIR (set by tests/conftest.py), which only saves
reading JMdict again."""

from __future__ import annotations

import os
from collections.abc import Mapping

from rag.settings import Settings

KEPT = "RAG_CACHE_DIR"


def isolated_settings(**fields: object) -> Settings:
    """Settings from the given fields alone (and the shared cache)."""
    return Settings.from_env({}, cache_dir=os.environ.get(KEPT), **fields)


def isolated_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ without RAG_* (but the cache), plus `extra`: for a `rag` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") or k == KEPT}
    return {**env, **(extra or {})}


def foreign_rag_names() -> list[str]:
    """The RAG_* variables isolated_env drops, for a test that must clear them in its own process."""
    return [k for k in os.environ if k.startswith("RAG_") and k != KEPT]
