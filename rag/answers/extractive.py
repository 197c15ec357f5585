"""Extractive answers: the retrieved sentences that best answer the question, each followed by its [n] citation."""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..corpus.articles import source_marker
from ..corpus.lines import has_cjk
from ..retrieval.conversation import surname_of
from ..retrieval.cues import EN_COMPARING, EN_FUNCTION, EN_OVERVIEW, JA_COMPARING, JA_OVERVIEW, placed
from ..retrieval.rerank import answer_type
from ..retrieval.rerank.answer_type import Kind
from ..stores.bridge import name_terms
from ..stores.english import acronyms, english_words
from ..stores.japanese import STOP_WORDS
from ..stores.romaji import folded, reads_as_japanese, romanized
from ..types import Citation, Hit
from .markers import note_line, without_markers
from .scoring import Scored, Weights, score_sentences

logger = logging.getLogger(__name__)

MAX_CHARS = 400
# A sentence of another article than the first passage's and the best sentence's must match the question's words at
# least half as well as the best one: 68 of the probes' 389 single answers quoted an article the question is not
# about (「トヨタ自動車の部品を生産する鹿児島県内の2工場も…」 in an answer on a chip plant; a byline), 48 now, and
# no single question of the lab sets lost or gained its evidence. docs/answers.md, "Another article's sentences".
ELSEWHERE_LEXICAL = 0.5
# Sentences come from the top passages only: the evidence is there when retrieval found it at all.
MAX_PASSAGES = 5
MIN_SENTENCES = 2
MAX_SENTENCES = 4
# Past the first MIN_SENTENCES, a sentence must be nearly as good as the best to be worth the reader's time
# (e5 cosines crowd into 0.6-0.9; 0.06 and 0.1 cut answers that held the evidence in a third or fourth sentence, see
# docs/answers.md).
CUTOFF = 0.2
# A sentence this far under the best is not picked even to make up MIN_SENTENCES: half of the penalty of a line that
# answers nothing (a source's English title, "“Big Brother” Xi Meets Putin", came second once another article's
# sentences had to match the question's words: ELSEWHERE_LEXICAL)
NOT_AN_ANSWER_GAP = 0.5
MIN_CHARS = 8
# Shorter than this, or without a sentence end, a picked sentence is a fragment (a heading, a cut piece).
FRAGMENT_CHARS = 20
DUPLICATE_JACCARD = 0.6
# A list item: a line that opens with a bullet as the articles' summaries and breakdowns write them (・, ➢, ⇨); not ■
# or ▶, which open headings and link lines, nor •, which opens the sites' menus and rankings.
LIST_ITEM = re.compile(r"\s*[・➢⇨]\s*\S")
# A picked sentence that a list follows in its passage brings at most this many of its items (docs/answers.md, "The list
# a sentence announces"): 「…に反対する勢力が存在するとされる。」 says who only in the item after it.
LIST_ITEMS = 2
# A sentence that says how many reasons (causes, points…) there are (「無償化を決めた理由は主に二つある。」, 「経産省は三つ
# の要因を挙げた。」) brings the sentences after it that count them out (「一つは、…」, 「第一に、…」), up to this many: a
# probe's "why" answers stopped at 「理由は主に二つある。」
COUNTED_ITEMS = 3
_NUMBERS = "二三四五2-5２-５"
_WHAT_COUNTS = r"(?:理由|要因|原因|背景|狙い|目的|ポイント|論点|問題点|課題|柱|条件|特徴|点)"
COUNTS_OUT = re.compile(rf"{_WHAT_COUNTS}(?:は|が)(?:主に|大きく)?[{_NUMBERS}]つ|[{_NUMBERS}]つの{_WHAT_COUNTS}")
COUNTED_ITEM = re.compile(r"\s*(?:[一二三四五1-5１-５]つ目?は|第[一二三四五1-5１-５]に|もう一つ(?:は|の)|最後に)")

# The kinds of detail an answer opens with when a picked sentence gives one (docs/answers.md, "The detail asked for,
# first"); not a reason or a person: ため, ので and other people's names stand in too many sentences that do not answer
LEADING_KINDS = frozenset({"date", "number", "place"})

# A question about what someone said ("What did Merz say about the agreement?", メルツ首相は何と述べたか) is answered by
# their words: a picked sentence that quotes (「…」) and names whose words they are opens the answer when the best one
# does not (`quote_lead`; docs/answers.md, "The words asked for, first"). The best one was often
# the sentence that announces them: 「メルツ首相は声明を出し、協定を歓迎した。」
_SAYS_EN = re.compile(r"\b(?:say|says|said|saying|tell(?!\s+(?:me|us)\b)|tells|told|warn|warns|warned|write|writes|"
                      r"wrote|comment|commented|claim|claims|claimed|argue|argues|argued|stress|stressed|respond|"
                      r"responded|react|reacted)\b", re.IGNORECASE)
_SAYS_JA = re.compile(r"(?:何と|なんと)(?:述べ|言|い|語|話|強調|発言|主張|報じ|評|呼びかけ|説明|答え|書|訴え|警告)|"
                      r"(?:どう|どのように)(?:述べ|言っ|言う|言わ|言い|語|話|強調|発言|主張|報じ|評|呼びかけ|説明|答え|書|"
                      r"訴え|警告)")
_QUOTE = re.compile(r"「[^」]{4,}")  # a quotation (some close it with ” instead)
# a what-said question whose speaker is a personal pronoun alone: "What did he say?", "And what did she tell them?",
# 「彼は何と述べた？」
# (not "they", often a company or an authority: "What did they say?" after "Which airline cancelled flights?" opened
# with a passenger's words, a reviewer's)
_BY_PRONOUN = re.compile(r"^\W*(?:(?:and|so|then|ok|okay)\W+)*what\s+(?:else\s+)?(?:did|does|has|had|would|will)\s+"
                         r"(?:he|she)\b|^\W*(?:それで|では|じゃあ)?、?(?:彼|彼女)(?:は|が)(?!ら)", re.IGNORECASE)
_QUOTED_SPANS = re.compile(r"「[^」]*(?:」|$)")  # the quotations of a sentence, an unclosed last one to its end
_KANJI_NAME = re.compile(r"[\u4e00-\u9fff]{2,}")

NO_PASSAGE = {
    "en": "No relevant passage found in the indexed articles.",
    "ja": "関連する記事の文章が見つかりませんでした。",
}


@dataclass(frozen=True, slots=True)
class Selection:
    """How many sentences an answer takes, and from how many passages."""

    passages: int = MAX_PASSAGES
    min_sentences: int = MIN_SENTENCES
    max_sentences: int = MAX_SENTENCES
    max_chars: int = MAX_CHARS
    cutoff: float = CUTOFF
    per_passage: int | None = None  # at most this many sentences from one passage (None: no cap)
    # the best-scored sentence first, then the others in reading order; False: all in reading order (docs/answers.md,
    # "The best sentence first")
    best_first: bool = True
    list_items: int = LIST_ITEMS  # the items of a list right after a picked sentence that come with it (0: none)
    # a sentence of another document than the first passage's and the best one's is picked only when it matches the
    # question's words, at least this share of the best one's lexical score (0: any sentence within the cutoff)
    elsewhere_lexical: float = ELSEWHERE_LEXICAL


DEFAULT_WEIGHTS = Weights()
DEFAULT_SELECTION = Selection()
# A follow-up's answer takes another article's sentences as before: the answer before's document is the one it is
# about, whatever the first passage's ("and the sumo tournament…?" after a bank merger lost its evidence to the rule:
# docs/answers.md, "Another article's sentences")
FOLLOW_UP_SELECTION = Selection(elsewhere_lexical=0)


def no_passage_message(lang: str) -> str:
    """The answer text used when retrieval returned nothing."""
    return NO_PASSAGE.get(lang, NO_PASSAGE["en"])


