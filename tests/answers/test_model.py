"""The Answer's plain-text sources footer (its JSON body: tests/api/test_wire.py)."""

from __future__ import annotations

from rag.answers import Answer, sources_footer
from rag.types import Citation, Hit, Passage, Source

CITED = Citation(doc_id="001_x", title="プーチン・習近平会談の「内部路線」", published="2024-05-20",
                 source_file="seeds/001_x.txt", start=5981, end=6096, url="https://example.org/a",
                 sources=(Source("RT", "https://example.org/a"),))
BARE = Citation(doc_id="002_y", title="中・露共同声明", published=None, source_file="seeds/002_y.txt", start=10,
                end=20, url=None)
HIT = Hit(rank=1, score=0.031234567, passage=Passage("001_x#5981-6096", "001_x", 1, CITED.title, 5981, 6096,
                                                     "本文", 3), citation=CITED)


def answer(citations: tuple[Citation, ...]) -> Answer:
    return Answer(question="q?", answer="本文。[1]", citations=citations, passages=(HIT,), took_ms=12.34567,
                  generator="extractive", fallback="timeout (0.5 s) after 3 attempts", index_version="v1", lang="en")


def test_sources_footer_lists_each_citation_with_its_span_and_url() -> None:
    assert sources_footer(answer((CITED, BARE))) == (
        "Sources:\n"
        "[1] プーチン・習近平会談の「内部路線」 — 001_x.txt[5981:6096] https://example.org/a\n"
        "[2] 中・露共同声明 — 002_y.txt[10:20]"
    )


def test_sources_footer_is_empty_without_citations() -> None:
    assert sources_footer(answer(())) == ""
