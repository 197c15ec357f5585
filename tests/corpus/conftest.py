"""Fixtures for the corpus and chunking tests: the real seeds, loaded and chunked once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.chunking import ChunkParams, chunk_corpus
from rag.corpus import Corpus, load_corpus
from rag.types import Passage

DEFAULT_PARAMS = ChunkParams()  # the shipped defaults (rag.settings.CHUNK_MAX_TOKENS / CHUNK_OVERLAP)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout root, found from this file's location (tests/corpus/conftest.py), not from the cwd."""
    root = Path(__file__).resolve().parents[2]
    assert (root / "pyproject.toml").is_file(), root
    return root


@pytest.fixture(scope="session")
def seeds_dir(repo_root: Path) -> Path:
    return repo_root / "seeds"


@pytest.fixture(scope="session")
def corpus(seeds_dir: Path) -> Corpus:
    return load_corpus(seeds_dir)


@pytest.fixture(scope="session")
def passages(corpus: Corpus) -> list[Passage]:
    return chunk_corpus(corpus.documents, DEFAULT_PARAMS)