def select(candidates: Sequence[Scored], sel: Selection = DEFAULT_SELECTION, neighbour: bool = False,
           lead: Callable[[Scored, Scored], int] | None = None, read: str = "",
           stale: Callable[[Scored], bool] | None = None, reasons: bool = False) -> list[Scored]:
    """The best distinct sentences within the budget: the best first (`sel.best_first`), then the others in reading
    order (passage rank, position); a picked fragment brings the sentence after it when `neighbour` is set, and a
    picked sentence the first items of the list right after it (`sel.list_items`). `lead`: how strongly a sentence
    may open the answer in the best one's place (`detail_lead`: 0 not, 1, 2 more; a bool is 0 or 1); the best picked
    one of the strongest claim comes first. `read`: the sentence the reader has just read (the answer before's first,
    for a follow-up), which does not come first when it is `stale` and another picked one of the same claim can."""
    ranked = sorted(candidates, key=lambda c: (-c.score, c.rank, c.position))
    substantial = [c for c in ranked if len(c.text) >= MIN_CHARS and not note_line(c.text)]
    ranked = substantial or ranked  # a passage of nothing but fragments still deserves an answer
    following = {(c.rank, c.index): c for c in candidates}
    # each sentence by where it stands in its document: a passage that ends with a sentence overlaps the next, which
    # opens with it (the chunker's overlap), so what follows it is read there
    standing: dict[tuple[str, int], list[Scored]] = {}
    for c in candidates:
        standing.setdefault((c.hit.passage.doc_id, c.hit.passage.start + c.position), []).append(c)

    def after(c: Scored, k: int) -> Scored | None:
        """The k-th sentence after `c`, in its passage or in a found one that holds `c` too."""
        for same in standing.get((c.hit.passage.doc_id, c.hit.passage.start + c.position), [c]):
            if (nxt := following.get((same.rank, same.index + k))) is not None:
                return nxt
        return None
    brings = getattr(lead, "brings", None)  # a quotation the sentence before it attributes (`quote_lead`)
    picked: list[Scored] = []
    items: dict[int, list[Scored]] = {}  # the list items a picked sentence brought, by its place in `picked`
    total = scored = 0  # scored: the sentences picked for their own score (a list's items are not)
    own: list[int] = []  # their places in `picked`, best first

    # the first passage's document, and the best sentence's: another's sentence must match the question's words
    home = min(candidates, key=lambda c: c.rank).hit.passage.doc_id if candidates else None

    def welcome(c: Scored) -> bool:  # whatever the budget
        if (picked and sel.elsewhere_lexical and c.hit.passage.doc_id not in (home, picked[0].hit.passage.doc_id)
                and not (c.lexical > 0 and c.lexical >= sel.elsewhere_lexical * picked[0].lexical)):
            return False
        return (not any(near_duplicate(c.text, p.text) for p in picked)
                and (sel.per_passage is None or sum(p.rank == c.rank for p in picked) < sel.per_passage))

    def fits(c: Scored) -> bool:
        return (len(picked) < sel.max_sentences and (not picked or total + len(c.text) <= sel.max_chars)
                and welcome(c))

    def drop(victim: Scored) -> None:  # a sentence picked for its own score, with the items it brought
        nonlocal total, items
        at = next(i for i, p in enumerate(picked) if p is victim)
        gone = {id(victim)} | {id(i) for i in items.get(at, ())}
        keep = [i for i, p in enumerate(picked) if id(p) not in gone]
        total -= sum(len(p.text) for p in picked if id(p) in gone)
        moved = {old: new for new, old in enumerate(keep)}
        picked[:] = [picked[i] for i in keep]
        own[:] = [moved[i] for i in own if i in moved]
        items = {moved[k]: v for k, v in items.items() if k in moved}

    for c in ranked:
        if len(picked) >= sel.max_sentences:
            break
        if scored >= sel.min_sentences and c.score < picked[0].score - sel.cutoff:
            break
        if picked and c.score < picked[0].score - NOT_AN_ANSWER_GAP:
            break  # nor to make up the minimum: a heading or a source's English title (scoring.NOT_AN_ANSWER_PENALTY)
        if not fits(c):
            continue
        picked.append(c)
        own.append(len(picked) - 1)
        total += len(c.text)
        scored += 1
        nxt = following.get((c.rank, c.index + 1))
        quoted = after(c, 1) if brings is not None else None
        if neighbour and fragment(c.text) and nxt is not None and nxt not in picked and fits(nxt):
            picked.append(nxt)
            total += len(nxt.text)
        elif (quoted is not None and quoted not in picked and brings(quoted) and fits(quoted)
              and not (read and _same_sentence(c.text, read))):  # a follow-up read them after it (a reviewer's)
            # the speaker asked about named, and their words in the sentence after, which does not name them: read
            # together (`quote_lead`), as a list's items are
            items.setdefault(len(picked) - 1, []).append(quoted)
            picked.append(quoted)
            total += len(quoted.text)
        elif sel.list_items and (announces(c) or (reasons and COUNTS_OUT.search(c.text))):
            brought = items.setdefault(len(picked) - 1, [])
            first_item = after(c, 1)
            listed = not (reasons and COUNTS_OUT.search(c.text) and first_item is not None
                          and COUNTED_ITEM.match(first_item.text))
            item_of, limit = (LIST_ITEM, sel.list_items) if listed else (COUNTED_ITEM, COUNTED_ITEMS)
            for k in range(1, limit + 1):  # the sentence announces the list: its items say what it means
                item = following.get((c.rank, c.index + k)) if listed else after(c, k)
                if item is None or not item_of.match(item.text) or item in picked:
                    break
                others = [picked[i] for i in own[1:] if picked[i] is not c]
                room = (len(picked) - len(others) < sel.max_sentences
                        and total - sum(len(o.text) for o in others) + len(item.text) <= sel.max_chars)
                while not listed and room and not fits(item) and welcome(item) and others:
                    # the reasons it counts out outweigh the lowest-scored sentence picked after the best one, when
                    # dropping those makes room for it (a reviewer's: a quote was dropped for an item too long)
                    drop(min(others, key=lambda p: p.score))
                    others = [picked[i] for i in own[1:] if picked[i] is not c]
                if not fits(item):
                    break
                brought = items.setdefault(next(i for i, p in enumerate(picked) if p is c), [])
                picked.append(item)
                brought.append(item)
                total += len(item.text)
    ordered = sorted(picked, key=lambda c: (c.rank, c.position))
    if sel.best_first and picked:  # picked[0] scored best: a reader who stops after one sentence reads it
        # "When was that?": a reader who stops after one sentence is told the date, if a sentence that gives one
        # was picked (`lead`)
        # (a sentence whose claim is stronger first: the number in the counter asked for, `detail_lead`)
        claims = [(int(lead(picked[i], picked[0])), i) for i in own] if lead else []
        strongest = max((claim for claim, _ in claims), default=0)
        at = next(i for claim, i in claims if claim == strongest) if strongest else 0
        if read and stale is not None and _same_sentence(picked[at].text, read) and stale(picked[at]):
            # "Will they appeal?" after an answer that opened with the judge's rebuttal opened with it again (a probe's)
            claim_of = {i: claim for claim, i in claims}
            others = [i for i in own if not _same_sentence(picked[i].text, read)]
            if getattr(stale, "past", False):
                # "What did he say next?": the reader asks past it, whatever the others claim (the quote lead claims
                # the sentence read, which names him, and not 「その上で「…」と述べた」, which does not)
                at = max(others, key=lambda i: claim_of.get(i, 0), default=at)
            else:
                at = next((i for i in others if claim_of.get(i, 0) == strongest), at)
        first = [picked[at], *items.get(at, ())]  # with the items it brought, which read as its own
        if lead is not None:
            # the number in the counter asked for (「延べ1,284人」 for 被害者は何人?), or the words of the speaker asked
            # about (`quote_lead`), in a sentence scored under the cutoff:
            # it leads in place of the picked one that gives none (a probe's: the trial's opening sentence came first),
            # if it is of the best one's document and not the sentence just read (a reviewer's: a follow-up on another
            # article opened with the museum's 約3,400人 the answer before had given)
            # (and one that claims more than any picked, the number in that counter of the person asked about,
            # `detail_lead`: a reviewer's, the other pitcher's picked 「133球」 led over his 「148球」)
            best = picked[0].hit.passage.doc_id
            floor = max(COUNTED, strongest + 1)
            claimed = [(int(lead(c, picked[0])), c) for c in ranked if not any(c is p for p in picked)
                       and not note_line(c.text) and c.hit.passage.doc_id == best
                       and not (read and _same_sentence(c.text, read))]
            most = max((claim for claim, _ in claimed), default=0)
            counted = next((c for claim, c in claimed if claim == most), None) if most >= floor else None
            if counted is not None:
                first = [counted]
                # within the budget, the lowest-scored others giving way (a reviewer's: the last in reading order
                # could be the best one), with the list items they brought
                while len(ordered) + 1 > sel.max_sentences or (
                        sum(len(c.text) for c in ordered) + len(counted.text) > sel.max_chars and len(ordered) > 1):
                    drop = min((c for c in ordered if c is not picked[0]), key=lambda c: c.score, default=None)
                    if drop is None:
                        break
                    gone = {id(drop)} | {id(i) for k, brought in items.items() if picked[k] is drop for i in brought}
                    ordered = [c for c in ordered if id(c) not in gone]
        ordered = [*first, *(c for c in ordered if not any(c is f for f in first))]
    # the items a sentence brought follow it, from whichever passage they were read (a reviewer's: 「一つは…」 of a
    # passage ranked above came before 「…理由は主に二つある。」)
    for k, brought in items.items():
        if brought and k < len(picked):
            ordered = [c for c in ordered if not any(c is b for b in brought)]
            at = next((i for i, c in enumerate(ordered) if c is picked[k]), None)
            if at is not None:
                ordered[at + 1:at + 1] = brought
    return ordered


