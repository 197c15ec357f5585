"""Source lines answer a question about where an article came from, and no other.

An article's source rows are passages of their own (rag/types.py Article.source_rows): a source block's marker,
title and link (【引用・参照・底本】, "… Andrew Korybko's Newsletter 2025.02.25", https://…), a 元ネタ: line, and the
site's name or a feed headline ("Title - Site") in the page's header (rag/corpus/articles.py). So "Who wrote the
analysis?", "Which blog published it?" or "Link to the original?" can find the line that answers it. To any other
question the line is no answer: an
English title that restates an article's topic outranks, for an English question on that topic, the Japanese
passages that do answer it (with the lines in every ranking, 31 of the 954 seen questions moved down,
docs/precision.md). So each component's ranking drops them, before fusion, unless the question asks about
authorship or origin; BM25 counts none of their terms (rag/components/lexical.py), so that their English words
reach no document frequency, bridge or alignment either.

A question that does ask is answered by one line: the line of the article the rest of the question is about, which
the ranking finds by that article's passages, not by the line's own words (a Japanese question shares none with an
English title). So after fusion and the second stage, the source lines of the first row's article go first
(sources_first). A document with no source lines at all names its author and date, if anywhere, in its articles'
headers (003: title, English title, date, byline): the article's first passage stands in for its lines, and the
answer quotes its lines before its prose (rag/answers/extractive.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..corpus.articles import source_marker
from ..corpus.lines import urls
from ..stores.ranking import Ranking

if TYPE_CHECKING:
    from ..indexing.passages import PassageTable

# What a question about an article's origin says: who wrote it, what it is based on or first appeared in, the outlet
# that ran it. The nouns alone ask for content too ("the sources of tension", "the original plan", "a column of
# troops", "Who wrote the letter?", "according to the editorial, …"), so each is tied to a question about the writing.
_DOC = (r"(?:article|piece|analysis|post|report|backgrounder|story|column|essay|newsletter|editorial|commentary|blog|"
        r"op-?ed|text|summary|translation)s?")
# after "which outlet" or "the name of the blog": nothing more ("Which blog?"), or a word of the writing or of
# publishing it, or "is it from" ("Which website did Lavrov say that the West controls?", "the name of the site where
# the missile fell" ask for content)
_ABOUT_WRITING = (r"(?=\s*[?.!]*\s*$|.*\b(?:" + _DOC + r"|published|publish|posted|ran|run|runs|carried|carry|printed|"
                  r"featured|hosted|appeared|appear|originally|based)\b|.*\b(?:is|was)\s+(?:it|this|that)\s+"
                  r"(?:from|in|on)\b|.*\b(?:it|this|that)\s+(?:from|in)\s*[?.!]*\s*$)")
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
    # "which outlet" about the writing: a word of it, or of publishing it, later in the question, or nothing more
    # ("Which website did Lavrov criticise?", "What website link did Trump post?" ask for content)
    r"\b(?:which|what|whose)\s+" + _NOT_A_VERB + r"(?:newspaper|outlet|publication|website|site|magazine|newsletter|"
    r"substack|blog|editorial|column)s?(?:'s)?\b" + _ABOUT_WRITING + "|"
    r"\bname\s+of\s+the\s+(?:blog|site|website|newspaper|outlet|publication|magazine)\b" + _ABOUT_WRITING + "|"
    r"\b(?:blog|site|website)(?:'s)?\s+name\b|"
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
    # where to read the writing: "link to the ISW report", "the url of the post", "link to the original?", "the
    # source url" (not "a link to the original peace plan", which asks for content)
    r"\b(?:links?|urls?)\s+(?:to|of|for)\s+(?:(?!of\b)\S+\s+){0,3}?" + _DOC + r"\b(?!')" + _OF_WRITING + "|"
    r"\b(?:links?|urls?)\s+(?:to|of|for)\s+(?:the\s+|its\s+|this\s+|that\s+)?(?:original|source)\s*[?.!]*\s*$|"
    r"\b(?:original|source)(?:'s)?\s+(?:links?|urls?)\b" + _OF_WRITING + "|"
    # a follow-up of a word or two ("source?", "the author?", "give me the source")
    r"^\s*(?:(?:give|show|cite|tell)\s+(?:me\s+)?)?(?:the\s+|its\s+|your\s+)?(?:original\s+)?"
    r"(?:sources?|authors?|writer|byline|origin)\s*[?.!]*\s*$")
_JA = re.compile(
    r"出典|引用元|原典|元記事|元の記事|元ネタ|底本|配信元|掲載元|寄稿(?:者|元|先)|元の?URL|"
    r"(?:原文|ソース|オリジナル)\S{0,3}(?:リンク|URL|ＵＲＬ)|"
    r"(?:情報源|ソース|初出)は|"
    r"(?:誰|だれ)(?:が|の)(?:書|執筆|発表|配信|記事|論説|社説|分析|コラム|寄稿|ニュースレター)|(?:誰|だれ)によって書|"
    r"どの(?:ニュースレター|ブログ)|"
    r"(?:ニュースレター|記事|論考|コラム|論説|投稿)(?:記事)?(?:は|が)?いつ(?:配信|掲載|公開|発表|投稿)|"
    r"(?:ブログ|サイト|媒体|雑誌|新聞|メディア|ニュースレター)の?名(?:前|称)は|原題|英題|元の(?:タイトル|見出し|題)|"
    r"英語の(?:タイトル|見出し|題)|"
    r"(?:書いた|執筆した)(?:の|人)は|"
    r"(?:筆者|著者|執筆者|書き手|作者)(?:は(?:誰|だれ|何者|\?|？)|の名前)|^\s*(?:筆者|著者|執筆者|作者)\s*(?:は)?\s*[?？]?\s*$|"
    r"(?:この|その)?記事はどこから|"
    r"(?:記事|論考|コラム|分析|ニュースレター)\S{0,2}(?:どこ|どの\S{0,6})(?:で|に|から)"
    r"(?:公開|掲載|発表|配信)|どの社説|何の社説|どこの社説")


# "which outlet" in Japanese, about the writing only when the question names it anywhere, or names nothing else
# (「どのサイトでラブロフの演説が公開されましたか」 asks for content; 掲載 is `_JA_APPEARED`'s)
_JA_OUTLET = re.compile(r"どの(?:新聞|メディア|媒体|サイト|雑誌)(?:の|に|が|で)")
_JA_WRITING = re.compile(r"記事|投稿|論考|論説|社説|コラム|寄稿|レポート|ニュースレター|初出|元ネタ|原文|原典|原題")
_JA_SHORT = 14  # characters, space and punctuation aside: "どのサイトで公開された?" names nothing else
# where it appeared (どこに掲載, どの媒体に載った), about the writing unless what stands before it names a study, a
# warning or someone's remarks the article reports, or it asks for a journal: 「緑地と認知症の研究成果はどの雑誌に掲載されたか」 asks for the journal the
# article names, and was answered by the article's title line (an eleventh probe's); a first version asked for the
# writing only when nothing but a pronoun stood before, and lost 「この文章は…」, 「この記事の原文は…」, 「ISWのレポートは
# どこに掲載されましたか」 (a third reviewer's)
_JA_APPEARED = re.compile(r"(?:どこ|どの\S{0,6})に(?:掲載|載っ|発表)")
_JA_CONTENT = re.compile(r"研究|論文|成果|結果|調査|発見|データ|開発|グループ|チーム|発言|演説|声明|談話|注意報|警報|"
                         r"警戒|避難指示|勧告")
# the writing as the topic before it (「…共同声明の記事はもともと…」, 「この調査報道は…」: a fourth reviewer's), which
# makes it ask for the source whatever it reports; not the news as a source of the content (「報道によると、…」)
_JA_WRITING_TOPIC = re.compile(r"(?:記事|投稿|論考|論説|社説|コラム|寄稿|レポート|ニュースレター|ブログ|ニュース|報道|文章|原文)"
                               r"(?:は|が|って|、)")
# where a journal or a society is asked for, the content's (「…新材料はどの科学誌に掲載された？」)
_JA_JOURNAL = re.compile(r"どの\S{0,6}(?:誌|学会)に")


def asks_for_source(question: str) -> bool:
    """Whether a question, in English or Japanese, asks who wrote an article or where it first appeared."""
    appeared = _JA_APPEARED.search(question)
    return bool(_EN.search(question.lower().replace("\u2019", "'")) or _JA.search(question)
                or (appeared is not None and (_JA_WRITING_TOPIC.search(question[:appeared.start()]) is not None
                                              or (_JA_CONTENT.search(question[:appeared.start()]) is None
                                                  and _JA_JOURNAL.search(question) is None)))
                or (_JA_OUTLET.search(question) is not None and (
                    _JA_WRITING.search(question) is not None
                    or len(re.sub(r"[\s?？!！。、]", "", question)) <= _JA_SHORT)))


# What a question about an article's origin asks for, which decides which of its source rows answers first: a link
# to the original ("link to the original", 元記事のURL); the site that ran the post ("Which blog published it?",
# どのブログ), unless it asks for the original ("Which website originally ran it?", もともとどのサイト); or, by
# default, the original it is based on (a source block's title and link, a 元ネタ: line; "which newspaper").
LINK, PUBLISHER, ORIGINAL = "link", "publisher", "original"
_LINK = re.compile(r"\b(?:links?|hyperlinks?|web\s*address(?:es)?)\b|(?<![a-z])urls?(?![a-z])|リンク|ＵＲＬ|アドレス",
                   re.IGNORECASE)  # "URL" beside Japanese has no word boundary
# the site that hosts the post (a blog, a website); a newspaper, magazine or outlet is asked for as the original
_PUBLISHER_EN = re.compile(r"\b(?:which|what|whose)\s+(?:\S+\s+){0,2}?(?:blog|site|website)s?\b|"
                           r"\bname\s+of\s+the\s+(?:blog|site|website)\b|\b(?:blog|site|website)(?:'s)?\s+name\b")
_PUBLISHER_JA = re.compile(r"(?:どの|どこの)(?:ブログ|サイト)|(?:ブログ|サイト)の?名(?:前|称)")
_ORIGINAL_EN = re.compile(r"\b(?:original|originally|first|based|sources?|wrote|written|authors?|writers?)\b")
_ORIGINAL_JA = re.compile(r"元|原|底本|出典|もともと|初出|引用|誰|執筆|著者|筆者")


def source_kind(question: str) -> str:
    """LINK, PUBLISHER or ORIGINAL: what a question about an article's origin asks for."""
    if _LINK.search(question):
        return LINK
    en = question.lower().replace("\u2019", "'")
    if (_PUBLISHER_EN.search(en) and not _ORIGINAL_EN.search(en)) or (
            _PUBLISHER_JA.search(question) and not _ORIGINAL_JA.search(question)):
        return PUBLISHER
    return ORIGINAL


