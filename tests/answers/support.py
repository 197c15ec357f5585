"""Questions and small helpers shared by the answer tests."""

from __future__ import annotations

import re

from rag.answers import Answer
from rag.types import Citation, Hit, Passage, Source

EN_QUESTION = "What did Lavrov say about an alliance with China?"
JA_QUESTION = "ラヴロフ外相は中国との同盟について何と言ったか"
# What Lavrov declared, verbatim in seed 001: Russia is open to 「中国との真の同盟関係の構築」.
PHRASE = "中国との真の同盟関係の構築"


def marked_pieces(answer: Answer) -> list[tuple[str, int]]:
    """(text, n) for each stretch of answer text that ends in a [n] marker (a marker ends the text or precedes a space;
    a sentence may itself hold brackets, such as "[EAEU、BRI、CIS]")."""
    return [(text.strip(), int(n)) for text, n in re.findall(r"(.+?)\[(\d+)\](?: |$)", answer.answer)]


# A hand-made Answer: one cited passage with a source, and a citation without date or URL.
CITED = Citation(doc_id="001_x", title="プーチン・習近平会談の「内部路線」", published="2024-05-20",
                 source_file="seeds/001_x.txt", start=5981, end=6096, url="https://example.org/a",
                 sources=(Source("RT", "https://example.org/a"),))
BARE = Citation(doc_id="002_y", title="中・露共同声明", published=None, source_file="seeds/002_y.txt", start=10,
                end=20, url=None)
HIT = Hit(rank=1, score=0.031234567, passage=Passage("001_x#5981-6096", "001_x", 1, CITED.title, 5981, 6096,
                                                     "本文", 3), citation=CITED)


def sample_answer(citations: tuple[Citation, ...]) -> Answer:
    """An extractive Answer over HIT that cites `citations`."""
    return Answer(question="q?", answer="本文。[1]", citations=citations, passages=(HIT,), took_ms=12.34567,
                  generator="extractive", fallback="timeout (0.5 s) after 3 attempts", index_version="v1", lang="en")