def _same_sentence(text: str, read: str) -> bool:
    """Whether `text` is the sentence `read` (as a client sent it back: cut at its marker, its spaces maybe not
    kept), or near enough (`near_duplicate`, of about its length: a short `read`, 「18日深夜」, is no sentence that holds
    it; a reviewer's)."""
    a, b = re.sub(r"\s+", "", text), re.sub(r"\s+", "", read)
    if not a or not b:
        return False
    alike = near_duplicate(text, read) and min(len(a), len(b)) >= _SAME_SHARE * max(len(a), len(b))
    return a == b or alike or (len(b) > _SAME_PREFIX and (a.startswith(b) or b.startswith(a)))


_SAME_PREFIX = 20  # characters: a sentence sent back cut short (at a list's first item) is still the one read
_SAME_SHARE = 0.8  # a near duplicate of the sentence read is of about its length


COUNTED = 2  # `detail_lead`'s claim of a sentence giving a number in the counter asked for
QUOTED = 1  # `quote_lead`'s claim of a sentence quoting the speaker asked about
# ... and of one quoting a speaker the bridge writes only as a word (森), known by Sudachi's reading: as strong as the
# number asked for, so that it leads though it scored under the cutoff (a probe's: "What did Kenta Mori say?" was
# answered with his injury, his 「ゴーッという…」 left out: the question's 森 had counted for nothing). For any other
# speaker, claim 2 pulled an apology over the cause asked about ("What did Takashi Yamamoto say about the cause…?")
READ_QUOTED = COUNTED


def announces(c: Scored) -> bool:
    """Whether `c` can announce a list: a whole line ended as a sentence (。), not itself an item, and not the
    explanation under an item (in 「・シナリオ1 / その説明。 / ・シナリオ2」 the explanation does not announce the next
    scenario)."""
    text = c.hit.passage.text
    before = text[: c.position]
    line_start = before.rfind("\n") + 1
    if LIST_ITEM.match(c.text) or not c.text.rstrip().endswith("。") or before[line_start:].strip():
        return False
    after = text[c.position + len(c.text):]
    if after.split("\n", 1)[0].strip():  # more of the line follows: the sentence does not end it
        return False
    lines = [line for line in before[:line_start].splitlines() if line.strip()]
    return not (lines and LIST_ITEM.match(lines[-1]))


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

    names_person = _names_person(searcher, question, groups) if counters else None

    # a question that asks about another time itself ("last year", 2019年, 前回) is not told another time's number
    other_times = bool(_OTHER_TIME_ASKED.search(question)
                       or any(len(n) == 4 and n.isdigit() and 1900 <= int(n) <= 2100 for n in known_numbers))

    def claim(c: Scored) -> int:  # 2: a number in the counter asked for (7位 for 何位), 1: a token of the kind, 0: none
        found = searcher.analyzer.tokens(c.text)
        if counters and answer_type.counted(found, counters, known_numbers):
            if not other_times and _another_time(found, c.hit.citation.published):
                return 1  # 「2019年にも…約2300人分が流出」: an earlier event's count, some number (a probe's)
            return COUNTED + bool(names_person is not None and names_person(c.text))
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


# not 過去 nor 以前: 「過去にも例のない」, 「以前にも増して」 tell of this time (a reviewer's)
_EARLIER = frozenset({"去年", "昨年", "前年", "一昨年", "前回", "先月", "昨季", "先週"})
_THIS_TIME = frozenset({"今回", "今年", "ことし", "今月", "今季", "今大会", "今期", "今年度"})
_OTHER_TIME_ASKED = re.compile(r"\b(?:last|previous|previously|earlier|before|ago|prior|past)\b|去年|昨年|前年|前回|以前|過去",
                               re.IGNORECASE)


def asks_cause(question: str) -> bool:
    """Whether a question asking for a reason asks what caused something, in so many words ("What caused the fire?",
    出火の原因は?) or by why ("Why did the temple burn down?"); a follow-up by its own words, the last line of the
    conversation query."""
    last = _last_line(question)
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
    gives = _GIVES_CAUSE if _ASKS_CAUSE.search(_last_line(question)) else _SUSPECTED
    analyzer = searcher.analyzer
    # "Why was the launch postponed?": the terms of its last word that tell a doing or a state (a verb, an adjective,
    # a noun of doing: 延期), after a reason marker in the sentence (「…風が強い見込みとなったため、3日間延期されて
    # いました」); only for English why-questions. Not a name ("…unhappy with Russia": ロシア after 「このため、」 led
    # four seen questions in a first version)
    why = _ASKS_WHY_EN.fullmatch(_last_line(question).strip())
    verb = {t for g in searcher.term_groups(why.group(1)) for t in g
            if not t.isascii() and _TELLS_A_DOING.intersection(analyzer.tags(t)[:3])} if why else set()
    # a doing's kanji, as a word of the same kanji tells it before its reason (「…増えたのは、…ためだ」: 増す, 増加 for
    # "rise"; the bridge keeps a few terms). Not after a reason marker, where a consequence follows: 下げる for
    # 下がる (「取水制限の強化を受けて、…水圧を下げる」 for "Why did the reservoir level drop?", a reviewer's)
    stems = {t[0] for t in verb if _KANJI_CHAR.match(t)}

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
        if not found and verb and not _ANOTHER_INSTANCE.match(c.text):
            # the writer's reason, outside quotation marks (not a shopper's 「…上がっているので、…ありがたい」, nor
            # 「事件を受けて、…市長…「…逮捕される事態と…」」: a reviewer's)
            writers = _outside_quotes(c.text)
            if (marker := _REASON_MARKER.search(writers)) is not None and tells_the_doing(writers[marker.end():]):
                return COUNTED
            # the doing, のは, and its reason: 「観光客が大幅に増えたのは、…紹介される機会が増えたためだということです」
            if (cleft := _REASON_CLEFT.search(writers)) is not None and tells_the_doing(writers[:cleft.start()], True):
                return COUNTED
        if not found or _ANOTHER_INSTANCE.match(c.text):
            return 0
        return COUNTED if found.group().startswith("とみて") or not _CAUSE_UNKNOWN.search(c.text) else 0
    return gives_cause


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
# a cause given: 原因 or 要因 said to be something (…が原因とみられる, …ことが原因とみています, 原因は…), a speaker's
# words on the cause or the reason (原因について「…」, 7時間以上かかった理由について「…」: as strong, so that the one
# asked about leads), or what the police and fire services suspect (…とみて調べています); not 原因を調べています,
# 原因はわかっていません, 原因は不明
# (…原因とみています, 考えています, 原因とみて、…調べています: the view of who says it; not みていません, 考えていた,
# みていますか, 原因とみているとは言えない, nor a clause before a noun or a but: 原因とみている人も, 専門家も,
# 原因と考えているが、, reviewers')
_HELD = r"(?:み|見|考え)(?:ています(?!か)|ており|ている(?=[。」]|と(?!は)))"
_HOLDS_VIEW = r"(?:" + _HELD + r"|(?:み|見)て、)"
_GIVES_CAUSE = re.compile(r"(?:原因|要因)(?:と(?:みられ|見られ|され|なっ|なり|考えられ|推定|判明|" + _HOLDS_VIEW + r")|"
                          r"で(?!は)|だっ|だと)|(?:原因|要因|理由)に(?:つい|関し)て、?[^「。]{0,20}「"
                          r"|原因は(?!(?:わか|分か|不明|調査|まだ|明らか|特定))|とみて(?:調べ|捜査|詳しく)")
