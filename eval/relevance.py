"""The shared relevance rule: a passage is relevant when it covers at least half of one occurrence of a quote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import EvalError
from .questions import Question


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place [start, end) in a raw seed file where an evidence quote occurs."""

    doc: str
    start: int
    end: int


def occurrences(text: str, quote: str) -> tuple[int, ...]:
    """Every start offset of `quote` in `text`, overlapping ones included (str.count would skip those)."""
    if not quote:
        return ()
    out = []
    i = text.find(quote)
    while i != -1:
        out.append(i)
        i = text.find(quote, i + 1)
    return tuple(out)


def evidence_occurrences(question: Question, texts: Mapping[str, str]) -> tuple[Occurrence, ...]:
    """All occurrences of all of a question's quotes in the raw seed texts (keyed by doc id)."""
    out = []
    for e in question.evidence:
        raw = texts.get(e.doc)
        if raw is None:
            raise EvalError(f"question {question.id!r}: no seed text for doc {e.doc!r}")
        out.extend(Occurrence(e.doc, o, o + len(e.quote)) for o in occurrences(raw, e.quote))
    return tuple(out)


def covers_half(start: int, end: int, occ_start: int, occ_end: int) -> bool:
    """[start, end) overlaps [occ_start, occ_end) by at least half its length (integers only: 2*overlap >= len)."""
    overlap = min(end, occ_end) - max(start, occ_start)
    return overlap > 0 and 2 * overlap >= occ_end - occ_start


def is_relevant(doc_id: str, start: int, end: int, evidence: tuple[Occurrence, ...]) -> bool:
    """The README rule: same doc, and the span covers at least half of some occurrence of some quote."""
    return any(o.doc == doc_id and covers_half(start, end, o.start, o.end) for o in evidence)
