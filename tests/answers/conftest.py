"""Fixtures for the answer tests: seed text as the citations see it, and one grounding check shared by all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rag.answers import Answer
from rag.answers.markers import marker_numbers

@pytest.fixture(scope="session")
def seed_text(built_index) -> Callable[[str], str]:
    """doc_id → the raw seed text, decoded without newline translation (citation offsets index it)."""
    settings, _ = built_index
    cache: dict[str, str] = {}

    def read(doc_id: str) -> str:
        if doc_id not in cache:
            cache[doc_id] = (Path(settings.seeds_dir) / f"{doc_id}.txt").read_bytes().decode()
        return cache[doc_id]

    return read


@pytest.fixture(scope="session")
def check_grounded(seed_text) -> Callable[[Answer], None]:
    """Assert markers index the citations, numbered by first use, and every citation slices back to its passage."""

    def check(answer: Answer) -> None:
        numbers = marker_numbers(answer.answer)
        assert all(1 <= n <= len(answer.citations) for n in numbers), (numbers, len(answer.citations))
        assert list(dict.fromkeys(numbers)) == list(range(1, len(answer.citations) + 1)), numbers
        by_citation = {h.citation: h for h in answer.passages}
        for c in answer.citations:
            hit = by_citation[c]  # every citation comes from a retrieved passage
            assert seed_text(c.doc_id)[c.start : c.end] == hit.passage.text
            assert Path(c.source_file).name == f"{c.doc_id}.txt"

    return check