# a why-question's: what the police and fire services say, and words on the cause in quotes; a view held, not 「…が
# 原因とみて、…」, which told how a fire started to "Why did the fire spread so quickly?" (a third reviewer's)
_SUSPECTED = re.compile(r"原因(?:と(?:みられ|見られ|推定|判明|" + _HELD + r")|について、?[^「。]{0,20}「)|"
                        r"とみて(?:調べ|捜査|詳しく)")
# the cause still sought: 原因を詳しく調べています, 原因は現在調べています, 原因は今のところ分かっていない (a reviewer's),
# not a cause held while the rest is looked into (「…が原因とみて、詳しいいきさつを調べています」);
# not わかった, found: 「…が原因とみられることがわかった」
_CAUSE_UNKNOWN = re.compile(r"原因(?!と(?:み|見|考え)て)(?:を|は|について)?[^。「]{0,15}(?:調べ|調査|捜査|究明|(?:わか|分か)(?:ら|ってい(?:な|ま))|不明|"
                            r"特定)")


def asks_overview(question: str) -> bool:
    """Whether a question asks what happened rather than for a detail of it (`cues.EN_OVERVIEW`, `JA_OVERVIEW`); not
    a follow-up, searched with the conversation's words on lines before it ("その翌日には何があったの?" asks what
    came next, which the lead does not say)."""
    return "\n" not in question.strip() and bool(EN_OVERVIEW.search(question) or JA_OVERVIEW.search(question))


def overview_lead(searcher, question: str) -> Callable[[Scored, Scored], int]:
    """A question asking what happened ("Tell me about the tuna auction") is opened by the lead of the best one's
    article, when it was picked and the article's headline or lead names every word the question asks about (the
    cue's words left out; an English word by any of the search's terms for it): the lead sums the event, where a
    sentence that matched the question's words better told a detail, or another year's (「関越道の立ち往生について教えて」
    opened with 「関越道では2020年12月にも約2,100台が立ち往生しており…」: a probe's). 「鳥インフルエンザの感染経路に
    ついて教えて」 asks for what the lead does not name (a reviewer's)."""
    analyzer = searcher.analyzer
    topic = EN_OVERVIEW.sub(" ", question)
    # each word asked about, with what the search reads it by: an English word (not the cue's, nor one that only asks:
    # "Can you tell me…", "please") by its groups (the bridge's and the term alignment's); a Japanese noun of the
    # whole question (cut at the cue, 「関越道 ?」 was read as 関 + 越道: a reviewer's) by its term and as it is written
    asked = [{t for g in searcher.term_groups(w) for t in g} | {w} for w in dict.fromkeys(english_words(topic))
             if w not in STOP_WORDS and w not in EN_FUNCTION and w not in _FILLER and len(w) > 1]
    asked += [{t.term, t.surface} for t in analyzer.tokens(question) if t.term and t.pos[0] == "名詞"
              and not t.surface.isascii() and not answer_type.is_interrogative(t.term)]

    def names(word: set[str], terms: set[str], text: str) -> bool:
        # a term, or a Japanese word inside one or inside the text (競り in 初競り; マグロ, read 鮪, in クロマグロ)
        return any(t in terms or (not t.isascii() and (t in text or any(t in w for w in terms if len(t) >= 2)))
                   for t in word)

    def leads(c: Scored, best: Scored) -> int:
        passage, first = c.hit.passage, best.hit.passage
        if not c.lead or (passage.doc_id, passage.article) != (first.doc_id, first.article) or not asked:
            return 0
        text = f"{passage.title or ''}\n{c.text}"
        terms = set(analyzer.terms(text))
        return int(all(names(word, terms, text) for word in asked))
    return leads


_FILLER = frozenset({"please", "latest", "news", "know", "want", "like", "happened", "happening", "going"})


def compares(question: str) -> bool:
    """Whether a question compares two things (`cues.EN_COMPARING`, `JA_COMPARING`): its answer quotes each, though
    the sentences of one matched the question's words better (a reviewer's: 「鳥インフルエンザと大雪の被害を比べて」
    lost the snow article's sentences to `Selection.elsewhere_lexical`)."""
    return bool(EN_COMPARING.search(question) or JA_COMPARING.search(question))


def asks_what_was_said(question: str) -> bool:
    """Whether a question asks for someone's words ("What did Lavrov say…?", "How did he respond?", 何と述べたか)."""
    return bool(_SAYS_EN.search(question) or _SAYS_JA.search(question))


def quote_lead(searcher, question: str, groups: Sequence[Sequence[str]], within: str | None = None,
               person: str | None = None, *, pronoun_only: bool = False) -> Callable[[Scored, Scored], int]:
    """How strongly a sentence may open an answer to a question about what someone said, in the best one's place
    (QUOTED; READ_QUOTED, which a sentence scored under the cutoff may claim too, for a surname known by its reading;
    0 for none):
    a whole sentence of the best one's article (or of the document `within`) that quotes (「…」) and names whose words
    they are. An English question names them by its first run of capitalised words, as the bridge spells its last word
    in terms that write a name ("Makoto Onodera": 小野寺, not 誠一, a guess for the given name that another speaker
    bears; not Putin in "What did Xi say about Putin…?", whose words would be the wrong ones); a run the bridge cannot
    spell as a name (習 alone is none) tells nobody's words, and none leads. A Japanese question names them by its
    term groups whose every term writes a name (メルツ, not 首相; of a full name, the surname), each of which the
    sentence must hold. A question that
    names no one by name may name a role, whose holder the passages write (`_role_lead`). A follow-up that points to
    its speaker by a pronoun alone names the `person` the conversation resolved it to ("What did he say?" after "Who
    was the MVP?": 望月, whom the answer before named; the conversation's words named 静岡 first). The best one keeps
    its place when it quotes the speaker itself."""
    roles, named = _subject_role(searcher, question) if not pronoun_only else (frozenset(), None)
    if person and (roles or named):
        # "What did his coach say about him?": the coach's words, not his (a reviewer's), where the article writes
        # someone with that role; "What did the report say about him?": his, where it writes none (a second's)
        by_role = _role_lead(searcher, roles, named, within)
        by_person = quote_lead(searcher, question, groups, within, person, pronoun_only=True)
        held = getattr(by_role, "described", None)

        def either(c: Scored, best: Scored) -> int:  # the role's holder written in this passage or the best one's
            if held is not None and (held(c.hit.passage.text) or held(best.hit.passage.text)):
                return by_role(c, best)
            return by_person(c, best)
        return either
    english = _english_subject(question)
    if roles and english and not any(w[:1].isupper() for w in _RELATIVE.split(english)[0].split()):
        # "What did the foreign minister who visited Beijing say?", "…say about Xi?": the role is the speaker, not
        # the name after it ("the remarks of Lavrov" are his, a name of the subject's)
        return _role_lead(searcher, roles, named, within)
    runs = [] if person else _name_runs(question)
    names = ([set(searcher.analyzer.terms(surname_of(person, searcher.analyzer)))] if person
             else _person_terms(searcher, question, groups))
    if runs and not names:
        speakers = [run for run, is_placed in runs if not is_placed]
        given, surname = (speakers[0].split() + [""])[-3:-1] if speakers and len(speakers[0].split()) > 1 else ("", "")
        if surname and reads_as_japanese(surname) and reads_as_japanese(given):
            # a Japanese surname that is a word too ("Kenta Mori": 森, a forest), known by Sudachi's reading of a
            # person's name, 森さん (a probe's: his words, 「ゴーッという…」, were left for his injury)
            return _read_as_speaker(searcher, folded(surname), folded(given), within)
        if speakers:
            return lambda c, best: 0
    # "What did he say?", 「彼は何と述べた？」 whose person the conversation did not resolve (the answer before opened with
    # a headline naming two, or named nobody: "Who spoke for the ministry?"): someone's words, each sentence naming its
    # speaker, not the sentences around them (a ninth probe's: the campaign's issues and the headline came first)
    unresolved = (not person and not pronoun_only and not roles and not named
                  and bool(_BY_PRONOUN.search(_last_line(question))))

    def anyone(c: Scored) -> bool:
        return unresolved and bool(_QUOTE.search(c.text)) and _is_subject(
            searcher.analyzer.tokens(_outside_quotes(c.text)), lambda t: t.pos[2:3] == ("人名",))
    if not names and unresolved:
        return _speaker_lead(anyone, within, QUOTED, shares_a_word=False)
    if not names:
        return _role_lead(searcher, *(_subject_role(searcher, question) if pronoun_only else (roles, named)), within)

    def named(text: str) -> bool:
        return _names_all(searcher, names, text)

    def holds(c: Scored) -> bool:
        # without a name to hold, any quotation would do: none leads ("How did the US respond?"); the name outside
        # the quotation marks (a probe's: 「青木監督は「望月投手の気迫のある投球に…」」 led "What did he say?" about 望月).
        # An unresolved pronoun's: the earlier turns' names, or anyone's (砺波, a city Sudachi reads as a surname too)
        return (bool(names) and bool(_QUOTE.search(c.text)) and named(_outside_quotes(c.text))) or anyone(c)

    def follows(c: Scored) -> bool:
        # a quotation that opens its sentence right after one whose subject is the speaker, and that has no subject
        # of its own outside the quotation marks, is theirs: 「佐々木道子さん（66）は…体育館に移った。「紅葉の時期を
        # 前に…」と肩を落とした。」 (a probe's: "What did Michiko Sasaki say?" was answered without her words, which name
        # her nowhere). Not after 「町長は…佐々木道子さんらが身を寄せる体育館を訪れた。」, nor 「…」と職員は説明した
        # (a reviewer's). It does not lead: read after the sentence that names the speaker, it is theirs to the reader
        if not names or not c.text.lstrip().startswith("「") or not _QUOTE.search(c.text):
            return False
        before = c.hit.passage.text[: c.position].rstrip()
        if not before.endswith(("。", "」")):
            return False  # the passage cut the sentence before: whose it is cannot be read here
        previous = before[before.rfind("。", 0, len(before) - 1) + 1:]
        outside = searcher.analyzer.tokens(_QUOTED_SPANS.sub("", c.text))
        return (named(previous) and not _QUOTE.search(previous) and subject(previous)
                and not any(t.pos[:1] == ("助詞",) and t.surface in ("は", "が") for t in outside))

    def subject(text: str) -> bool:
        # the speaker is the sentence's subject (not 「町長は…佐々木道子さんらが身を寄せる体育館を訪れた」, a reviewer's)
        return _is_subject(searcher.analyzer.tokens(text),
                           lambda t: bool(t.term) and any(_writes(t.term, g) for g in names), first=True)

    leads = _speaker_lead(holds, within, QUOTED)
    leads.brings = follows  # type: ignore[attr-defined]  # select brings such a quotation after the sentence before it
    return leads


