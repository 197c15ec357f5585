"""Readable answers on the real index, for every team question: at most four whole sentences, none repeated, each
followed by the marker of the passage it comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answers import Answer, answer_question
from rag.answers.extractive import MAX_SENTENCES, near_duplicate
from rag.stores.sentences import sentence_spans

from .support import marked_pieces

pytestmark = pytest.mark.slow
TEAM = Path(__file__).resolve().parents[2] / "eval" / "questions" / "team.jsonl"


@pytest.fixture(scope="module")
def answers(searcher, built_index) -> list[Answer]:
    import json

    settings, _ = built_index
    questions = [json.loads(line)["question"] for line in TEAM.read_text("utf-8").splitlines() if line.strip()]
    return [answer_question(searcher, q, 5, settings) for q in questions]


def test_every_answer_has_one_to_four_sentences(answers: list[Answer]) -> None:
    counts = [len(marked_pieces(a)) for a in answers]
    assert all(1 <= n <= MAX_SENTENCES for n in counts), counts


def test_the_answer_is_exactly_its_sentences_each_followed_by_its_marker(answers: list[Answer]) -> None:
    for a in answers:
        pieces = marked_pieces(a)
        assert a.answer == " ".join(f"{text}[{n}]" for text, n in pieces), a.answer


def test_every_piece_is_a_whole_sentence_of_the_passage_its_marker_cites(answers: list[Answer]) -> None:
    for a in answers:
        texts = {h.citation: h.passage.text for h in a.passages}
        for text, n in marked_pieces(a):
            passage = texts[a.citations[n - 1]]
            assert text in {passage[s.start : s.end] for s in sentence_spans(passage)}, (text, a.question)


def test_no_sentence_is_repeated_or_nearly_repeated(answers: list[Answer]) -> None:
    for a in answers:
        texts = [t for t, _ in marked_pieces(a)]
        assert len(set(texts)) == len(texts), a.answer
        assert not any(near_duplicate(x, y) for i, x in enumerate(texts) for y in texts[i + 1 :]), a.answer
