"""Answer metrics: does the answer text carry the evidence, and do its [n] markers cite a relevant passage?

- answer_evidence: a question scores 1 when, for some evidence quote q, the answer text and q share a contiguous
  piece of at least ceil(len(q) / 2) characters (2 * longest_common_substring(answer, q) >= len(q)). This is the
  passage relevance rule read on text: a passage must cover at least half of one occurrence of a quote, the answer
  must contain at least half of one as one unbroken piece. The text is compared as returned, [n] markers included,
  so half a quote split by a marker does not count.
- answer_cited: a question scores 1 when at least one passage its answer's markers point at is relevant under the
  shared rule (same doc, span covering at least half of one occurrence of a quote).
- answer_held_back: a question scores 1 when its answer quoted nothing because no passage found seemed to be about
  it (`covered: false`, rag/answers/coverage/); such an answer scores 0 on the two above. Every question of a
  question set is about the articles, so this should be 0: a share above it is questions wrongly held back.

All three are means over the questions, reported per language and overall.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.answers.markers import marker_numbers

from .errors import EvalError
from .questions import LANGS, Question
from .relevance import Occurrence, is_relevant
from .runner import HttpBackend

logger = logging.getLogger(__name__)

TOP_K = 5


def longest_common_substring(a: str, b: str) -> int:
    """Length of the longest string that is a contiguous piece of both `a` and `b`."""
    if not a or not b:
        return 0
    if len(b) > len(a):
        a, b = b, a
    best = 0
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if ch == other:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def carries_evidence(answer: str, quotes: Sequence[str]) -> bool:
    """True when the answer holds at least half of some quote as one contiguous piece (2 * LCS >= len(quote))."""
    return any(q and 2 * longest_common_substring(answer, q) >= len(q) for q in quotes)


@dataclass(frozen=True, slots=True)
class CitedSpan:
    """A citation as the metric needs it: its document and its span in the raw seed file."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class AnswerRun:
    """One question's answer text and the citations its markers index (1-based)."""

    question_id: str
    lang: str
    answer: str
    citations: tuple[CitedSpan, ...]
    latency_ms: float = 0.0
    covered: bool = True  # False: the answer was held back as not about the question
    index_version: str = ""  # the index that answered ("" from a service that does not say)


def cites_relevant(run: AnswerRun, evidence: tuple[Occurrence, ...]) -> bool:
    """True when some [n] marker of the answer points at a citation that the relevance rule accepts."""
    cited = {n for n in marker_numbers(run.answer) if 1 <= n <= len(run.citations)}
    return any(is_relevant(c.doc_id, c.start, c.end, evidence) for c in (run.citations[n - 1] for n in sorted(cited)))


def answer_scores(runs: Sequence[AnswerRun], questions: Sequence[Question],
                  evidence: Mapping[str, tuple[Occurrence, ...]]) -> dict[str, dict[str, float]]:
    """{"all"|"en"|"ja": {"answer_evidence": share, "answer_cited": share, "answer_held_back": share}}; a language
    with no questions is left out."""
    by_id = {q.id: q for q in questions}
    rows = [(r.lang, carries_evidence(r.answer, [e.quote for e in by_id[r.question_id].evidence]),
             cites_relevant(r, evidence[r.question_id]), not r.covered) for r in runs]
    out: dict[str, dict[str, float]] = {}
    for group in ("all", *LANGS):
        part = [(ev, ci, held) for lang, ev, ci, held in rows if group == "all" or lang == group]
        if part:
            out[group] = {"answer_evidence": sum(ev for ev, _, _ in part) / len(part),
                          "answer_cited": sum(ci for _, ci, _ in part) / len(part),
                          "answer_held_back": sum(held for _, _, held in part) / len(part)}
    return out


# -- asking ----------------------------------------------------------------------------------------------------------

def ask_in_process(searcher, settings, question: Question, top_k: int = TOP_K) -> AnswerRun:
    """The answer `rag ask` gives with these settings (extractive unless an LLM is configured); a conversation's last
    turn is asked through its earlier turns, as the chat asks a follow-up (a conversation set is scored in process
    only)."""
    from rag.answers import answer_question

    t = time.perf_counter()
    a = answer_question(searcher, question.question, top_k, settings, history=question.earlier)
    return AnswerRun(question.id, question.lang, a.answer,
                     tuple(CitedSpan(c.doc_id, c.start, c.end) for c in a.citations), (time.perf_counter() - t) * 1000,
                     a.covered, a.index_version)


def ask_http(backend: HttpBackend, question: Question, top_k: int = TOP_K) -> AnswerRun:
    """POST /v1/ask of a running service (asked again after a crowded service's Retry-After, as a search is);
    EvalError for anything that is not an answer."""
    endpoint = f"{backend.url}/v1/ask"
    t = time.perf_counter()
    r = backend.request("POST", endpoint, f"question {question.id!r}", json={"question": question.question,
                                                                             "top_k": top_k})
    try:
        body: Any = r.json()
        cites = tuple(CitedSpan(str(c["doc_id"]), int(c["start"]), int(c["end"])) for c in body["citations"])
        covered = body.get("covered", True)  # a service from before the check has no such field
        if not isinstance(covered, bool):
            raise TypeError(f"covered is {covered!r}, not a boolean")
        return AnswerRun(question.id, question.lang, str(body["answer"]), cites, (time.perf_counter() - t) * 1000,
                         covered, str(body.get("index_version") or ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise EvalError(f"{endpoint} answered 200 with a body that is not an answer ({type(exc).__name__}: {exc})") from None


def run_answers(ask, questions: Sequence[Question]) -> tuple[AnswerRun, ...]:
    """Ask every question once through `ask(question) -> AnswerRun`."""
    t0 = time.perf_counter()
    runs = tuple(ask(q) for q in questions)
    logger.info("answers: %d questions in %.2fs", len(runs), time.perf_counter() - t0)
    return runs
