"""The shared relevance rule, on cases worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.questions import Evidence, Question
from eval.relevance import Occurrence, covers_half, evidence_occurrences, is_relevant, occurrences

REPO = Path(__file__).resolve().parents[2]

# Raw text of a pretend seed "doc": the quote "cdef" (4 chars) occurs at [2, 6) and again at [10, 14).
TEXT = "abcdefghijcdefxyz"
#       01234567890123456  (offsets mod 10)
QUESTION = Question("q", "en", "?", (Evidence("doc", "cdef"),))


def spans() -> tuple[Occurrence, ...]:
    return evidence_occurrences(QUESTION, {"doc": TEXT})


def test_occurrences_finds_every_start_including_overlapping_ones():
    assert occurrences("aaaa", "aa") == (0, 1, 2)
    assert occurrences(TEXT, "cdef") == (2, 10)
    assert occurrences(TEXT, "nope") == ()


def test_evidence_occurrences_lists_every_occurrence_of_every_quote():
    assert spans() == (Occurrence("doc", 2, 6), Occurrence("doc", 10, 14))


def test_a_span_covering_exactly_half_of_the_quote_is_relevant():
    # [0, 4) ∩ [2, 6) = [2, 4): 2 of 4 characters, and 2*2 >= 4
    assert is_relevant("doc", 0, 4, spans())
    # [4, 9) ∩ [2, 6) = [4, 6): the other half
    assert is_relevant("doc", 4, 9, spans())


def test_one_character_less_than_half_is_not_relevant():
    # [0, 3) ∩ [2, 6) = [2, 3): 1 of 4 characters
    assert not is_relevant("doc", 0, 3, spans())
    # [5, 9) ∩ [2, 6) = [5, 6): 1 of 4
    assert not is_relevant("doc", 5, 9, spans())


def test_half_of_an_odd_length_quote_rounds_up():
    # "cde" has 3 characters at [2, 5): an overlap of 1 is below 1.5, an overlap of 2 reaches it
    occ = evidence_occurrences(Question("q", "en", "?", (Evidence("doc", "cde"),)), {"doc": TEXT})
    assert not is_relevant("doc", 0, 3, occ)  # [2, 3): 1 char, 2*1 < 3
    assert is_relevant("doc", 0, 4, occ)  # [2, 4): 2 chars, 2*2 >= 3
    assert covers_half(0, 4, 2, 5) and not covers_half(0, 3, 2, 5)


def test_a_span_over_the_second_occurrence_is_relevant():
    # [13, 17) ∩ [10, 14) = [13, 14): 1 char, not enough; [12, 17) ∩ [10, 14) = [12, 14): 2 chars, enough
    assert not is_relevant("doc", 13, 17, spans())
    assert is_relevant("doc", 12, 17, spans())


def test_overlapping_occurrences_each_count():
    # "aaa" occurs at [0, 3) and [1, 4) of "aaaa". Span [2, 4) covers 1 char of the first, 2 of the second.
    occ = evidence_occurrences(Question("q", "ja", "?", (Evidence("d", "aaa"),)), {"d": "aaaa"})
    assert occ == (Occurrence("d", 0, 3), Occurrence("d", 1, 4))
    assert is_relevant("d", 2, 4, occ)
    assert not is_relevant("d", 3, 4, occ)


def test_the_same_span_in_another_document_is_not_relevant():
    assert not is_relevant("other", 2, 6, spans())


def test_a_span_that_only_touches_the_quote_is_not_relevant():
    assert not is_relevant("doc", 0, 2, spans())
    assert not is_relevant("doc", 6, 10, spans())


def test_any_one_evidence_entry_is_enough():
    q = Question("q", "en", "?", (Evidence("a", "xyz"), Evidence("b", "cdef")))
    occ = evidence_occurrences(q, {"a": "...xyz", "b": TEXT})
    assert is_relevant("a", 3, 6, occ)
    assert is_relevant("b", 2, 6, occ)
    assert not is_relevant("a", 0, 3, occ)  # the right doc, but not the quote


def test_a_question_whose_seed_text_is_missing_is_an_error():
    with pytest.raises(EvalError, match="no seed text for doc 'doc'"):
        evidence_occurrences(QUESTION, {})


def test_offsets_index_the_raw_file_as_a_python_str():
    # Real seed: the quote's own span is relevant, and character (not byte) offsets are what count.
    doc = "000_77323e78f047d601"
    raw = (REPO / "seeds" / f"{doc}.txt").read_bytes().decode("utf-8")
    quote = "冷戦時代の米ソ間のデタントに類似した形で"
    occ = evidence_occurrences(Question("d01", "en", "?", (Evidence(doc, quote),)), {doc: raw})
    assert len(occ) >= 1
    o = occ[0]
    assert raw[o.start:o.end] == quote
    half = len(quote) // 2
    assert is_relevant(doc, o.start - 100, o.start + half, occ)
    assert not is_relevant(doc, o.start - 100, o.start + half - 1, occ)
