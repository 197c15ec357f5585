"""The years a question asks about that no top passage's article writes or dates (`unwritten_years`), which refuse
it whatever USE's cosine: in English ("in November 2023", "fiscal 2024"), in Japanese (2023年) and by era (令和5年)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ...retrieval import Searcher
from ...types import Hit
from .passages import top
from .readings import DOC_CHARS


def unwritten_years(searcher: Searcher, question: str, hits: Sequence[Hit] = ()) -> list[int]:
    """The years a question asks about that no top passage's article writes or dates: "Who won the Kyushu tournament
    in November 2023?" was answered with 2025's winner, as covered (a probe's near miss), the topic being the same.

    A year is one from 1900 to 2099 after a word that dates ("in", "since", "fiscal", a month, a season) or after a
    day ("March 10, 2023"), and before no word it counts ("2000 people", "by 1999 votes", "1990s"); or naming an event
    ("the 2024 Shizuoka City Marathon"); or written as one in Japanese (2023年, 2023年度; not 2000年間, 2000年前) or
    in an era's years (令和5年). An article holds it when its text (the first DOC_CHARS characters, and the top
    passages') writes it so, as digits alone (2023), or by its era; or when the article was published that year, or
    one year later and a top passage of it writes 去年 or 昨年 (two years, おととし or 一昨年), or a year earlier and
    one writes 来年 or 翌年: an article that writes おととし elsewhere is no answer about that year (a reviewer's). A
    fiscal year (fiscal, FY, 年度) is also held by an article published in its January to March. None when a top
    passage's article neither writes a year nor is dated: it may be of any."""
    question = unicodedata.normalize("NFKC", question)
    years = _asked_years(question)
    if not years:
        return []
    fiscal = bool(_FISCAL.search(question))
    passages = searcher.index.passages
    read = top(hits)
    held: set[int] = set()
    for doc_id, article in dict.fromkeys((h.passage.doc_id, h.passage.article) for h in read):
        found = passages.article_of(doc_id, article)
        shown = unicodedata.normalize("NFKC", "".join(h.passage.text for h in read
                                                      if (h.passage.doc_id, h.passage.article) == (doc_id, article)))
        body = found[0][found[1].start:min(found[1].end, found[1].start + DOC_CHARS)] if found else ""
        text = unicodedata.normalize("NFKC", body) + "\n" + shown
        written = {int(y) for y in _YEAR_DIGITS.findall(text)} | {_era_year(e, n) for e, n in _ERA_YEAR.findall(text)}
        published = found[1].published if found else None
        year = int(published[:4]) if published and published[:4].isdigit() else None
        if not written and year is None:
            return []  # an article that neither writes a year nor is dated may be of any year
        held |= written
        if year is not None:
            held.add(year)
            held |= {year + back for back, words in _RELATIVE.items() if words.search(shown)}
            if fiscal and published[5:7] in ("01", "02", "03"):
                held.add(year - 1)
    return [y for y in years if y not in held]


_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|"
           "jun|jul|aug|sep|sept|oct|nov|dec")
# after the year, no word it counts: a lower-case word other than one that goes on with the sentence ("in 2023 and
# 2024", "in 2023 when…"), "s" (the 1990s) or a hyphen and a unit (2000-ton)
_NO_COUNT = (r"(?!s\b|-(?-i:[a-z])|\s+(?!(?:and|or|to|when|while|after|before|until|through|at|in|on|for|with|as|than|"
             r"was|were|is|are|did|does|had|has|have|that|which|the|a|an|compared|versus|vs|overall|alone|combined|so|"
             r"too|also|again|then|respectively)\b)(?-i:[a-z]))")
# a year in an English question: after a preposition or a day ("March 10, 2023"), and before no word it counts; after
# a word that can only date it ("fiscal 2023 profit", "FY2024", "March 2023", "early 2024"), whatever follows but an s
_YEAR_EN = re.compile(rf"(?:\b(?:in|of|since|until|till|by|before|after|during|from|through)[\s-]+|\b\d{{1,2}},?\s+)"
                      rf"((?:19|20)\d\d)(?![\d,.]\d|\s*%){_NO_COUNT}"
                      rf"|(?:\bfy[\s-]*|\b(?:fiscal|year|season|early|late|mid|spring|summer|autumn|fall|winter|"
                      rf"{_MONTHS})[\s-]+)((?:19|20)\d\d)(?![\d,.]\d|\s*%|s\b)"
                      r"|\bthe\s+((?:19|20)\d\d)\s+(?-i:[A-Z])", re.IGNORECASE)  # or an event's: "the 2024 Shizuoka…"
_YEAR_JA = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:年(?![間代分]|ぶり|前(?![半期]))|[/-]\d)")
_FISCAL = re.compile(r"\bfiscal\b|\bFY|年度", re.IGNORECASE)
_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_YEAR = re.compile(r"(令和|平成|昭和)(\d{1,2}|元)年")
_YEAR_DIGITS = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_RELATIVE = {-1: re.compile(r"去年|(?<!一)昨年"), -2: re.compile(r"おととし|一昨年"), 1: re.compile(r"(?<!再)来年|翌年"),
             2: re.compile(r"再来年")}


def _asked_years(question: str) -> list[int]:
    """The years `question` (NFKC) asks about, in its order, each once."""
    found = [int(a or b or c) for a, b, c in _YEAR_EN.findall(question)]
    found += [int(y) for y in _YEAR_JA.findall(question)]
    found += [_era_year(era, n) for era, n in _ERA_YEAR.findall(question)]
    return list(dict.fromkeys(found))


def _era_year(era: str, n: str) -> int:
    """令和5年 is 2023, 令和元年 2019."""
    return _ERAS[era] + (1 if n == "元" else int(n))
