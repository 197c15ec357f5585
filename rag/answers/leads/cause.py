"""A cause, first: a question asking what caused something, or why (`asks_cause`), is opened by a sentence of the
best one's article that says what did, as the news writes it (「…が原因とみられる」, 「…見込みとなったため、3日間延期
されていました」), in place of one that says the cause is being looked into (`cause_lead`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..scoring import Scored
from .common import COUNTED, last_line, outside_quotes


def asks_cause(question: str) -> bool:
    """Whether a question asking for a reason asks what caused something, in so many words ("What caused the fire?",
    出火の原因は?) or by why ("Why did the temple burn down?"); a follow-up by its own words, the last line of the
    conversation query."""
    last = last_line(question)
    return bool(_ASKS_CAUSE.search(last) or _ASKS_WHY.search(last))


def cause_lead(searcher, question: str, groups: Sequence[Sequence[str]]) -> Callable[[Scored, Scored], int]:
    """A question asking what caused something is opened by a sentence that says what did, as the news writes it
    (「…が原因とみられる」, 「…原因について「…」と説明」, 「…から火が出た可能性もあるとみて調べています」), in place of one
    that says the cause is being looked into (「警察と消防が火が出た原因を詳しく調べています」 opened "What do
    investigators think caused the temple fire?": a probe's). A question asking why, without naming a cause, by the
    police's and the fire services' 原因 and とみて alone (`_SUSPECTED`): 「…が最大の要因となっている」 opened "Why can't
    China step up its military support for Russia?" in place of the sentence that says why (nine seen questions, for
    the first version). Not by any sentence with ため or ので, which stand in most sentences (docs/answers.md, "Rejected
    kinds"): by one whose reason (…ため、, …ので、, …ことから、) is for the doing an English why-question ends on
    ("Why was the launch postponed?": 「…風が強い見込みとなったため、3日間延期されていました」, an eleventh probe's; a
    particle after it is passed over: "burn down" asks of burn). A cause said likely (原因の可能性) gives none: the first
    rocket's 「…原因の可能性が高い」 opened "Why was the launch postponed?" and "What caused the launch to be
    postponed?", another event's cause, and 「原因の可能性は低い」 denies one (reviewers').

    The sentence must be of the best one's article, share a word with the question (or go on from a sentence that
    does), and hold what the question names wherever the best one holds it (its numbers of two digits or more, its
    Japanese proper nouns, the terms of its capitalised words), itself or in the two sentences of its passage before
    it (「H3ロケットは、…1号機では…失敗しました。…JAXAは、…過大な電流が流れたことが…」, an eleventh probe's); and not
    tell of another place's or time's cause, 「長野県内の北陸新幹線でも、架線に着いた氷が原因とみられる停電」, which opened
    "Why was the Toki 345 train stopped for six hours?" and "Why did the trains stop?" for the first version
    (reviewers'), unless it opens with the same incident's inquiry (「その後の調べでも、」)."""
    gives = _GIVES_CAUSE if _ASKS_CAUSE.search(last_line(question)) else _SUSPECTED
    analyzer = searcher.analyzer
    # "Why was the launch postponed?": the terms of its last word that tell a doing or a state (a verb, an adjective,
    # a noun of doing: 延期), after a reason marker in the sentence (「…風が強い見込みとなったため、3日間延期されて
    # いました」); only for English why-questions. Not a name ("…unhappy with Russia": ロシア after 「このため、」 led
    # four seen questions in a first version)
    why = _ASKS_WHY_EN.fullmatch(last_line(question).strip())
    verb = _doing_terms(searcher, why.group(1)) if why else set()
    # a doing's kanji, as a word of the same kanji tells it before its reason (「…増えたのは、…ためだ」: 増す, 増加 for
    # "rise"; the bridge keeps a few terms). Not after a reason marker, where a consequence follows: 下げる for
    # 下がる (「取水制限の強化を受けて、…水圧を下げる」 for "Why did the reservoir level drop?", a reviewer's)
    stems = {t[0] for t in verb if _KANJI_CHAR.match(t)}
    # where the last word tells no doing, the doing nearest the end, for a reason given in a cleft (「偽装を始めたのは、
    # …応えられなくなったためだという」 for "Why did the eel company start mislabeling Chinese eel as domestic?": start,
    # 始める; a twenty-third probe's, answered with the price). Not every doing the question names: "launch" is 開始
    # too, and 「作業を始めたのは、…」 answered "Why was the H3 launch halted on the morning?" (a review's)
    doings = _nearest_doing(searcher, why.group(0)) if why and not verb else set()
    asked_terms = {t for g in groups for t in g}

    def tells_the_doing(writers: str, by_kanji: bool = False) -> bool:  # a part of the writer's words (no quotes)
        return any(t.term in verb or (by_kanji and t.term[:1] in stems and _TELLS_A_DOING.intersection(t.pos[:3]))
                   for t in analyzer.tokens(writers) if t.term)

    named = [set(g) for g in groups if any(t.isdigit() and len(t) >= 2 for t in g)]
    named += [{t.term} for t in analyzer.tokens(question) if t.term and t.pos[1:2] == ("固有名詞",)]
    for word in _CAPITALISED.findall(question):
        named += [{t for g in searcher.term_groups(word) for t in g}]
    named = [n for n in named if n]

    terms: dict[str, frozenset[str]] = {}  # each sentence's, read once (the best one's is asked for every other)

    def terms_of(text: str) -> frozenset[str]:
        if text not in terms:
            terms[text] = frozenset(analyzer.terms(text))
        return terms[text]

    def gives_cause(c: Scored, best: Scored) -> int:
        passage, first = c.hit.passage, best.hit.passage
        if c is not best:
            if (passage.doc_id, passage.article) != (first.doc_id, first.article):
                return 0
            if c.lexical <= 0 and not any(set(g) & terms_of(_leading_up_to(passage.text, c.text, 1)) for g in groups):
                return 0  # no word of the question, nor in the sentence it goes on from
            held, there = terms_of(c.text), terms_of(best.text)
            if any(n & there and not n & held for n in named):
                held = held | terms_of(_leading_up_to(passage.text, c.text))
                if any(n & there and not n & held for n in named):
                    return 0
        found = gives.search(c.text)
        if (gives is _SUSPECTED and found and _SPEAKERS_REASON.match(found.group())
                and not _reason_of_the_asked(
                    analyzer, c.text, found.start(), found.end(), asked_terms)):
            found = None
        if not found and (verb or doings) and not _ANOTHER_INSTANCE.match(c.text):
            # the writer's reason, outside quotation marks (not a shopper's 「…上がっているので、…ありがたい」, nor
            # 「事件を受けて、…市長…「…逮捕される事態と…」」: a reviewer's)
            writers = outside_quotes(c.text)
            if (verb and (marker := _REASON_MARKER.search(writers)) is not None
                    and tells_the_doing(writers[marker.end():])):
                return COUNTED
            # the doing, のは, and its reason: 「観光客が大幅に増えたのは、…紹介される機会が増えたためだということです」
            if (cleft := _REASON_CLEFT.search(writers)) is not None and (
                    tells_the_doing(writers[:cleft.start()], True)
                    or any(t.term in doings for t in analyzer.tokens(writers[:cleft.start()]) if t.term)):
                return COUNTED
        if not found and _BECAUSE.search(outside_quotes(c.text).strip()) and not c.text.startswith("「") and (
                c is best or _leading_up_to(passage.text, c.text, 1).strip() == best.text.strip()):
            # 「…適用の先送りを求めたためだという。」 right after the best one, or the best one itself: its reason (of
            # no other sentence's fact: another's delay led "Why did the council raise the wage by more than the
            # guideline?", a reviewer's)
            return COUNTED
        if not found or _ANOTHER_INSTANCE.match(c.text):
            return 0
        return COUNTED if found.group().startswith("とみて") or not _CAUSE_UNKNOWN.search(c.text) else 0
    return gives_cause


def _doing_terms(searcher, word: str) -> set[str]:
    """The search's terms for an English word that tell a doing or a state (a verb, an adjective, a noun of doing)."""
    return {t for g in searcher.term_groups(word) for t in g
            if not t.isascii() and _TELLS_A_DOING.intersection(searcher.analyzer.tags(t)[:3])}


def _nearest_doing(searcher, asked: str) -> set[str]:
    """The terms of the English why-question's word nearest its end whose terms tell a doing (`_doing_terms`): "start"
    in "…start mislabeling Chinese eel as domestic?"."""
    for word in reversed(re.findall(r"[A-Za-z][A-Za-z'\-]+", asked)[1:]):  # not "why"
        if found := _doing_terms(searcher, word):
            return found
    return set()


def _reason_of_the_asked(analyzer, text: str, start: int, end: int, asked: set[str]) -> bool:
    """Whether a speaker's reason (理由について、…「…」) is of what the question asks about, and given: the words before の理由
    share a term with the question, point back (その理由), or are one noun the rest of the sentence ties to the
    question; and the quote does not hold the reason back (「答えられない」, 「調査中だ」). A review found 「開発費が増えた理由について、…」 and
    「停止の理由について、JAXAは「調査中だ」と話した」 opening "Why was the H3 launch halted?"."""
    before = re.split(r"[、。「」]", text[:start])[-1].removesuffix("の")
    quote = text[end:].split("」", 1)[0]
    if _HELD_BACK.search(quote):
        return False
    if before in _POINTS_BACK or not asked.isdisjoint(analyzer.terms(before)):
        return True
    # or one noun, of a thing the rest of the sentence ties to the question: 「休止の理由について、病院は「…」」 for "Why
    # is the hospital suspending deliveries?" (休止, which the bridge's 中止, 停止 miss; 病院)
    tokens = analyzer.tokens(before)
    return (len(tokens) == 1 and tokens[0].pos[0] == "名詞"
            and not asked.isdisjoint(analyzer.terms(text[start:])))


_POINTS_BACK = frozenset({"", "その", "この"})
_SPEAKERS_REASON = re.compile(r"(?:理由|動機)(?:について|に関して)")  # `_SUSPECTED`'s branch `_reason_of_the_asked` reads
# a speaker who gives no reason: 答えられない, 調査中, 明らかにしていない, わからない, コメントを控える
_HELD_BACK = re.compile(r"答えられ|答え(?:を)?控え|調査中|調べている|確認中|明らかにし(?:てい)?ない|明らかにしなかった|"
                        r"(?:わか|分か)らない|不明|控え(?:る|たい)|コメントし(?:ない|なかった)")


def _leading_up_to(text: str, sentence: str, sentences: int = 2) -> str:
    """The sentences of a passage just before one of its sentences (up to `sentences`; none if it opens the passage):
    what a sentence that does not name its subject goes on from (「H3ロケットは、…1号機では…失敗しました。…JAXAは、
    …過大な電流が流れたことが…」)."""
    at = text.find(sentence)
    if at <= 0:
        return ""
    before = [part for part in re.split(r"(?<=[。！？!?])|\n+", text[:at]) if part.strip()]
    return "".join(before[-sentences:])


# a capitalised English word after a question's first ("Why was the Toki 345 train stopped?": Toki)
_CAPITALISED = re.compile(r"(?<=[\w,;:] )[A-Z][A-Za-z\-]+")
_ASKS_CAUSE = re.compile(r"\b(?:causes?|caused)\b|原因|要因", re.IGNORECASE)
_ASKS_WHY = re.compile(r"\bwhy\b|なぜ|どうして", re.IGNORECASE)
# an English why-question and its last word ("Why was the H3 launch postponed?": postponed), a particle after it
# passed over ("Why did the temple burn down?": burn, a reviewer's)
_PARTICLE = r"(?:down|up|out|off|away|back|over|in|on|apart|through)"
# how much, after the doing: "Why did the number of tourists rise so sharply?" (rise, a twelfth probe's); an
# adverb of -ly after "so", "as", "too" or from a list, not a verb ("rally", "fly", "apply": a reviewer's); not "so
# high", which is the state asked about ("Why are prices so high?")
_HOW_MUCH = (r"(?:(?:so|as|too|this|that)\s+(?:much|many|fast|far|quickly|\w+ly)|much|sharply|rapidly|quickly|slowly|"
             r"suddenly|dramatically|significantly|steeply|greatly|badly|fast)")
# and when, after it ("…rise so sharply last year?", "…in 2024?", a reviewer's)
_WHEN = (r"(?:(?:last|this|next)\s+(?:year|month|week|season|night|time)|in\s+\d{4}|yesterday|today|recently|again|"
         r"(?:in|on|during)\s+(?:january|february|march|april|may|june|july|august|september|october|november|"
         r"december|\d{4}))")
_ASKS_WHY_EN = re.compile(r"(?i:why)\b.*\b(?<!last )(?<!this )(?<!next )(?!" + _PARTICLE + r"\b|" + _HOW_MUCH + r"\b|"
                          + _WHEN + r"\b)([a-z]{3,})"
                          r"(?:\s+" + _PARTICLE + r")?(?:\s+" + _HOW_MUCH + r")?(?:\s+" + _WHEN + r")?\s*[?.!]*")
# what gives a reason for what follows it in the sentence: 「…見込みとなったため、」, 「…ことから、」, 「…を受けて、」
# (not このため, "so", nor これを受けて; ため after a past, an adjective, の or a state's る (している, される, である,
# 異なる: a reviewer's) gives a reason, after an action's a purpose: 「…に対応するため、…増やす方針」 answered "Why did
# the number of visitors increase?" in a first version, and 「安全を守るため、」 is no reason, a third reviewer's; nor
# もので, "a thing that": 「橋は県が建設を進めてきたもので、…」, a reviewer's)
_REASON_MARKER = re.compile(r"(?<!この)(?<!その)(?:(?:(?<=[たいのだ])|(?<=[いれあな]る))ため|(?<!も)ので|ことから|"
                            r"(?<!これ)(?<!それ)を受けて|影響で)、")
_TELLS_A_DOING = frozenset({"動詞", "形容詞", "サ変可能", "形状詞可能"})
_KANJI_CHAR = re.compile(r"[\u4e00-\u9fff]")
# (ため and から after a past, an adjective, の or a state's る, as `_REASON_MARKER`'s: not 「…のは、去年からです」)
_REASON_CLEFT = re.compile(r"のは、?[^。]+?(?:(?:(?<=[たいだの])|(?<=[いれあな]る))ため|(?<=[たいだ])から|"
                           r"ことが(?:理由|原因|要因|背景))(?:だ|です|で|と)")
# a sentence opening with another place or time, "too": 「長野県内の北陸新幹線でも、…」, 「去年も、…」
# (not the same incident's inquiry or statement: 「その後の調べでも、」, 「会見でも、」, a reviewer's)
_ANOTHER_INSTANCE = re.compile(r"(?!それでも|なかでも|中でも)(?![^。、「」]{0,30}?(?:調べ|調査|捜査|会見|取材|発表|説明))"
                               r"[^。、「」]{1,30}?(?:でも|にも)、|"
                               r"(?:去年|昨年|前年|前回|先月|先週|過去)(?:に)?も、")
# a sentence that ends by giving its reason, the reason of what the sentence before it says: 「適用日は、例年より4日遅く
# なった。使用者側が、…適用の先送りを求めたためだという。」 ("Why is the effective date later than usual?" opened with the
# first alone, a twentieth probe's); ため and から as `_REASON_MARKER`'s and `_REASON_CLEFT`'s (not an action's
# purpose, 「…守るためだ」; not 「…去年からだ」). A purpose after a state (「…安全確保のためだという」) is a why's answer too
_BECAUSE = re.compile(r"(?:(?:(?<=[たいのだ])|(?<=[いれあな]る))ため(?:だ|です|でした|だった|と(?:みられる|見られる|"
                      r"され(?:る|ている)))|(?<=[たい])から(?:だ|です))(?:という|ということ(?:です|だ)|とみられる|"
                      r"とされる|としている|と(?:説明|話)している)?[。」）)]*$")
# a cause given: 原因 or 要因 said to be something (…が原因とみられる, …ことが原因とみています, 原因は…), a speaker's
# words on the cause or the reason (原因について「…」, 7時間以上かかった理由について「…」: as strong, so that the one
# asked about leads), or what the police and fire services suspect (…とみて調べています); not 原因を調べています,
# 原因はわかっていません, 原因は不明
# (…原因とみています, 考えています, 原因とみて、…調べています: the view of who says it; not みていません, 考えていた,
# みていますか, 原因とみているとは言えない, nor a clause before a noun or a but: 原因とみている人も, 専門家も,
# 原因と考えているが、, reviewers')
_HELD = r"(?:み|見|考え)(?:ています(?!か)|ており|ている(?=[。」]|と(?!は)))"
_HOLDS_VIEW = r"(?:" + _HELD + r"|(?:み|見)て、)"
# a finding that says what caused something, and one that says what came of it
_CAUSE_CUE = (r"(?:から(?:火|煙|火花|水|ガス|油)が|出火|火元|ため|により|によって|が原因|故障|破損|劣化|不具合|漏れ|"
              r"誤り|ミス|過失|ショート|腐食|亀裂)")
_OUTCOME = r"(?:けが|負傷|死亡|死者|容疑|逮捕|消し止め|及ん|影響|救助|無事)"
# the reason said: 「会社によると、廃止の理由は船員不足と赤字だ」 ("Why is the ferry route being scrapped?" opened with the
# closure's announcement, a probe's); not a reason kept back or sought (理由は明らかにしていない, 理由は分かっていない)
_REASON_IS = (r"理由は(?!、?(?:わか|分か|不明|明らか|明か|はっきり|判明|明確|まだ|調査|調べ|特定|定か|言及|公表|非公表|"
              r"非公開|確認|捜査|説明|いまだ|今のところ|現時点|現在(?!の)|よく|依然|何(?!より)|なに|ない|なく|"
              r"見当たら|伏せ|不透明|どこ|どう|今後))"
              # and not a reason denied or asked for at its clause's end: 「…理由は示されていない」, 「…理由は伏せている
              # ということです」, 「…理由はどこにあるのか？」; a later clause's denial is its own (「理由は…赤字で、再開の見
              # 通しは立っていない」: a second reviewer's)
              r"(?!(?:(?!(?:(?<!中)で|が)、)[^。])*?(?:ない|なかった|ません|ませんでした|ず|か|伏せている|伏せた)"
              r"(?:ということ(?:です|だ)|という|としている|とした)?[。」？?]*$)")
_GIVES_CAUSE = re.compile(r"(?:原因|要因)(?:と(?:みられ|見られ|され|なっ|なり|考えられ|推定|判明|" + _HOLDS_VIEW + r")|"
                          r"で(?!は)|だっ|だと)|(?:原因|要因|理由)に(?:つい|関し)て、?[^「。]{0,20}「"
                          r"|原因は(?!(?:わか|分か|不明|調査|まだ|明らか|特定))|とみて(?:調べ|捜査|詳しく)|" + _REASON_IS +
                          # what an investigation found, when it is a cause: 「JR東海の調べでは、…装置の一部から火花が
                          # 出て、…止まったことがわかった」; not an outcome, 「調べによると、けが人はいなかったことがわかっ
                          # た」, 「…3万戸に及んだことがわかった」 (a reviewer's)
                          r"|調べ(?:では|によると|で)、(?=[^。]*" + _CAUSE_CUE + r")(?![^。]*" + _OUTCOME + r")"
                          r"[^。「]{0,90}(?:ことが|と)(?:(?:わか|分か)(?:った|りました)|判明(?:した|しました))")
# a why-question's: what the police and fire services say, and words on the cause in quotes; a view held, not 「…が
# 原因とみて、…」, which told how a fire started to "Why did the fire spread so quickly?" (a third reviewer's)
_SUSPECTED = re.compile(r"原因(?:と(?:みられ|見られ|推定|判明|" + _HELD + r")|について、?[^「。]{0,20}「)|"
                        # the reason or motive in a speaker's words: 「休止の理由について、病院は「…」と説明している」,
                        # 「不正の動機について、林教授は「…」と説明した」 (a twenty-third probe's)
                        r"(?:理由|動機)(?:について|に関して)、?[^「。]{0,20}「|"
                        r"とみて(?:調べ|捜査|詳しく)|" + _REASON_IS)
# the cause still sought: 原因を詳しく調べています, 原因は現在調べています, 原因は今のところ分かっていない (a reviewer's),
# not a cause held while the rest is looked into (「…が原因とみて、詳しいいきさつを調べています」);
# not わかった, found: 「…が原因とみられることがわかった」
_CAUSE_UNKNOWN = re.compile(r"原因(?!と(?:み|見|考え)て)(?:を|は|について)?[^。「]{0,15}(?:調べ|調査|捜査|究明|(?:わか|分か)(?:ら|ってい(?:な|ま))|不明|"
                            r"特定)")