def _is_subject(tokens: Sequence, is_name: Callable[[object], bool], first: bool = False) -> bool:
    """Whether a sentence's tokens name a person (`is_name`) as a subject: the name, then its title (副署長), さん,
    age… and は, が or によると; when `first`, with no subject before it (the sentence is about them: `quote_lead`'s
    `follows`). Else with は after 「発表が遅れたことについて、」 too (a reviewer's), but with が only before anyone's
    は: 「望月投手(3年)は、石川監督が見守る中「…」」 are 望月's words (reviewers'), 「この日は、望月投手が…」 his number."""
    topic = False  # someone's は before: a が after it is a clause's
    for i, t in enumerate(tokens):
        if t.pos[:1] == ("助詞",) and t.surface in ("は", "が"):
            if first:
                return False
            # someone's は: after a name, 彼, 同投手, 主将の大石陸選手(3年); not after a particle (では) nor a time's
            # noun (この日は: a reviewer's), whose が after it may be the subject's
            before = tokens[i - 1] if i > 0 else None
            if (t.surface == "は" and before is not None and before.pos[:1] != ("助詞",)
                    and before.pos[2:3] != ("副詞可能",)):
                topic = True
        if not is_name(t):
            continue
        j = i + 1
        while (j < len(tokens) and tokens[j].pos[:1] in (("名詞",), ("接尾辞",), ("接頭辞",), ("補助記号",), ("空白",))
               and tokens[j].surface not in ("ら", "たち", "等", "など")):  # not a group's words
            j += 1
        if j < len(tokens) and tokens[j].pos[:1] == ("助詞",) and (
                tokens[j].surface == "は" or (tokens[j].surface == "が" and not topic)
                or (tokens[j].surface == "に" and j + 1 < len(tokens) and tokens[j + 1].surface.startswith("よ"))):
            return True
    return False


def _person_terms(searcher, question: str, groups: Sequence[Sequence[str]]) -> list[set[str]]:
    """The people `question` names, each as the terms that write them (`quote_lead`'s speakers): an English question's
    first run of capitalised words, as the bridge spells its last word in terms that write a name ("Makoto Onodera":
    小野寺, not 誠一, a guess for the given name that another speaker bears; [] for a run the bridge cannot spell as a
    name, 習 alone, or a name after "of", "in", "about"…, which says where or what of: "What did the governor of
    Miyazaki say?" opened with a minister's words on his visit to 宮崎県); a Japanese question's term groups whose
    every term writes a name (メルツ, not 首相), a full name by its surname."""
    runs = _name_runs(question)
    if runs:
        speakers = [run for run, is_placed in runs if not is_placed]
        bridge = searcher.bridge
        groups_of_run = bridge.expand(speakers[0]) if speakers and bridge is not None else []
        spelled = set(name_terms(groups_of_run[-1], searcher.analyzer.entries)) if groups_of_run else set()
        return [spelled] if spelled else []
    # a full name by its surname, not its given name (杉本和臣は何と述べたか: 「杉本知事は「…」と述べた」 names him), also
    # a surname that is a word too (林芳正: 林, "forest", which alone writes no name)
    surnames = _surnames(question, searcher.analyzer)
    names = [set(g) for g in groups if g and not any(t.isascii() for t in g)
             and len(name_terms(g, searcher.analyzer.entries)) == len(g) and not set(g) <= set(surnames)]
    return names + [{s} for s in dict.fromkeys(surnames.values()) if not any(s in g for g in names)]


def _names_person(searcher, question: str, groups: Sequence[Sequence[str]]) -> Callable[[str], bool] | None:
    """Whether a text has the person `question` names as its subject (`_is_subject`; not 「村松投手は望月投手を相手に…」
    for Mochizuki, a reviewer's): by the terms that write them (`_person_terms`), or, for an English question's
    surname in Japanese syllables that the bridge writes only as a word ("Mochizuki": 望月, a full moon), by a
    person's name (人名) that reads as it; None when the question names nobody so."""
    analyzer = searcher.analyzer
    if names := _person_terms(searcher, question, groups):
        return lambda text: _is_subject(analyzer.tokens(text),
                                        lambda t: bool(t.term) and any(_writes(t.term, g) for g in names))
    speakers = [run for run, is_placed in _name_runs(question) if not is_placed]
    surname = re.sub(r"['’]s$", "", speakers[0].split()[-1]) if speakers else ""
    if not (surname and reads_as_japanese(surname)):
        return None
    wanted = folded(surname)
    return lambda text: _is_subject(analyzer.tokens(text), lambda t: t.pos[2:3] == ("人名",) and any(
        folded(romanized(r)) == wanted for r in analyzer.readings(t.surface)))


def _names_all(searcher, names: Sequence[set[str]], text: str) -> bool:
    """Whether `text` writes each of `names` (`_person_terms`), by a term of the name or by a full name written as one
    term that begins with a surname of the name in kanji (山岸 in 山岸健一郎: `_writes`)."""
    terms = set(searcher.analyzer.terms(text))
    return all(any(_writes(t, name) for t in terms) for name in names)


def _writes(term: str, name: set[str]) -> bool:
    return term in name or any(term.startswith(t) for t in name if _KANJI_NAME.fullmatch(t))


def _last_line(question: str) -> str:
    """A follow-up's own words: the last line of the conversation query it was searched with."""
    return question.strip().splitlines()[-1] if question.strip() else ""


def _speaker_lead(holds: Callable[[Scored], bool], within: str | None, claim: int, shares_a_word: bool = True
                  ) -> Callable[[Scored, Scored], int]:
    """`claim` for a sentence that `holds` the speaker's words: the best one, or a whole one of its article (or of the
    document `within`) that shares a word with the question (unless not `shares_a_word`: 「矢野さんは「稲穂が…」」
    shares none with "What did the rice farmer say?"); 0 for any other."""
    def leads(c: Scored, best: Scored) -> int:
        if c is best:
            return claim * holds(c)
        passage, first = c.hit.passage, best.hit.passage
        about = (passage.doc_id == within if within is not None
                 else (passage.doc_id, passage.article) == (first.doc_id, first.article))
        return claim * (about and not fragment(c.text) and (c.lexical > 0 or not shares_a_word) and holds(c))
    return leads


