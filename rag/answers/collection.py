"""A question about the collection itself ("What articles do you have?", どんな記事がある?, 記事は何本?): answered from
the index's list of its articles, not by a search.

A search for such a question found passages that mention "articles" or 記事 and quoted them as if they answered it
(a probe's finding). The answer says how many articles and documents the index holds and lists the most recent ones,
each cited by its first passage (its title, date and byline), so that a chat client shows them as its sources.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..types import Citation, Hit

if TYPE_CHECKING:
    from ..retrieval import Searcher
    from ..retrieval.engine import SearchResult

_NOUNS = r"(?:articles|documents|news\s+(?:articles|stories|items)|stories|sources|texts|posts|topics|subjects)"
_HOLDER = r"(?:you|the\s+(?:index|service|corpus|collection|database)|this\s+(?:index|service|chat))"
_PLACE = r"(?:in|on)\s+(?:the|your|this)\s+(?:index|corpus|collection|database|service)"
_END = r"\s*[?.!]*\s*$"
# Each form asks about what the index holds, to its end: "What topics did Lavrov discuss?", "How many documents did
# they sign?", "What do you know about Korybko?" and "List the sources of tension…" ask about a topic
_EN = re.compile(
    r"\b(?:what|which)\s+(?:kinds?\s+of\s+|sorts?\s+of\s+)?" + _NOUNS + r"\s+(?:do|does|can|could)\s+" + _HOLDER
    + r"\s+(?:have|hold|cover|know|offer|contain|answer|search)\b(?:\s+(?:about|on))?" + _END + "|"
    r"\b(?:what|which)\s+" + _NOUNS + r"\s+(?:are|is)\s+(?:there\s+)?(?:" + _PLACE + r"|indexed|available)" + _END + "|"
    r"\bhow\s+many\s+(?:articles|documents|stories|texts|posts)\s+(?:are\s+there|do\s+you\s+have|does\s+"
    r"the\s+(?:index|service|corpus|collection|database)\s+(?:have|hold)|are\s+indexed)(?:\s+" + _PLACE + ")?" + _END
    + "|"
    r"^\W*(?:please\s+)?list\s+(?:all\s+)?(?:the\s+|your\s+)?(?:articles|documents|sources)(?:\s+you\s+have|\s+"
    + _PLACE + r")?" + _END + "|"
    r"\bwhat\s+(?:can|could|should)\s+i\s+ask(?:\s+(?:you|about))?" + _END + "|"
    r"\bwhat\s+(?:do|does)\s+" + _HOLDER + r"\s+(?:know|cover)(?:\s+about)?" + _END + "|"
    r"\bwhat(?:'s|\s+is)\s+" + _PLACE + _END,
    re.IGNORECASE)
_JA = re.compile(
    r"(?:記事|文書|ニュース|資料)(?:は|が)(?:全部で)?(?:何本|何件|何個|いくつ)(?:ある|あります|入って|ですか|[?？]|$)|"
    r"^\s*(?:この(?:索引|サービス|データベース)には|ここには|索引には)?\s*どんな(?:記事|文書|ニュース|資料|話題|トピック)"
    r"(?:が|を|について)?(?:ある|あり|扱|入って|持って|知って|聞け|質問)|"
    r"^\s*(?:記事|文書|資料)の?(?:一覧|リスト)|"
    r"^\s*(?:ここでは|この(?:サービス|チャット)では)?\s*何について(?:聞け|質問でき|答えられ|知って)|"
    r"(?:索引|インデックス|データベース)(?:に|には)(?:何|どんな)")

LISTED = 10  # at most this many articles are listed, the most recent first

HEADING = {
    "en": "The index holds {articles} articles in {documents} documents. The most recent:",
    "ja": "索引には{documents}件の文書に{articles}本の記事があります。新しい順に:",
}


def asks_about_collection(question: str) -> bool:
    """Whether `question` asks what the index holds rather than about a topic in it."""
    return isinstance(question, str) and bool(_EN.search(question) or _JA.search(question))


def collection_result(searcher: Searcher, question: str, lang: str, limit: int) -> SearchResult:
    """The first passage of each of the index's most recent articles (undated ones last), at most `limit`, as a
    ranking: what a question about the collection is answered and cited from."""
    from ..retrieval.engine import SearchResult

    t0 = time.perf_counter()
    passages = searcher.index.passages
    articles = [(a.published or "", d, a.index) for d, doc in enumerate(passages.documents) for a in doc.articles]
    articles.sort(key=lambda x: (x[0] != "", x[0]), reverse=True)  # dated, newest first, then undated
    rows = [r for _, d, a in articles if (r := searcher.article_header(d, a)) is not None][:limit]
    hits = tuple(Hit(rank=i + 1, score=1.0 / (i + 1), passage=passages[r], citation=searcher.index.citation(r))
                 for i, r in enumerate(rows))
    return SearchResult(question, "collection", lang, hits, (time.perf_counter() - t0) * 1000,
                        searcher.index.version)


def collection_answer(searcher: Searcher, hits: Sequence[Hit], lang: str) -> tuple[str, tuple[Citation, ...]]:
    """How many articles and documents the index holds, and one line per listed article: its title and date, cited."""
    passages = searcher.index.passages
    articles = sum(len(doc.articles) for doc in passages.documents)
    lines = [HEADING.get(lang, HEADING["en"]).format(articles=articles, documents=len(passages.documents))]
    citations: list[Citation] = []
    for h in hits[:LISTED]:
        c = h.citation
        citations.append(c)
        date = f" ({c.published[:10]})" if c.published else ""
        lines.append(f"- {c.title}{date}[{len(citations)}]")
    return "\n".join(lines), tuple(citations)
