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
    from ..retrieval.engine import Filters, SearchResult

# not "sources": after an answer, "What sources do you have?" and "List the sources" ask for that answer's
_NOUNS = r"(?:articles|documents|news\s+(?:articles|stories|items)|stories|texts|posts|topics|subjects)"
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
    r"^\W*(?:please\s+)?list\s+(?:all\s+)?(?:the\s+|your\s+)?(?:articles|documents)(?:\s+you\s+have|\s+"
    + _PLACE + r")?" + _END + "|"
    r"\bwhat\s+(?:can|could|should)\s+i\s+ask(?:\s+(?:you|about))?" + _END + "|"
    r"\bwhat\s+(?:do|does)\s+" + _HOLDER + r"\s+(?:know|cover)(?:\s+about)?" + _END + "|"
    r"\bwhat(?:'s|\s+is)\s+" + _PLACE + _END + "|"
    r"\bhow\s+many\s+(?:articles|documents|stories|texts|posts)\s+are\s+(?:there\s+)?" + _PLACE + _END + "|"
    r"^\W*(?:please\s+)?(?:show|give)\s+(?:me\s+)?(?:all\s+)?(?:the\s+|your\s+)?(?:\d+\s+)?(?:articles|documents)"
    r"(?:\s+you\s+have)?"
    + _END + "|"
    r"\b(?:what|which)\s+is\s+the\s+(?:newest|latest|most\s+recent|oldest|earliest)\s+(?:article|document|story)"
    + r"(?:\s+(?:you\s+have|" + _PLACE + "))?" + _END + "|"
    r"\bwhat\s+(?:topics|subjects)\s+do\s+(?:the|your|these)\s+(?:articles|documents)\s+cover" + _END + "|"
    r"^\W*what\s+(?:topics|subjects|articles)\s+are\s+there" + _END,
    re.IGNORECASE)
_JA_END = r"(?:の|か|ですか|でしょうか)?\s*[?？]?\s*$"
_JA = re.compile(
    r"^\s*(?:全部で)?(?:記事|文書|ニュース|資料)(?:は|が)(?:全部で)?(?:何本|何件|何個|いくつ)(?:ある|あります|入って(?:いる|います|る)?)?"
    + _JA_END + "|"
    r"^\s*(?:全部で)?何(?:本|件)の(?:記事|文書)(?:が|を)?(?:ある|あります|入って(?:いる|います|る)?|持って(?:いる|います|る)?)"
    + _JA_END + "|"
    r"^\s*記事(?:の)?数(?:は)?" + _JA_END + "|"
    r"^\s*(?:この(?:索引|サービス|データベース)には|ここには|索引には)?\s*どんな(?:記事|文書|ニュース|資料|話題|トピック)"
    r"(?:が|を|について)?(?:ある|あります|扱って(?:いる|います|る)?|入って(?:いる|います|る)?|持って(?:いる|います|る)?|"
    r"知って(?:いる|います|る)?|聞け(?:る|ます)?|質問でき(?:る|ます)?)" + _JA_END + "|"
    r"^\s*(?:記事|文書|資料)の?(?:一覧|リスト)(?:は|を(?:見せて|ください))?" + _JA_END + "|"
    r"^\s*(?:ここでは|この(?:サービス|チャット)では)?\s*何について(?:聞け(?:る|ます)?|質問でき(?:る|ます)?|答えられ(?:る|ます)?|"
    r"知って(?:いる|います|る)?)" + _JA_END + "|"
    r"^\s*(?:索引|インデックス|データベース)(?:に|には)(?:何|どんな(?:記事|文書)?)(?:が)?(?:ある|あります|入って(?:いる|います|る)?)"
    + _JA_END + "|"
    r"^\s*(?:一番|最も)?(?:新しい|古い)記事(?:は|って)(?:何|どれ)?" + _JA_END + "|"
    r"^\s*最(?:新|古)の記事(?:は|って)(?:何|どれ)?" + _JA_END + "|"
    r"^\s*(?:全部の|すべての|全ての)記事(?:を|の)?(?:見せて|教えて|一覧)(?:ください)?" + _JA_END)

LISTED = 10  # at least this many articles are listed (top_k, when larger), the most recent first

