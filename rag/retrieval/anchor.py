"""The turn that named the article a follow-up about the article asks about.

A follow-up about the article itself ("What else does the article say?", この記事の結論は?), or about "him" or "her"
after a question on who wrote it, and a chain of such follow-ups, is kept to the article of the first passage found
for the turn that named it (`article_turn`): that turn is searched again in its own recent turns, as the turn before
a question on a source is (rag.retrieval.conversation). Its words alone found other articles: "What is his main
argument?" after "Who wrote the article about Xi and Putin?" carried Xi and Putin over, and found Korybko's articles,
not Philip Ivanov's.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..stores.japanese import JapaneseAnalyzer
from .cues import (EN_ARTICLE, EN_PERSONAL, EN_THIS_ARTICLE, EN_WORD, JA_ARTICLE, JA_PERSONAL, JA_REFERRING,
                   JA_THIS_ARTICLE, NOT_TOPIC)
from .followup import names_something
from .sources import asks_for_source
from .topic import topic_words

# An earlier turn is read up to this many characters to tell whether it names a topic (a pasted article is long)
MAX_TURN_CHARS = 2000

# How far back a follow-up about the article looks for the turn that named it: past a few follow-ups about the same
# article ("What is his main argument?", "What did he conclude?", "What evidence does he give?"), not the whole chat
ARTICLE_LOOKBACK = 6


def about_the_article(question: str, earlier: Sequence[str], analyzer: JapaneseAnalyzer) -> bool:
    """Whether a follow-up asks about the article the conversation is on ("the article", the author, 筆者), or about
    its author by a pronoun after a question on who wrote it ("What is his main argument?"), also a few follow-ups
    later; not when it names something of its own ("And what does the article on North Korea say?" may be about
    another article), unless it says *this* article."""
    return article_turn(question, earlier, analyzer) is not None


def article_turn(question: str, earlier: Sequence[str], analyzer: JapaneseAnalyzer) -> int | None:
    """The index in `earlier` of the turn that named the article a follow-up about the article asks about: the last
    topical turn before it that is not itself such a follow-up (a chain of them keeps its first one's article), within
    ARTICLE_LOOKBACK turns; None when `question` is no follow-up about the article."""
    offset = max(0, len(earlier) - ARTICLE_LOOKBACK)
    turns = [t[:MAX_TURN_CHARS] for t in earlier[offset:]] + [question]
    topical: dict[int, bool] = {}
    anchors: dict[int, int | None] = {}

    def is_topical(i: int) -> bool:
        if i not in topical:
            topical[i] = bool(topic_words([turns[i]], analyzer, NOT_TOPIC))
        return topical[i]

    def anchor_of(k: int) -> int | None:  # the anchor of turns[k] asked after turns[:k]; each k worked out once
        if k in anchors:
            return anchors[k]
        text = turns[k]
        this = EN_THIS_ARTICLE.search(text) or JA_THIS_ARTICLE.search(text)
        explicit = bool(this or EN_ARTICLE.search(text) or JA_ARTICLE.search(text))
        words = {w.lower() for w in EN_WORD.findall(text)}
        personal = bool(JA_PERSONAL.search(text) or words & EN_PERSONAL)
        # "its", それ: the article, right after a follow-up about it ("And its conclusion?")
        referring = personal or bool(words & {"it", "its", "this", "that"} or JA_REFERRING.search(text))
        found: int | None = None
        if (explicit or referring) and (this or not names_something(text, analyzer)):
            sourced = chained = False  # a question on who wrote it before: "he" is its author
            for i in range(k - 1, -1, -1):
                sourced = sourced or asks_for_source(turns[i])
                if not is_topical(i):
                    continue  # small talk, "Who wrote it?": names no article
                if anchor_of(i) is not None:  # a follow-up about the article: its anchor is further back
                    chained = True
                    continue
                found = i if explicit or (personal and sourced) or chained else None
                break
        anchors[k] = found
        return found

    found = anchor_of(len(turns) - 1)
    return None if found is None else offset + found