def _outside_quotes(text: str) -> str:
    """`text` without its quotations, the innermost first; one it does not close is a quotation to its end (「…タス通信は、
    北京から「中心議題は…習主席と…」). A quotation that opens the sentence and closes at its end or nowhere is a blog's
    quoting of a report, which names the speaker outside the speaker's words (「トランプ氏は、…「私がそんなことを言った
    のか?…」と答えた。, 「米大統領は…「非常に良好な関係」を築いており、…と述べた。」): read as the report."""
    text = text.strip()
    if text.startswith("「"):
        depth, close = 0, None
        for i, ch in enumerate(text):
            depth += (ch == "「") - (ch == "」")
            if depth == 0:
                close = i
                break
        if close is None or not text[close + 1:].strip("。 "):
            text = text[1:close]
    while (bare := _INNERMOST.sub("", text)) != text:
        text = bare
    return text.split("「", 1)[0].replace("」", "")


_INNERMOST = re.compile(r"「[^「」]*」")


def _role_lead(searcher, roles: frozenset[str], person: str | None, within: str | None
               ) -> Callable[[Scored, Scored], int]:
    """`quote_lead` for a question that names its speaker by a role, not a name ("What did the rice farmer say?", "What
    did the mayor of Tono say?", 「監督は何と話したか」): `roles`, the head noun of its subject by the bridge's dictionaries or a
    Japanese subject's own word, or the `person` a Japanese subject names (`_subject_role`). A sentence leads, from
    under the cutoff too and whatever words it shares with the question, when it quotes and has for its subject, outside
    its quotation marks, a person its passage writes with that role: 「佐々木誠市長」, a name then the role (Sudachi reads 誠市 +
    長: the role is found in the text), or 「農家の矢野健一さん」, the role, の and a name; by their surname, as the article goes on
    to call them (「矢野さんは「稲穂が…」」: a probe's, answered with the sentence introducing him and not his words). Not the
    player whose words name the coach (「鈴木選手は「石川監督に…」」), nor anyone written beside a place or the question's object
    (「遠野市の佐藤さん」, 「中国の習近平国家主席」), a reviewer's. A Japanese subject that is a person's name Sudachi reads as one
    (「主将の大石選手は…」: 大石 is a word too) is that person."""
    analyzer = searcher.analyzer
    people: dict[str, frozenset[str]] = {}

    def described(text: str) -> frozenset[str]:  # the surnames a passage writes with the role, read once
        if text not in people:
            tokens = analyzer.tokens(text)
            starts, at = [], 0
            for t in tokens:  # each token's offset in the text
                found_at = text.find(t.surface, at)
                starts.append(found_at if found_at >= 0 else at)
                at = starts[-1] + len(t.surface)
            found: set[str] = set()
            for role in roles:
                for m in re.finditer(re.escape(role), text):
                    i = bisect.bisect_right(starts, m.start()) - 1  # the token the role begins in
                    # the name before it: 佐々木 誠 | 市長, or 佐々木 誠市 | 長 (the role begun inside a name's part)
                    j = i if i >= 0 and starts[i] < m.start() and tokens[i].pos[2:3] == ("人名",) else i - 1
                    k = j
                    while k >= 0 and tokens[k].pos[2:3] == ("人名",):
                        k -= 1
                    if k < j:
                        found.add(tokens[k + 1].term or tokens[k + 1].surface)
                    e = bisect.bisect_left(starts, m.end())  # the role, の and a name: 農家 の 矢野 健一 さん
                    if (e + 1 < len(tokens) and starts[e] == m.end() and tokens[e].surface == "の"
                            and tokens[e + 1].pos[2:3] == ("人名",)):
                        found.add(tokens[e + 1].term or tokens[e + 1].surface)
            people[text] = frozenset(found)
        return people[text]

    def holds(c: Scored) -> bool:
        surnames = frozenset({person}) if person else described(c.hit.passage.text)
        return (bool(surnames) and bool(_QUOTE.search(c.text))
                and _is_subject(analyzer.tokens(_outside_quotes(c.text)), lambda t: t.term in surnames))

    if not roles and not person:
        return lambda c, best: 0
    leads = _speaker_lead(holds, within, READ_QUOTED, shares_a_word=False)
    leads.described = described if not person else (lambda text: frozenset({person}))  # type: ignore[attr-defined]
    return leads


def _subject_role(searcher, question: str) -> tuple[frozenset[str], str | None]:
    """(the role a what-said question names its speaker by, as terms; the person a Japanese one names by a name
    Sudachi reads as one). English: the head noun of the words after the first auxiliary (or 's), to another or the
    verb of saying, before any "of", "in", "who"… ("the rice farmer in Saijo": farmer, 農家), or of the two
    words before it that read as one ("foreign minister": 外相), by the bridge's dictionaries (not the term alignment's
    neighbours). Japanese: the noun phrase right before the first は or が, a person's name in it (主将の大石選手:
    大石), else its last noun (西条市の農家: 農家)."""
    last = question.strip().splitlines()[-1] if question.strip() else ""  # a follow-up's own words
    if has_cjk(last):
        tokens = searcher.analyzer.tokens(last)
        at = next((i for i, t in enumerate(tokens) if t.pos[:1] == ("助詞",) and t.surface in ("は", "が")), None)
        if at is None:
            return frozenset(), None
        # the noun phrase right before it: 主将の大石選手, not 望月投手について監督 (a reviewer's: 望月's words led)
        start = at
        while start > 0 and (tokens[start - 1].pos[:1] in (("名詞",), ("接尾辞",), ("接頭辞",))
                             or tokens[start - 1].surface == "の"):
            start -= 1
        before = tokens[start:at]
        named = [t for t in before if t.pos[2:3] == ("人名",) and t.term]
        if named:
            return frozenset(), named[0].term
        nouns = [t for t in before if t.pos[:1] == ("名詞",) and t.term and not answer_type.is_interrogative(t.term)]
        return (_roles({nouns[-1].term}), None) if nouns else (frozenset(), None)
    # before "of", "in", "who"… ("the farmer who has grown rice": farmer, a reviewer's)
    return _english_roles(searcher, _PLACING.split(_english_subject(question))[0]), None


def _english_roles(searcher, subject: str) -> frozenset[str]:
    """The role an English noun phrase names ("the rice farmer": 農家; "the foreign minister": 外相), as terms: its head
    noun, or its last two words when they read as one, by the bridge's dictionaries; none for a phrase that names
    someone ("Foreign Minister Lavrov"), read by the name."""
    words = [w.removesuffix("'s").removesuffix("’s").lower() for w in subject.split()]
    head = words[-1] if words else ""
    bridge = searcher.bridge
    if not head or head in STOP_WORDS or bridge is None or any(w[:1].isupper() for w in subject.split()):
        return frozenset()
    pair = bridge.expand(" ".join(words[-2:])) if len(words) > 1 else []
    if len(pair) == 1 and pair != bridge.expand(words[-2]):  # the two read as one: "foreign minister" is 外相
        return _roles(pair[0])
    return _roles(t for g in bridge.expand(head) for t in g)


