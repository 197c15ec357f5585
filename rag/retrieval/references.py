"""References to the numbered sources of the answer before: "Tell me more about [2]", "What does the second source say?",
出典2の記事はいつ公開された?, "Compare [1] and [2]". rag/answers/service.py searches such a question within those sources'
documents (their passages read from the answer's own Sources list, which chat clients send back: api/openai_compat.py).
"""

from __future__ import annotations

import re
import unicodedata

from ..corpus.lines import has_cjk
from .cues import EN_WORD

# A reference to a numbered source of the answer before: [2], ［２］, "source 2", "the second source", 出典2, 2番目の記事.
# A number or an ordinal that says something else is none: "the first article of the NATO treaty", "the first source
# to report", "Which source 2 officials…", 出典2025年, 情報源3人, 参照10件
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8}
_SOURCE_NOUN = r"(?:source|citation|reference|ref)"
_ORD = "|".join(_ORDINALS)
_JOIN = r"\s*(?:,|and|&|or|vs\.?|versus)\s*"
# what may not follow a reference written as words: a word of what the number or ordinal counts or sets apart ("the
# first source to report", "source 2 officials"), or a plural noun other than a verb of the question
_VERBS_IN_S = ("is|was|says|does|has|claims|means|shows|tells|writes|reports|argues|states|suggests|discusses|covers|"
               "mentions|focuses|explains|describes|contains|includes|adds|notes")
# a bare marker after one of these is the thing asked about ("Tell me more about [2]"); after another word it was
# pasted with the sentence it marks ("How many casualties [1] were reported?"), and is read off
_POINTS_AT = frozenset({"about", "on", "in", "from", "of", "to", "at", "with", "between", "and", "or", "explain",
                        "summarize", "summarise", "read", "open", "show", "expand", "elaborate", "is", "was", "does",
                        "did", "says", "say"})
_NOT_COUNTING = (r"(?!\s+(?:to|of|that|who|which|on|at|by|with)\b)(?!\s+(?!(?:" + _VERBS_IN_S + r")\b)[a-z]+s\b)"
                 r"(?!\s*(?:%|percent|per\s+cent))")
_CITED_EN = re.compile(r"\b(?:the\s+)?(?P<ord>" + _ORD + r")(?:" + _JOIN + r"(?:the\s+)?(?P<ord2>" + _ORD + r"))?\s+"
                       + _SOURCE_NOUN + r"s?\b" + _NOT_COUNTING + "|"
                       r"(?:\b(?:the\s+)?" + _SOURCE_NOUN + r"s?\s*(?:no\.?\s*|number\s*|#\s*)?)?\[\s*(?P<n>\d{1,2})\s*\]|"
                       r"\b(?:the\s+)?" + _SOURCE_NOUN + r"s?\s*(?:no\.?\s*|number\s*|#\s*)?(?P<m>\d{1,2})(?:" + _JOIN
                       + r"(?P<m2>\d{1,2}))?\b" + _NOT_COUNTING,
                       re.IGNORECASE)
_NOT_A_COUNT = r"(?![\d年月日件人本個回倍万億千百%％つ名点歳号位社枚冊通条項頁ページ]|か所|ヶ所|箇所|カ所)"
_CITED_JA = re.compile(r"(?:(?:出典|ソース|引用元|引用|参照|記事|リンク|情報源)\s*)?\[\s*(?P<n>\d{1,2})\s*\](?P<no>の)?|"
                       r"(?:出典|ソース|引用元|情報源)\s*(?P<m>\d{1,2})" + _NOT_A_COUNT
                       + r"(?:\s*(?:と|、|,|や|及び)\s*(?:(?:出典|ソース|引用元|情報源)\s*)?(?P<m2>\d{1,2})" + _NOT_A_COUNT + r")?"
                       r"(?P<mo>の)?|"
                       r"(?P<k>\d{1,2})\s*(?:番目?|つ目)の(?:出典|ソース|記事|リンク|情報源|引用)(?P<ko>の)?")


def cited_source(question: str) -> tuple[tuple[int, ...], str] | None:
    """(the numbers, the question as it is read): a question about the answer before's numbered sources ("Tell me
    more about [2]", "What does the second source say?", 出典2の記事はいつ公開された?, "Compare [1] and [2]"); None when
    it names none. One reference is read as a word that points back ("Tell me more about it", その記事は…), so that the
    question is read as the follow-up it is; several, and what joins them, as "them" (それら)."""
    if not isinstance(question, str):
        return None
    text = unicodedata.normalize("NFKC", question)
    pattern = _CITED_JA if has_cjk(text) else _CITED_EN
    found = list(pattern.finditer(text))
    if not found:
        return None
    numbers = tuple(dict.fromkeys(n for m in found for n in _numbers(m)))
    if len(numbers) > 1:
        # joined ("Compare [1] and [2]", 出典1と出典2を比較して): "Compare them", それらを比較して; apart ("Why is source 1
        # different from source 2?"): each "it"
        gaps = [text[a.end():b.start()] for a, b in zip(found, found[1:])]
        if all(re.fullmatch(_JOIN + "|" + r"\s*(?:と|、|,|や|及び)\s*", g, re.IGNORECASE) for g in gaps):
            them = "それら" if pattern is _CITED_JA else "them"
            return numbers, text[: found[0].start()] + them + text[found[-1].end():]
        it = "それ" if pattern is _CITED_JA else "it"
        return numbers, re.sub(pattern, it, text)
    m = found[0]
    if len(found) > 1:  # the same number twice
        return numbers, pattern.sub("それ" if pattern is _CITED_JA else "it", text)
    before = text[: m.start()]
    bare = m.group().lstrip().startswith("[")
    if pattern is _CITED_EN:
        words = EN_WORD.findall(before)
        if bare and words and words[-1].lower() not in _POINTS_AT:
            return numbers, before.rstrip() + text[m.end():]
        return numbers, before + "it" + text[m.end():]
    if bare and before.strip() and not re.search(r"[\s、。,.!?！？「『(（]$", before):
        return numbers, before + text[m.end():]
    then = m.group("no") or m.group("mo") or m.group("ko")
    if m.group("k") and not then:  # 2番目の記事は… names the article itself: "その記事は…"
        return numbers, text[: m.start()] + "その" + m.group().split("の", 1)[1] + text[m.end():]
    return numbers, text[: m.start()] + ("その" if then else "それ") + text[m.end():]


def _numbers(m: re.Match[str]) -> list[int]:
    groups = m.groupdict()
    out = [_ORDINALS[groups[g].lower()] for g in ("ord", "ord2") if groups.get(g)]
    return out + [int(groups[g]) for g in ("n", "m", "m2", "k") if groups.get(g)]
