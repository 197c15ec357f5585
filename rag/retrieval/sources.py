"""Source lines answer a question about where an article came from, and no other.

A source block's marker and title (【引用・参照・底本】 and "… Andrew Korybko's Newsletter 2025.02.25",
rag/corpus/articles.py) are a passage of their own, so that "Who wrote the analysis?" or "Which newspaper's
editorial is it based on?" can find the line that answers it. To any other question the line is no answer: an
English title that restates an article's topic outranks, for an English question on that topic, the Japanese
passages that do answer it (with the lines in every ranking, 31 of the 954 seen questions moved down,
docs/precision.md). So each component's ranking drops them, before fusion, unless the question asks about
authorship or origin; BM25 counts none of their terms (rag/components/lexical.py), so that their English words
reach no document frequency, bridge or alignment either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..corpus.articles import names_sources
from ..stores.ranking import Ranking
from ..types import Passage

# Who wrote or published it, its original, the kind of outlet it first appeared in. "What does the author say" asks
# for the article's content, so an author or writer counts only when the question asks who it is.
_EN = re.compile(
    r"\bwho(?:'s|\s+is|\s+was)?\s+(?:the\s+)?(?:author|writer|columnist)\b|"
    r"\bwho\s+(?:wrote|writes|authored|penned|published|posted|is\s+behind|was\s+behind)\b|"
    r"\b(?:author|writer|columnist)(?:'s|s')?\s+name\b|\bname\s+of\s+the\s+(?:author|writer|columnist)\b|"
    r"\bsources?\b|\boriginal(?:ly)?\b|\bfirst\s+(?:published|appeared|posted)\b|"
    r"\bnewsletters?\b|\beditorials?\b|\bop-?eds?\b|\bcolumns?\b|\bsubstack\b|\bbyline\b")
_JA = re.compile(
    r"出典|引用元|原典|原文|元記事|元の記事|元ネタ|底本|情報源|ソース|ニュースレター|社説|論説|寄稿|初出|配信元|掲載元|"
    r"(?:誰|だれ)が(?:書|執筆|発表|配信)|書いたのは|執筆したのは|"
    r"(?:筆者|著者|執筆者|書き手|記事)は(?:誰|だれ|何者)")


def asks_for_source(question: str) -> bool:
    """Whether a question, in English or Japanese, asks who wrote an article or where it first appeared."""
    return bool(_EN.search(question.lower()) or _JA.search(question))


def without_sources(answers: list[tuple[str, Ranking, float]], passages: Sequence[Passage]
                    ) -> list[tuple[str, Ranking, float]]:
    """The components' (name, ranking, ms) without the rows that are a source block's marker and title, before they
    are fused: each ranks, and normalises, as if those rows were not in the index."""
    rows = {int(r) for _, ranking, _ in answers for r in ranking.rows}
    hidden = np.fromiter((r for r in rows if names_sources(passages[r].text)), np.int64)
    if not hidden.size:
        return answers
    out = []
    for name, ranking, ms in answers:
        keep = ~np.isin(ranking.rows, hidden)
        out.append((name, Ranking(ranking.rows[keep], ranking.scores[keep]), ms))
    return out