def holder_lead(searcher, question: str, within: str | None = None) -> Callable[[Scored, Scored], int] | None:
    """How strongly a sentence may open the answer to a question asking who holds a role ("Who was the presiding
    judge in the trial?", "What is the name of the director…?", 院長は誰か), in the best one's place: READ_QUOTED
    (from under the cutoff too) for a whole sentence of the best one's article that writes a person with that role
    (`_holds_the_role`: 「大河内隆裁判長は…」, 「院長の佐々木恒夫氏」, 「マソウド・ペゼシュキアン大統領」; a seventeenth probe's: the
    judge and the hospital's director went unnamed in answers that quoted the ruling and the attack around them).
    The role is a noun (not the verbs the bridge gives "judge": 思う, 見る), the whole of what is asked, one noun or
    two that read as one (after a possessor: "the hospital's director"): a role narrowed by more words ("the most
    valuable player", 最優秀選手) is not held by whoever the passage writes with the role alone (鈴木選手, when 望月投手
    was the MVP). Whose role it is ("Iran's president", "the foreign minister of China") rules out a holder written
    as another place's (「ロシアのセルゲイ・ラブロフ外相」; a reviewer's). None for a question that asks for no role's
    holder: "Who is Sato?", "Who said it?", "Who leads the plaintiffs?" (a doing), 大統領は誰と会談したか."""
    last = question.strip().splitlines()[-1] if question.strip() else ""
    analyzer = searcher.analyzer
    of: set[str] = set()  # the terms of whose role it is
    if has_cjk(last):
        if not _ASKS_WHO_JA.search(last):
            return None
        tokens = analyzer.tokens(last)
        at = next((i for i, t in enumerate(tokens) if t.pos[:1] == ("助詞",) and t.surface in ("は", "が")), 0)
        if at < 1 or at > 1 and tokens[at - 2].pos[:1] in (("名詞",), ("接頭辞",)):  # 最優秀 + 選手
            return None
        roles, named = _subject_role(searcher, last)
        if named:
            return None
        of = {t.term for t in tokens[:at] if t.term and t.pos[1:2] == ("固有名詞",)}
    else:
        m = _ASKS_WHO_EN.match(last)
        # whose role it is, not a relative clause's words ("the foreign minister who visited Beijing": a reviewer's)
        phrase = _PLACING.split(_RELATIVE.split(m.group(1).rstrip(" ?."))[0], maxsplit=1) if m else [""]
        words = phrase[0].split()
        words = words[1:] if words and words[0].lower() in ("the", "a", "an") else words
        owner = max((i + 1 for i, w in enumerate(words) if w.endswith(("'s", "’s"))), default=0)
        whose = " ".join(words[:owner]) + " " + (phrase[1] if len(phrase) > 1 else "")
        bridge = searcher.bridge
        caps = {a.lower() for a in acronyms(last)}  # "the US": 米国, not 私達 (a reviewer's)
        of = {t for run in _RUN.findall(whose) for g in (bridge.expand(run, caps) if bridge else []) for t in g
              if not t.isascii()}
        words = words[owner:]
        roles = _english_roles(searcher, " ".join(words)) if 0 < len(words) <= 2 else frozenset()
        if len(words) == 2 and roles == _english_roles(searcher, words[1]):
            roles = frozenset()  # two words that do not read as one: "new coach" is no role of its own
    if searcher.bridge is not None:  # a country's other name is its own (米国: アメリカ)
        of |= {other for t in of for other in searcher.bridge.written_alike(t)}
    roles = frozenset(t for t in roles if analyzer.tags(t)[:1] == ("名詞",))
    if not roles:
        return None
    return _speaker_lead(lambda c: _holds_the_role(analyzer.tokens(c.text), roles, of, analyzer.entries), within,
                         READ_QUOTED, shares_a_word=False)


def _holds_the_role(tokens, roles: frozenset[str], of: set[str], entries: Callable[[str], list]) -> bool:
    """Whether a sentence writes a person with one of `roles`: a name then the role (大河内 隆 | 裁判長; マソウド ・
    ペゼシュキアン | 大統領, katakana its dictionary holds as a person's name only or not at all, which Sudachi may read in
    place as no name; not ロシア大統領 nor チーム監督, a place and a word), or the role, の and a name (院長 の 佐々木).
    Not one written as another place's or body's than `of` names (ロシア の セルゲイ ・ ラブロフ 外相, for China's), when
    it names one."""
    def name(t) -> bool:
        return t.pos[2:3] == ("人名",) or (t.pos[:1] == ("名詞",) and bool(_KATAKANA_NAME.fullmatch(t.surface))
                                          and all(tuple(pos[1:3]) == ("固有名詞", "人名") for pos in entries(t.surface)))

    def owned_elsewhere(start: int) -> bool:  # X の before the name, X a proper noun `of` does not name
        return (bool(of) and start >= 2 and tokens[start - 1].surface == "の"
                and tokens[start - 2].pos[1:2] == ("固有名詞",) and tokens[start - 2].term not in of)

    for i, t in enumerate(tokens):
        if t.term not in roles:
            continue
        j = i - 1
        while j >= 0 and (name(tokens[j]) or (tokens[j].surface == "・" and j > 0 and name(tokens[j - 1]))):
            j -= 1
        if j < i - 1 and not owned_elsewhere(j + 1):
            return True
        if i + 2 < len(tokens) and tokens[i + 1].surface == "の" and name(tokens[i + 2]) and not owned_elsewhere(i):
            return True
    return False


_KATAKANA_NAME = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")
# "Who was the presiding judge…", "Who's the mayor…", "Who is Russia's foreign minister?", "What is the name of the
# judge…": the role asked for follows, with "the" or a possessor (not "Who was named the tournament's most valuable
# player?", whose 最優秀選手には…望月投手 writes no name beside 選手, and 鈴木選手's words led: an eighth probe's question)
_ASKS_WHO_EN = re.compile(r"\s*(?:who(?:['’]s|\s+(?:is|was|are|were|will\s+be|would\s+be|has\s+been|had\s+been))|"
                          r"what(?:['’]s|\s+(?:is|was|are|were))\s+the\s+names?\s+of)\s+"
                          r"((?:the|a|an)\s+.+|\S+['’]s\s.+)$",
                          re.IGNORECASE)
# 誰 as what is asked (院長は誰か, 誰でしたか, 誰になったか), not its object (大統領は誰と会談したか, 誰に会ったか: reviewers')
_ASKS_WHO_JA = re.compile(r"(?:誰|だれ|何者)(?!\s*(?:と|を|から|へ|より|の|に(?!な)))")


def _english_subject(question: str) -> str:
    """The words of an English what-said question (its last line) after its first auxiliary (or a wh-word's 's), to
    another auxiliary or the verb of saying ("What would the mayor have said?": "the mayor"); "" for none."""
    last = question.strip().splitlines()[-1] if question.strip() else ""
    says = _SAYS_EN.search(last)
    aux = _AUXILIARY.search(last[: says.start()]) if says and not has_cjk(last) else None
    return _AUXILIARY.split(last[aux.end(): says.start()] + " ")[0] if aux is not None else ""


def _roles(terms) -> frozenset[str]:
    """Terms that may name a role, found in a passage's text: Japanese, of two characters or more (主 is in 主任)."""
    return frozenset(t for t in terms if not t.isascii() and len(t) >= 2)


_AUXILIARY = re.compile(r"(?:\b(?:did|does|do|has|have|had|will|would|could|can|should|might|may|is|was|are|were|"
                        r"be|been)|\b(?:what|who|how|where|when|why)['’]s)\s+", re.IGNORECASE)
_RELATIVE = re.compile(r"\s+(?:who|whom|whose|that|which)\s+", re.IGNORECASE)
_PLACING = re.compile(r"\s+(?:of|in|at|from|for|on|with|about|to|over|after|before|who|whom|whose|that|which)\s+",
                      re.IGNORECASE)


def _read_as_speaker(searcher, surname: str, given: str, within: str | None) -> Callable[[Scored, Scored], int]:
    """`quote_lead` for a speaker named by a Japanese surname the bridge writes only as a word: a sentence that
    quotes, and before its quotation writes a person's name (人名) that reads as `surname`, with no given name after it
    or one that reads as `given` (not 「近所の田中和子さんは「森さんが無事で…」」, nor 毛利和子, a reviewer's)."""
    analyzer = searcher.analyzer

    def reads(token, name: str) -> bool:
        return any(folded(romanized(r)) == name for r in analyzer.readings(token.surface))

    def holds(c: Scored) -> bool:
        quote = _QUOTE.search(c.text)
        if not quote:
            return False
        tokens = analyzer.tokens(c.text[: quote.start()])
        for i, t in enumerate(tokens):
            if t.pos[2:3] == ("人名",) and reads(t, surname):
                after = tokens[i + 1] if i + 1 < len(tokens) else None
                if after is None or after.pos[2:4] != ("人名", "名") or reads(after, given):
                    return True
        return False

    return _speaker_lead(holds, within, READ_QUOTED)


# a run of capitalised words: what an English question names ("Xi", "Friedrich Merz", "the Japan Meteorological Agency")
_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9\-]*(?:\s+[A-Z][A-Za-z0-9\-]*)*")


def _surnames(text: str, analyzer) -> dict[str, str]:
    """{given name: its surname} for each term of `text` Sudachi reads as a given name right after a surname (和臣:
    杉本, in 杉本和臣)."""
    tokens = analyzer.tokens(text)
    return {t.term: prev.term for prev, t in zip(tokens, tokens[1:]) if t.term and prev.term
            and prev.pos[2:4] == ("人名", "姓") and t.pos[2:4] == ("人名", "名")}


