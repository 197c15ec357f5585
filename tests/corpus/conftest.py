"""Fixtures for the corpus and chunking tests: the real seeds, loaded and chunked once per session."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import ChunkParams, chunk_corpus
from rag.corpus import Corpus, load_corpus
from rag.indexing.passages import PassageTable
from rag.types import Document, Passage

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


def source_passages(documents: Sequence[Document], passages: Sequence[Passage]) -> list[Passage]:
    """The passages that are their article's source rows, read as an index reads them (PassageTable.source_mask)."""
    docs = {d.doc_id: d for d in documents}
    table = PassageTable.of(passages, docs)
    found = [p for p, source in zip(passages, table.source_mask(np.arange(len(passages)))) if source]
    # that reading goes by the start alone: sound as long as a row's passage never runs past the row's end
    assert all(any(r.start == p.start and p.end <= r.end for r in docs[p.doc_id].articles[p.article].source_rows)
               for p in found), found
    return found
