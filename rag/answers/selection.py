"""Sentence selection: which of the scored sentences an answer takes, in what order, within the budget a `Selection`
sets. The best first (docs/answers.md, "The best sentence first"), then the others in reading order; a picked
sentence brings the list items or the counted reasons right after it ("The list a sentence announces"); a lead
(rag/answers/leads) may put another sentence first, and a follow-up's answer does not open again with the sentence
just read when another can."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .leads.common import COUNTED
from .markers import note_line
from .scoring import Scored
from .sentence_shape import LIST_ITEM, MIN_CHARS, fragment, near_duplicate

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


DEFAULT_SELECTION = Selection()
# A follow-up's answer takes another article's sentences as before: the answer before's document is the one it is
# about, whatever the first passage's ("and the sumo tournament…?" after a bank merger lost its evidence to the rule:
# docs/answers.md, "Another article's sentences")
FOLLOW_UP_SELECTION = Selection(elsewhere_lexical=0)


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
