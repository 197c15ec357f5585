"""The Answer's plain-text sources footer (its JSON body: tests/api/test_wire.py)."""

from __future__ import annotations

import dataclasses

from rag.answers import sources_footer

from .support import BARE, CITED, sample_answer


def test_sources_footer_lists_each_citation_with_its_span_and_url() -> None:
    assert sources_footer(sample_answer((CITED, BARE))) == (
        "Sources:\n"
        "[1] プーチン・習近平会談の「内部路線」 — 001_x.txt[5981:6096] https://example.org/a\n"
        "[2] 中・露共同声明 — 002_y.txt[10:20]"
    )


def test_sources_footer_is_headed_in_the_questions_language() -> None:
    answer = dataclasses.replace(sample_answer((CITED,)), lang="ja")
    assert sources_footer(answer).startswith("出典:\n[1] プーチン・習近平会談")


def test_sources_footer_is_empty_without_citations() -> None:
    assert sources_footer(sample_answer(())) == ""
