"""Source lines answer a question about where an article came from, and no other.

A source block's marker and title (【引用・参照・底本】 and "… Andrew Korybko's Newsletter 2025.02.25",
rag/corpus/articles.py) are a passage of their own, so that "Who wrote the analysis?" or "Which newspaper's
editorial is it based on?" can find the line that answers it. To any other question the line is no answer: an
English title that restates an article's topic outranks, for an English question on that topic, the Japanese
passages that do answer it (with the lines in every ranking, 31 of the 954 seen questions moved down,
docs/precision.md). So each component's ranking drops them, before fusion, unless the question asks about
authorship or origin; BM25 counts none of their terms (rag/components/lexical.py), so that their English words
reach no document frequency, bridge or alignment either.

A question that does ask is answered by one line: the line of the article the rest of the question is about, which
the ranking finds by that article's passages, not by the line's own words (a Japanese question shares none with an
English title). So after fusion and the second stage, the source lines of the first row's article go first
(sources_first).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..corpus.articles import SOURCE_OPEN, names_sources
from ..stores.ranking import Ranking

if TYPE_CHECKING:
    from ..indexing.passages import PassageTable

# What a question about an article's origin says: who wrote it, what it is based on or first appeared in, the outlet
# that ran it. The nouns alone ask for content too ("the sources of tension", "the original plan", "a column of
# troops", "Who wrote the letter?", "according to the editorial, …"), so each is tied to a question about the writing.
_DOC = (r"(?:article|piece|analysis|post|report|story|column|essay|newsletter|editorial|commentary|blog|op-?ed|"
        r"text|summary|translation)s?")
# up to two words between "which" and its noun ("which Japanese newspaper"), but no verb: "What does the newsletter
# say…" asks for its content
_NOT_A_VERB = (r"(?:(?!(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should|says?|said)\b)"
               r"\S+\s+){0,2}?")
# "of …" after the author or the source: the writing's ("the author of the piece") or the thing's ("the author of the
# peace proposal", "the source of the tension", which ask for content)
_OF_WRITING = (r"(?!\s+(?:of|for)\b(?!\s+(?:(?:the|this|that|his|her|their|its|a|an)\s+)?" + _NOT_A_VERB + _DOC
               + r"\b))")
_EN = re.compile(
    r"\bwho(?:'s|\s+is|\s+was)?\s+(?:the\s+)?(?:author|writer|columnist|blogger)s?\b" + _OF_WRITING + "|"
    r"\bwho\s+(?:wrote|writes|authored|penned|published|posted)\s+(?:(?:\S+\s+){0,6}?" + _DOC + r"|it|this|that)\b|"
    r"\bby\s+whom\b|\b(?:author|writer|columnist)(?:'s|s')?\s+name\b|\bname\s+of\s+the\s+(?:author|writer)\b|"
    r"\b(?:which|what|whose)\s+" + _NOT_A_VERB + r"(?:newspaper|outlet|publication|website|site|magazine|newsletter|"
    r"substack|blog|editorial|column)s?\b|"
    r"\bwhose\s+" + _NOT_A_VERB + _DOC + r"\b|"
    r"\b(?:source|origin)s?\s+(?:of|for)\s+(?:the|this|that|his|her|their)\s+(?:\S+\s+){0,3}?" + _DOC + r"\b|"
    r"\b(?:what|which)(?:'s|\s+is|\s+was|\s+are)?\s+(?:the\s+|its\s+)?(?:original\s+)?sources?\b" + _OF_WRITING + "|"
    r"\boriginal\s+(?:\S+\s+){0,2}?(?:" + _DOC + r"|source|publication)\b|"
    r"\b(?:originally|first)\s+(?:published|posted|written|appeared|appear|ran|run|came\s+out)\b|"
    # the writing's own title in its first language ("the original English headline", "english title of the piece")
    r"\b(?:original|english)\s+(?:english\s+|japanese\s+)?(?:title|headline)s?\b|"
    # "which think tank's report is it based on?"
    r"\b(?:is|was)\s+(?:it|this|that|the\s+" + _NOT_A_VERB + _DOC + r")\s+based\s+on\s*[?.!]*\s*$|"
    # when the writing was published, not when troops were "posted" or a statement was "published"
    r"\bwhen\s+(?:was|were|did)\s+(?:\S+\s+){0,8}?(?:" + _DOC + r"|it|this|that)\s+(?:\S+\s+){0,8}?"
    r"(?:published|posted|written|publish|post)\b|"
    r"\bwhere\s+(?:is|was|did|does)\s+(?:\S+\s+){0,6}?(?:" + _DOC + r"|it|this|that)\s+(?:\S+\s+){0,10}?"
    r"(?:first\s+)?(?:from|appear|come\s+from|published|posted|run)\b|"
    r"\bbased\s+on\s+(?:which|whose|what)\b|\bbyline\b|"
    # a follow-up of a word or two ("source?", "the author?", "give me the source")
    r"^\s*(?:(?:give|show|cite|tell)\s+(?:me\s+)?)?(?:the\s+|its\s+|your\s+)?(?:original\s+)?"
    r"(?:sources?|authors?|writer|byline|origin)\s*[?.!]*\s*$")
_JA = re.compile(
    r"出典|引用元|原典|元記事|元の記事|元ネタ|底本|配信元|掲載元|寄稿(?:者|元|先)|元の?URL|"
    r"(?:情報源|ソース|初出)は|"
    r"(?:誰|だれ)(?:が|の)(?:書|執筆|発表|配信|記事|論説|社説|分析|コラム|寄稿|ニュースレター)|(?:誰|だれ)によって書|"
    r"どの(?:ニュースレター|ブログ)|"
    r"(?:ニュースレター|記事|論考|コラム|論説|投稿)(?:記事)?(?:は|が)?いつ(?:配信|掲載|公開|発表|投稿)|"
    r"(?:ブログ|サイト|媒体|雑誌|新聞|メディア|ニュースレター)の?名(?:前|称)は|原題|英題|元の(?:タイトル|見出し|題)|"
    r"英語の(?:タイトル|見出し|題)|"
    r"(?:書いた|執筆した)(?:の|人)は|"
    r"(?:筆者|著者|執筆者|書き手|作者)(?:は(?:誰|だれ|何者|\?|？)|の名前)|^\s*(?:筆者|著者|執筆者|作者)\s*(?:は)?\s*[?？]?\s*$|"
    r"どの(?:新聞|メディア|媒体|サイト|雑誌)(?:の|に|が|で)|(?:この|その)?記事はどこから|"
    r"(?:どこ|どの\S{0,6})に(?:掲載|載っ|発表)|(?:記事|論考|コラム|分析|ニュースレター)\S{0,2}(?:どこ|どの\S{0,6})(?:で|に|から)"
    r"(?:公開|掲載|発表|配信)|どの社説|何の社説|どこの社説")


def asks_for_source(question: str) -> bool:
    """Whether a question, in English or Japanese, asks who wrote an article or where it first appeared."""
    return bool(_EN.search(question.lower().replace("\u2019", "'")) or _JA.search(question))


def without_sources(answers: list[tuple[str, Ranking, float]], passages: PassageTable
                    ) -> list[tuple[str, Ranking, float]]:
    """The components' (name, ranking, ms) without the rows that are a source block's marker and title, before they
    are fused: each ranks, and normalises, as if those rows were not in the index. Only the candidates that start
    with a marker's bracket (passages start trimmed) are made into passages and read: a question's ~170 candidates
    were each made and matched, ~1 ms of every search under the GIL."""
    rows = {int(r) for _, ranking, _ in answers for r in ranking.rows}
    marked = (r for r in rows if passages.starts_with(r, SOURCE_OPEN))
    hidden = np.fromiter((r for r in marked if names_sources(passages[r].text)), np.int64)
    if not hidden.size:
        return answers
    out = []
    for name, ranking, ms in answers:
        keep = ~np.isin(ranking.rows, hidden)
        out.append((name, Ranking(ranking.rows[keep], ranking.scores[keep]), ms))
    return out


class SourceRows:
    """Each article's source rows, {(document number, article): rows}, found by one pass over the passages the first
    time a question asks for them: 0.3 s at a million passages, once per index version (nothing for an index only
    searched for content)."""

    def __init__(self, passages: PassageTable) -> None:
        self._passages = passages
        self._rows: dict[tuple[int, int], tuple[int, ...]] | None = None
        self._every: frozenset[int] = frozenset()
        self._lock = threading.Lock()

    def of(self, doc: int, article: int) -> tuple[int, ...]:
        return self._found()[0].get((doc, article), ())

    def every(self) -> frozenset[int]:
        """Every source row of the index."""
        return self._found()[1]

    def _found(self) -> tuple[dict[tuple[int, int], tuple[int, ...]], frozenset[int]]:
        with self._lock:
            if self._rows is None:
                self._rows = self._find()
                self._every = frozenset(r for rows in self._rows.values() for r in rows)
            return self._rows, self._every

    def _find(self) -> dict[tuple[int, int], tuple[int, ...]]:
        p = self._passages
        # a source row starts with its marker's bracket (passages start trimmed): only those rows are made and read
        raws = [d.raw for d in p.documents]
        bracket = [row for row, (doc, start) in enumerate(zip(p.doc.tolist(), p.start.tolist()))
                   if raws[doc].startswith(SOURCE_OPEN, start)]
        found: dict[tuple[int, int], list[int]] = {}
        for row in bracket:
            if names_sources(p[row].text):
                found.setdefault((int(p.doc[row]), int(p.article[row])), []).append(row)
        return {k: tuple(v) for k, v in found.items()}


def sources_first(rows: Sequence[int], scores: dict[int, float], passages: PassageTable, sources: SourceRows
                  ) -> tuple[list[int], dict[int, float], dict[int, float]]:
    """(rows, scores, changes): the ranking of a question that asks where an article came from. Only a source line
    answers it, and the one that does is the line of the article the rest of the question is about: the article of
    the first row. So when that row is not a source line already, its article's source lines go first, scoring as
    it does; `changes` holds each moved line's score change (from 0 when no component ranked it). Other articles'
    lines keep their places: a question about one article is not told another's source."""
    if not rows or rows[0] in sources.every():
        return list(rows), scores, {}
    top = rows[0]
    lines = sources.of(int(passages.doc[top]), int(passages.article[top]))
    if not lines:  # an article without a source block (its author may be named in its text)
        return list(rows), scores, {}
    lines = sorted(lines, key=lambda r: (-scores.get(r, float("-inf")), r))  # their own order among themselves
    new = dict(scores)
    changes = {r: scores[top] - scores.get(r, 0.0) for r in lines}
    for r in lines:
        new[r] = scores[top]
    moved = set(lines)
    return lines + [r for r in rows if r not in moved], new, changes