def _name_runs(question: str) -> list[tuple[str, bool]]:
    """The runs of capitalised words a question names, without stop words, each with whether the words before it place
    it (`placed`: "of" in "the governor of the Toho Group"); not the question's first word alone ("What did…",
    "Did…", "In" of "In Moscow, what did Xi say?"), and none in a question written all in capitals, whose case marks
    nothing."""
    if question.isupper():
        return []
    out = []
    for m in _RUN.finditer(question):
        words = m.group().split()
        before = question[: m.start()]
        if not before.strip(" \t\"'“‘(「"):  # the question's first word is capitalised as a first word
            before, words = words[0], words[1:]
        words = [w for w in words if w.lower() not in STOP_WORDS]
        if words:
            out.append((" ".join(words), placed(before)))
    return out


def fragment(text: str) -> bool:
    """A heading, a list item or a piece cut mid-sentence: too short, or not ended like a sentence."""
    return len(text) < FRAGMENT_CHARS or not ends_a_sentence(text)


def ends_a_sentence(text: str) -> bool:
    return text.rstrip("」』）)】”\"'").endswith(("。", "！", "？", "!", "?", "."))


def near_duplicate(a: str, b: str) -> bool:
    """True when one sentence contains the other or their character bigrams mostly overlap."""
    x, y = "".join(a.split()), "".join(b.split())
    if x in y or y in x:
        return True
    ga, gb = _bigrams(x), _bigrams(y)
    return bool(ga and gb) and len(ga & gb) / len(ga | gb) >= DUPLICATE_JACCARD


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def render(picked: Sequence[Scored]) -> tuple[str, tuple[Citation, ...]]:
    """Join the sentences with an [n] after each; citations are numbered in order of first use. A sentence's own
    footnote references are left out: only the answer's markers are [n]."""
    citations: list[Citation] = []
    parts: list[str] = []
    for c in picked:
        text = without_markers(c.text).strip()
        if not text:
            continue
        if c.hit.citation not in citations:
            citations.append(c.hit.citation)
        parts.append(f"{text}[{citations.index(c.hit.citation) + 1}]")
    return " ".join(parts), tuple(citations)


def source_answer(text: str, header: bool = False) -> str:
    """A source row as the answer to a question about where its article came from: its lines but a source block's
    marker (【引用・参照・底本】), joined. The search shows a source row first only to such a question, and only the
    row of the article the rest of the question finds (rag/retrieval/sources.py). Its sentences scored as any
    others' picked pieces of it: a link cut at its "?" into two, a title without the link, a Japanese question's
    answer that quoted the Japanese around the line and no source. An article's `header` (its first passage, which
    stands in for the source lines of a document that has none) gives its lines before the first of its prose: the
    title, the date, the byline."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if header and _prose(s):
            break
        if s and not source_marker(s):
            out.append(s)
    return " ".join(out)


def _stale(searcher, question: str, asked: Kind | None, groups: Sequence[Sequence[str]], within: str | None,
           own: str | None) -> Callable[[Scored], bool]:
    """Whether a sentence gives nothing a follow-up asks anew: for a follow-up asking a date, a number or a place, no
    token of that kind (`detail_lead`'s claim); for one asking no detail, none of its own words' terms ("Will they
    appeal?": 控訴; "And Putin?": プーチン). A follow-up asking why, or for a person, is not judged: the answer before's
    sentence often gives the reason in words no marker tells (「…ロシアの主要な原油購入国であることから」), and
    judging it by ため, ので, 理由… cost the seen conversations six first sentences ("Why?" after an answer that gave
    it; docs/chat.md)."""
    if own and (_MORE_EN.search(own) or _MORE_JA.search(own)):
        # "What did she say next?", 「彼は他に何と言った?」: whatever the sentence just read holds, it is what the reader
        # asks past (a probe's: both opened with the words the answer before had opened with)
        def past(c: Scored) -> bool:
            return True
        past.past = True  # type: ignore[attr-defined]
        return past
    if asked in LEADING_KINDS:
        claim = detail_lead(searcher, question, asked, groups, within)
        return lambda c: not claim(c, c)
    if asked is not None:
        return lambda c: False
    own_groups = [set(g) for g in searcher.term_groups(own)] if own else []

    def holds_none(c: Scored) -> bool:
        terms = set(searcher.analyzer.terms(c.text))
        return not any(g & terms for g in own_groups)
    return holds_none


# a follow-up that asks for the words after those the answer before gave ("What did she say next?", "What else did
# he say?", 「彼は他に何と言った?」); not "Who else…", "What else did China do?", whose answer the sentence read may be
_MORE_EN = re.compile(r"\b(?:say|said|tell|told|add|added)\s+(?:next|afterwards|after that|then|anything else|"
                      r"something else)\b|\b(?:what|anything|something)\s+else\b.*\b(?:say|said|tell|told|add|added)\b",
                      re.IGNORECASE)
_MORE_JA = re.compile(r"(?:他|ほか)に(?:は|も)?何(?:と|か)?(?:言|述|話|語)|次に何(?:と|を)?(?:言|述|話|語)")

# a line of the body: it ends as a Japanese sentence does, or as an English one of several words does (a title may
# end in "?", a byline in "Jr."), or is longer than a header line
_PROSE = re.compile(r"。[」』）)】”\"']*$")
_ENGLISH_SENTENCE = re.compile(r"^(?:\S+\s+){5,}\S*[a-z0-9)”\"'][.!][”\"']?$")
MAX_HEADER_LINE = 100


def _prose(line: str) -> bool:
    return bool(_PROSE.search(line) or _ENGLISH_SENTENCE.match(line)) or len(line) > MAX_HEADER_LINE


def extractive_answer(question: str, hits: Sequence[Hit], searcher, lang: str = "en",
                      weights: Weights = DEFAULT_WEIGHTS,
                      selection: Selection = DEFAULT_SELECTION, asked: Kind | None = None,
                      within: str | None = None, own: str | None = None,
                      before: str = "", person: str | None = None) -> tuple[str, tuple[Citation, ...]]:
    """Answer text with [n] markers and the citations they index; a clear message when there are no hits. `asked`:
    the kind of detail the question asks for ("When was that?": a date); a sentence that gives it comes first
    (`detail_lead`, `within` the document the answer before was drawn from). `own`: a follow-up's own words, when
    `question` is the conversation it was searched with; a sentence holding them counts for more. `before`: the
    answer before's first sentence, for a follow-up: it does not open this answer when it gives nothing the
    follow-up asks anew (`_stale`) and another picked sentence can. `person`: whom a follow-up's pronoun points to,
    whose words it asks for when it asks what was said (`quote_lead`)."""
    if not hits:
        return no_passage_message(lang), ()
    t0 = time.perf_counter()
    top = sorted(hits, key=lambda h: h.rank)[: selection.passages]
    header = top[0].source and not searcher.index.is_source(top[0].passage)  # an article's first passage
    if top[0].source and (line := source_answer(top[0].passage.text, header)):
        # a space before the marker after a link: a client that links bare URLs would take "[1]" into it
        return f"{line}{' ' if line.split()[-1].count('://') else ''}[1]", (top[0].citation,)
    groups = searcher.term_groups(question)  # once: a Qdrant aligner asks its server for them
    own_groups = searcher.term_groups(own) if own and own != question and weights.own else []
    candidates = score_sentences(searcher, question, top, weights, groups, own_groups)
    if asked in LEADING_KINDS:
        lead = detail_lead(searcher, question, asked, groups, within)
    elif asked in ("entity", None) and (holder := holder_lead(searcher, own or question, within)) is not None:
        lead = holder
    elif asked is None and asks_what_was_said(question):
        lead = quote_lead(searcher, question, groups, within, person)
    elif asked is None and asks_overview(question):
        lead = overview_lead(searcher, question)
    elif asked == "reason" and asks_cause(question):
        lead = cause_lead(searcher, question, groups)
    else:
        lead = None
    stale = _stale(searcher, question, asked, groups, within, own) if before else None
    if selection.elsewhere_lexical and compares(own or question):
        selection = replace(selection, elsewhere_lexical=0)
    reasons = answer_type.classify(own or question, lang) == "reason"  # a sentence that counts reasons brings them
    picked = select(candidates, selection, weights.neighbour, lead, before, stale, reasons)
    text, citations = render(picked)
    logger.info("extractive answer: %d of %d sentences from %d passages in %.1f ms", len(picked), len(candidates),
                len(citations), (time.perf_counter() - t0) * 1000)
    return text, citations