HEADING = {
    "en": "The index holds {articles} articles in {documents} documents. {which}:",
    "ja": "索引には{documents}件の文書に{articles}本の記事があります。{which}:",
}
WHICH = {"en": ("All of them, the most recent first", "The {n} most recent"),
         "ja": ("新しい順に", "新しい順に{n}本")}
# with /v1/ask's filters: how many articles they let through, and none
FILTERED = {
    "en": ("The index holds {articles} articles in {documents} documents, {matching} of them within the filters. "
           "{which}:"),
    "ja": "索引には{documents}件の文書に{articles}本の記事があり、条件に合うのは{matching}本です。{which}:",
}
NONE_FILTERED = {
    "en": "The index holds {articles} articles in {documents} documents; none of them is within the filters.",
    "ja": "索引には{documents}件の文書に{articles}本の記事がありますが、条件に合う記事はありません。",
}


def asks_about_collection(question: str) -> bool:
    """Whether `question` asks what the index holds rather than about a topic in it."""
    return isinstance(question, str) and bool(_EN.search(question) or _JA.search(question))


def collection_result(searcher: Searcher, question: str, lang: str, limit: int,
                      scope: Filters | None = None) -> tuple[SearchResult, int | None]:
    """The first passage of each of the index's most recent articles (undated ones last), at most `limit`, as a
    ranking: what a question about the collection is answered and cited from; given `scope` (/v1/ask's filters),
    only the articles whose first passage it lets through, and how many those are (None without)."""
    from ..retrieval.engine import SearchResult

    t0 = time.perf_counter()
    passages = searcher.index.passages
    rows = _first_rows(searcher, scope, None if scope is not None else limit)
    hits = tuple(Hit(rank=i + 1, score=1.0 / (i + 1), passage=passages[r], citation=searcher.index.citation(r))
                 for i, r in enumerate(rows[:limit]))
    return (SearchResult(question, "collection", lang, hits, (time.perf_counter() - t0) * 1000,
                         searcher.index.version), None if scope is None else len(rows))


def _first_rows(searcher: Searcher, scope: Filters | None, limit: int | None = None) -> list[int]:
    """The first passage of each article, the most recent first (undated ones last), that `scope` lets through: at
    most `limit` (the first passages of as many as are listed, not of every article)."""
    allowed = searcher.rows_allowed(scope) if scope is not None else None
    keep = None if allowed is None else set(allowed.tolist())
    passages = searcher.index.passages
    articles = [(a.published or "", d, a.index) for d, doc in enumerate(passages.documents) for a in doc.articles]
    articles.sort(key=lambda x: (x[0] != "", x[0]), reverse=True)  # dated, newest first, then undated
    rows: list[int] = []
    for _, d, a in articles:
        if limit is not None and len(rows) >= limit:
            break
        if (r := passages.first_of(d, a)) is not None and (keep is None or r in keep):
            rows.append(r)
    return rows


def collection_answer(searcher: Searcher, hits: Sequence[Hit], lang: str,
                      matching: int | None = None) -> tuple[str, tuple[Citation, ...]]:
    """How many articles and documents the index holds, and one line per listed article: its title and date, cited.
    `matching`: how many articles the request's filters let through (/v1/ask's), said and listed instead of all (a
    reviewer's: "The 0 most recent:" and the whole index's count, under filters that let none through)."""
    passages = searcher.index.passages
    articles = sum(len(doc.articles) for doc in passages.documents)
    documents = len(passages.documents)
    if matching == 0:
        return NONE_FILTERED.get(lang, NONE_FILTERED["en"]).format(articles=articles, documents=documents), ()
    every, some = WHICH.get(lang, WHICH["en"])
    shown = articles if matching is None else matching
    which = every if len(hits) >= shown else some.format(n=len(hits))
    heading = HEADING if matching is None else FILTERED
    lines = [heading.get(lang, heading["en"]).format(articles=articles, documents=documents, matching=matching,
                                                     which=which)]
    citations: list[Citation] = []
    for h in hits:
        c = h.citation
        citations.append(c)
        date = f" ({c.published[:10]})" if c.published else ""
        lines.append(f"- {c.title}{date}[{len(citations)}]")
    return "\n".join(lines), tuple(citations)
