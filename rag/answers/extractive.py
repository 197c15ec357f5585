"""Extractive answers: the retrieved sentences that best answer the question, each followed by its [n] citation.

`extractive_answer` scores the top passages' sentences (rag/answers/scoring.py), chooses the lead the question asks
for (rag/answers/leads: a detail, a role's holder, someone's words, the article's lead, a cause), selects the
sentences (rag/answers/selection.py) and renders them with their markers. A source row shown first answers a
question about where an article came from by itself (`source_answer`)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..corpus.articles import source_marker
from ..retrieval.cues import EN_COMPARING, JA_COMPARING
from ..retrieval.rerank import answer_type
from ..retrieval.rerank.answer_type import Kind
from ..types import Citation, Hit
from .leads.cause import asks_cause, cause_lead
from .leads.detail import LEADING_KINDS, detail_lead
from .leads.holders import holder_lead
from .leads.overview import asks_overview, overview_lead
from .leads.quotes import asks_what_was_said, quote_lead
from .markers import without_markers
from .scoring import Scored, Weights, score_sentences
from .selection import DEFAULT_SELECTION, Selection, select

logger = logging.getLogger(__name__)

NO_PASSAGE = {
    "en": "No relevant passage found in the indexed articles.",
    "ja": "関連する記事の文章が見つかりませんでした。",
}

DEFAULT_WEIGHTS = Weights()


def no_passage_message(lang: str) -> str:
    """The answer text used when retrieval returned nothing."""
    return NO_PASSAGE.get(lang, NO_PASSAGE["en"])


def compares(question: str) -> bool:
    """Whether a question compares two things (`cues.EN_COMPARING`, `JA_COMPARING`): its answer quotes each, though
    the sentences of one matched the question's words better (a reviewer's: 「鳥インフルエンザと大雪の被害を比べて」
    lost the snow article's sentences to `Selection.elsewhere_lexical`)."""
    return bool(EN_COMPARING.search(question) or JA_COMPARING.search(question))


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