def _header_row(text: str) -> bool:
    """Whether a source row is a header line of the page (the site's name, a feed headline): one line, neither a
    source block nor a link."""
    return "\n" not in text and not source_marker(text) and not urls(text)


def without_sources(answers: list[tuple[str, Ranking, float]], passages: PassageTable
                    ) -> list[tuple[str, Ranking, float]]:
    """The components' (name, ranking, ms) without the source rows, before they are fused: each ranks, and
    normalises, as if those rows were not in the index. The candidates are looked up by their spans at once, without
    making a Passage (a question's ~170 candidates made and matched took ~1 ms of every search under the GIL)."""
    rows = np.unique(np.concatenate([ranking.rows for _, ranking, _ in answers] or [np.zeros(0, np.int64)]))
    hidden = rows[passages.source_mask(rows)]
    if not hidden.size:
        return answers
    out = []
    for name, ranking, ms in answers:
        keep = ~np.isin(ranking.rows, hidden)
        out.append((name, Ranking(ranking.rows[keep], ranking.scores[keep]), ms))
    return out


class SourceRows:
    """Each article's source rows, {(document number, article): rows}, found the first time a question asks for
    them, once per index version (nothing for an index only searched for content)."""

    def __init__(self, passages: PassageTable) -> None:
        self._passages = passages
        self._rows: dict[tuple[int, int], tuple[int, ...]] | None = None
        self._docs: frozenset[int] | None = None
        self._lock = threading.Lock()

    def of(self, doc: int, article: int) -> tuple[int, ...]:
        return self.found().get((doc, article), ())

    def in_document(self, doc: int) -> bool:
        """Whether any article of the document has source rows."""
        found = self.found()
        with self._lock:
            if self._docs is None:
                self._docs = frozenset(d for d, _ in found)
            return doc in self._docs

    def found(self) -> dict[tuple[int, int], tuple[int, ...]]:
        with self._lock:
            if self._rows is None:
                self._rows = self._passages.source_rows()
            return self._rows


