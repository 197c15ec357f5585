"""Follow-up questions (rag/retrieval/conversation.py) on the real index: a follow-up is searched through the
earlier user turns, a stand-alone question exactly as without a conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.questions import load_questions, read_seed_texts
from eval.relevance import evidence_occurrences, is_relevant
from rag.retrieval.conversation import conversation_query, depends_on_context, fuse, search_conversation

CONVERSATIONS = Path(__file__).resolve().parents[1] / "eval" / "fixtures" / "conversations.jsonl"


@pytest.mark.parametrize("question", [
    "How long did it last?", "What did he say next?", "Why did they refuse?", "What about China?", "When?",
    "How did he rate that relationship?", "それはいつ？", "その代表団を率いたのは誰か", "彼は何と言った？", "いつ？",
])
def test_follow_ups_are_recognised(searcher, question: str) -> None:
    assert depends_on_context(question, searcher.analyzer)


@pytest.mark.parametrize("question", [
    "What did Lavrov say about an alliance with China?",
    "When did North Korea conduct its first nuclear test?",  # "its" points at North Korea, in the same question
    "Which European countries did Xi Jinping visit on his recent tour?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "プーチン大統領と習近平国家主席の会談はどこで行われたか",
])
def test_stand_alone_questions_are_recognised(searcher, question: str) -> None:
    assert not depends_on_context(question, searcher.analyzer)


def test_a_stand_alone_question_ranks_exactly_as_without_a_conversation(searcher) -> None:
    question = "What did Lavrov say about an alliance with China?"
    found = search_conversation(searcher, ["How long did Putin and Xi talk in Moscow?", question], 5)
    plain = searcher.search(question, 5)
    assert found.context is None and not found.dependent
    assert [h.passage.passage_id for h in found.result.hits] == [h.passage.passage_id for h in plain.hits]
    assert [h.score for h in found.result.hits] == [h.score for h in plain.hits]


def test_the_conversation_query_keeps_the_recent_turns_within_the_length_limit() -> None:
    turns = ["first " * 10, "second", "third", "fourth?"]
    assert conversation_query(turns, 1000) == "second\nthird\nfourth?"  # the last three
    assert conversation_query(["a" * 50, "b" * 20, "c?"], 30) == "b" * 20 + "\nc?"  # the oldest goes first


def test_fusion_puts_a_passage_both_searches_found_first(searcher) -> None:
    hits = searcher.search("Lavrov alliance China", 3).hits
    a, b, c = hits
    fused = fuse({"last": (a, b), "conversation": (b, c)}, 3)
    # RRF, k = 60: b = 1/62 + 1/61 ≈ 0.0325; a = 1/61 ≈ 0.0164 (rank 1 of one list); c = 1/62 ≈ 0.0161
    assert [h.passage.passage_id for h in fused] == [p.passage.passage_id for p in (b, a, c)]
    assert [h.rank for h in fused] == [1, 2, 3]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


@pytest.fixture(scope="module")
def conversations(built_index):
    settings, _ = built_index
    questions = load_questions(CONVERSATIONS)
    texts = read_seed_texts(settings.seeds_dir, (e.doc for q in questions for e in q.evidence))
    return [(q, evidence_occurrences(q, texts)) for q in questions]


def _first_relevant(hits, occurrences) -> int | None:
    return next((h.rank for h in hits if is_relevant(h.citation.doc_id, h.citation.start, h.citation.end,
                                                      occurrences)), None)


def test_follow_ups_find_their_evidence_through_the_conversation(searcher, conversations) -> None:
    ranks_with, ranks_without = {}, {}
    for q, occurrences in conversations:
        found = search_conversation(searcher, q.turns, 5)
        assert found.dependent and found.context.endswith(q.question)
        assert found.result.query == q.question and found.result.lang == q.lang
        ranks_with[q.id] = _first_relevant(found.result.hits, occurrences)
        ranks_without[q.id] = _first_relevant(searcher.search(q.question, 5).hits, occurrences)
    assert all(r is not None for r in ranks_with.values()), ranks_with
    # the last turn alone misses at least one of them: the conversation is what finds it
    assert any(r is None for r in ranks_without.values()), ranks_without
