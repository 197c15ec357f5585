"""The detail asked for, first (docs/answers.md): a question asking for a date, a number or a place is opened by a
picked sentence that gives one when the best one does not (`detail_lead`). The number in the counter asked for
leads from under the cutoff too, more strongly for the person the question names; another time's number
(`_another_time`) counts as any number."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ...retrieval.rerank import answer_type
from ...retrieval.rerank.answer_type import Kind
from ..scoring import Scored
from ..sentence_shape import LIST_ITEM, MIN_CHARS, ends_a_sentence, fragment
from .common import COUNTED
from .people import names_person

# The kinds of detail an answer opens with when a picked sentence gives one (docs/answers.md, "The detail asked for,
# first"); not a reason or a person: ため, ので and other people's names stand in too many sentences that do not answer
LEADING_KINDS = frozenset({"date", "number", "place"})


def detail_lead(searcher, question: str, kind: Kind, groups: Sequence[Sequence[str]], within: str | None = None
                ) -> Callable[[Scored, Scored], int]:
    """Whether a picked sentence may open an answer asked for a detail of `kind` in the best one's place, when the
    best one does not give it. It must be a whole sentence, not a caption's 「…、北京、2024年5月16日」, a dateline or a
    title line. It must come from the best one's article, or from the document `within` (the one the answer before
    was drawn from, when a follow-up knows it): another article's date is another event's (2月24日 for the signing
    of 5月8日). It must share a word with `question` (its term `groups`) and hold a token of `kind` new to it: the
    rerank stage's answer evidence. Its claim (an int) is 2 for a number in the counter the question asks in
    (`answer_type.asked_counters`: 「3万1,500票」 for "How many votes…?", where 「当選が決まった12日夜、…」 gives a number
    too), 3 for such a number in a sentence that names the person the question does ("How many pitches did Mochizuki
    throw?": 「望月投手は…148球」, not the other pitcher's 「…133球を投げ」, a probe's), 1 for any token of the kind and for
    a number of an earlier time than the article's (`_another_time`: 「2019年にも…2300人分」) when the question asks of
    none, 0 for none."""
    tokens = searcher.analyzer.tokens(question)
    known_terms = {t for g in groups for t in g} | {t.term for t in tokens if t.term}
    known_numbers = answer_type.question_numbers(question, tokens)
    # the counted noun's terms by the bridge's dictionaries, not the term alignment's neighbours: "helicopters" is
    # ヘクタール to it, and 「約1200ヘクタール…27棟」 led "how many helicopters…?" (a probe's chat)
    bridge = searcher.bridge
    counters = (answer_type.asked_counters(question, tokens,
                                           lambda w: {t for g in (bridge.expand(w) if bridge else []) for t in g},
                                           lambda t: answer_type.counter_term(searcher.analyzer.tags(t)))
                if kind == "number" else frozenset())

    names_them = names_person(searcher, question, groups) if counters else None

    # a question that asks about another time itself ("last year", 2019年, 前回) is not told another time's number
    other_times = bool(_OTHER_TIME_ASKED.search(question)
                       or any(len(n) == 4 and n.isdigit() and 1900 <= int(n) <= 2100 for n in known_numbers))

    # the division a place question asks for ("Which prefecture…?", どの県): a place new to it written with that division
    # claims as a number in the counter asked for does (「東京都の1288人が最も多く」 was never picked, a probe's)
    divisions = next((ends for cue, ends in _DIVISIONS_ASKED if cue.search(question)), "") if kind == "place" else ""

    def claim(c: Scored) -> int:  # 2: a number in the counter asked for (7位 for 何位), 1: a token of the kind, 0: none
        found = searcher.analyzer.tokens(c.text)
        if divisions and any(t.pos[1:3] == ("固有名詞", "地名") and t.surface[-1:] in divisions and len(t.surface) > 1
                             and t.term not in known_terms and t.surface not in known_terms for t in found):
            return COUNTED
        if counters and answer_type.counted(found, counters, known_numbers):
            if not other_times and _another_time(found, c.hit.citation.published):
                return 1  # 「2019年にも…約2300人分が流出」: an earlier event's count, some number (a probe's)
            return COUNTED + bool(names_them is not None and names_them(c.text))
        return int(answer_type.has_evidence(found, kind, known_terms, known_numbers))

    def leads(c: Scored, best: Scored) -> int:
        if c is best:  # the best one that gives it keeps its place, whatever it is (the caption that dates a speech)
            return claim(c)
        passage, first = c.hit.passage, best.hit.passage
        if within is not None:
            about = passage.doc_id == within
        else:  # an article is numbered within its document
            about = (passage.doc_id, passage.article) == (first.doc_id, first.article)
        whole = bool(LIST_ITEM.match(c.text)) or not fragment(c.text)
        if not (about and c.lexical > 0):
            return 0
        if whole:
            return claim(c)
        # a short sentence, whole, that gives the number in the counter asked for: 「値上がりは11週連続です。」 for "How
        # many weeks in a row…?" (a ninth probe's), not a heading or a caption, which give it in no sentence
        short = len(c.text) >= MIN_CHARS and ends_a_sentence(c.text)
        return claim(c) if short and claim(c) >= COUNTED else 0
    return leads


def _another_time(tokens: Sequence, published: str | None = None) -> bool:
    """Whether a sentence tells of an earlier occurrence than the article's: a year before the article's (any year
    when it has no date) or 去年, 昨年… with (に)も (「2019年にも…トラブルがあり」, 「去年も」), and no word of this time
    (今回, 今年: 「去年も不正アクセスがあったが、今回流出したのは…」 counts this one; a reviewer's). Not a duration
    (「3年も続き」, 「何十年も」)."""
    if any(t.surface in _THIS_TIME or t.term in _THIS_TIME or (t.surface == "今" and t.pos[:1] == ("接頭辞",))
           for t in tokens):  # 今大会 is 今 + 大会 to Sudachi
        return False
    year = int(published[:4]) if published and published[:4].isdigit() else None
    for i, t in enumerate(tokens):
        if _dated_before(tokens, i, year):
            return True
        if t.surface != "も" or t.pos[:1] != ("助詞",) or i == 0:
            continue
        at = i - 2 if tokens[i - 1].surface == "に" and i > 1 else i - 1
        before = tokens[at]
        if before.term in _EARLIER or (before.surface == "年" and at > 0 and tokens[at - 1].surface == "一昨"):
            return True
        if before.surface == "年" and at > 0 and (n := tokens[at - 1].surface).isdigit() and len(n) == 4:
            if 1900 <= int(n) and (year is None or int(n) < year):
                return True
    return False


def _dated_before(tokens: Sequence, i: int, year: int | None) -> bool:
    """Whether the token at `i` ends what dates a sentence's fact years before the article: 「10年前の2016年度には」,
    「10年前には」, or a year before the article's with には and no turn to this time after it (「2016年度には757円だった」,
    where 1008円 is this year's: a probe's 「最低賃金はこれまでいくらだったか」 opened with it). Not a comparison or a
    clause that runs to this time (「10年前に比べて約2倍」, 「5年前の約2倍」, 「3年前に導入したシステムから」, 「2024年に
    は…移行したが、…」: a reviewer's)."""
    if i < 1 or i + 1 >= len(tokens):
        return False
    surface, after = tokens[i].surface, [t.surface for t in tokens[i + 1:i + 4]]
    if surface == "前" and i > 1 and tokens[i - 1].surface == "年" and tokens[i - 2].surface.isdigit():
        dated = (after[:1] == ["は"] or after[:2] == ["に", "は"]
                 or (after[:1] == ["の"] and len(after) == 3 and after[1].isdigit() and len(after[1]) == 4
                     and after[2] in ("年", "年度")))
    elif surface in ("年", "年度") and (n := tokens[i - 1].surface).isdigit() and len(n) == 4 and after[:2] == ["に", "は"]:
        dated = 1900 <= int(n) and year is not None and int(n) < year
    else:
        return False
    # the rest of the sentence read only for a date that dates it (this is asked of every token of every sentence)
    rest = "".join(t.surface for t in tokens[i + 1:])
    return dated and "が、" not in rest and not _COMPARED_WITH.match(rest)  # 「…だったが、現在は…」, 「…と比べて…」


# what measures this time's number by the date just before it: 「10年前と比べて」, 「5年前の約2倍」, 「10年前の水準を上回る」
# (a second reviewer's); not a comparison later in the sentence, about the earlier time itself (「2018年には…9万5137人
# に上り、前年の約1.8倍だった」, a third's); a clause's but (…だったが、, not したがって) turns to this time anywhere
_COMPARED_WITH = re.compile(r"(?:の\d{4}年度?)?(?:と比べ|に比べ|と比較|より|の(?:約|およそ)?[\d.]+倍|の水準)")


# a place question's division and how Japanese writes a place of it last (東京都, 大阪府, 北海道, 愛知県; 熊谷市)
_DIVISIONS_ASKED = ((re.compile(r"\b(?:which|what)\s+prefectures?\b|どの(?:都道府県|県)", re.IGNORECASE), "都道府県"),
                    (re.compile(r"\b(?:which|what)\s+cit(?:y|ies)\b|どの市", re.IGNORECASE), "市"),
                    (re.compile(r"\b(?:which|what)\s+towns?\b|どの町", re.IGNORECASE), "町"),
                    (re.compile(r"\b(?:which|what)\s+villages?\b|どの村", re.IGNORECASE), "村"))


# not 過去 nor 以前: 「過去にも例のない」, 「以前にも増して」 tell of this time (a reviewer's)
_EARLIER = frozenset({"去年", "昨年", "前年", "一昨年", "前回", "先月", "昨季", "先週"})
_THIS_TIME = frozenset({"今回", "今年", "ことし", "今月", "今季", "今大会", "今期", "今年度"})
_OTHER_TIME_ASKED = re.compile(r"\b(?:last|previous|previously|earlier|before|ago|prior|past)\b|去年|昨年|前年|前回|以前|過去|"
                               r"[\d０-９一二三四五六七八九十百何数半]+年前", re.IGNORECASE)  # 10年前, 十年前, 数年前 (not 今年前半: reviewers')