def sources_first(rows: Sequence[int], scores: dict[int, float], passages: PassageTable, sources: SourceRows,
                  kind: str = ORIGINAL) -> tuple[list[int], dict[int, float], dict[int, float]]:
    """(rows, scores, changes): the ranking of a question that asks where an article came from. Only a source line
    answers it, and the one that does is the line of the article the rest of the question is about: the article of
    the first row. So its article's source lines go first, scoring as that row does, those of the `kind` asked for
    (source_kind) before the others, a cited source before a mere reference, each group in its own order. `changes`
    holds each moved line's score change (from 0 when no component ranked it). Other articles' lines keep their
    places: a question about one article is not told another's source."""
    if not rows:
        return list(rows), scores, {}
    top = rows[0]
    doc, article = int(passages.doc[top]), int(passages.article[top])
    lines = sources.of(doc, article)
    if not lines:
        # a document without source lines names its author and date, if anywhere, in an article's header: the
        # article's first passage stands in for them (a page whose other article has its lines is left as it is:
        # they may be this one's too)
        header = None if sources.in_document(doc) else passages.first_of(doc, article)
        if header is None or passages.is_source(header):
            return list(rows), scores, {}
        if header == top:
            return list(rows), scores, {top: 0.0}
        lines = (header,)
    def order(r: int) -> tuple[bool, bool, float, int]:
        text = passages[r].text
        later = not urls(text) if kind == LINK else _header_row(text) != (kind == PUBLISHER)
        # a line citing what the post is based on (元ネタ:) before one it only refers to (参考ネタ:, Via:), as
        # cleaning ranks them (rag/corpus/articles.py find_sources)
        return later, text.startswith(("参考", "Via")), -scores.get(r, float("-inf")), r

    lines = sorted(lines, key=order)
    if list(rows[: len(lines)]) == lines:
        return list(rows), scores, {}
    new = dict(scores)
    changes = {r: scores[top] - scores.get(r, 0.0) for r in lines}
    for r in lines:
        new[r] = scores[top]
    moved = set(lines)
    return lines + [r for r in rows if r not in moved], new, changes
