"""A follow-up that asks for a detail of what the conversation is on ("When was that?", "Whose idea is it?", それはどこで?):
among its first passages, those whose sentences hold that kind of detail beside the earlier turns' words come first
(rag/retrieval/conversation.py, detail_first)."""

from __future__ import annotations

import pytest

from rag.retrieval.conversation import DETAIL_DEPTH, asked_detail, detail_first, fuse, search_conversation


@pytest.mark.parametrize("follow_up, kind", [
    ("When was that?", "date"),
    ("Where did he say it?", "place"),
    ("Why?", "reason"),
    ("Who said that?", "entity"),
    ("How many?", "number"),
    ("それはいつ?", "date"),
    ("それはどこで署名されたの?", "place"),
    ("なぜ?", "reason"),
    ("誰が言ったの?", "entity"),
    ("What else does it say?", None),  # a statement: no kind of detail
    ("And Iran?", None),
    ("その後どうなった?", None),
])
def test_the_kind_of_detail_a_follow_up_asks_for_is_read_from_its_own_words(follow_up, kind) -> None:
    assert asked_detail(follow_up) == kind


@pytest.mark.parametrize("turns, answer", [
    # a place: the first passage on the statements does not say where they were signed
    (["習近平とプーチンは2025年5月にどんな共同声明に署名した?", "それはどこで署名されたの?"], "モスクワのクレムリン"),
    # a person: the first passage on Lavrov's Eurasian proposal does not name whose concept it matches
    (["What new Eurasian security arrangement did Lavrov call for?", "Whose security concept did he say it matches?"],
     "習近平主席の「いかなる国も"),
])
def test_a_follow_up_asking_for_a_detail_is_shown_the_passage_that_holds_it_first(searcher, turns, answer) -> None:
    found = search_conversation(searcher, turns, top_k=5)
    assert found.dependent
    assert answer in found.result.hits[0].passage.text


def test_the_detail_order_moves_passages_only_within_its_depth_and_keeps_the_scores_in_place(searcher) -> None:
    turns = ["What did Lavrov say about an alliance with China?", "When was that?"]
    context = search_conversation(searcher, turns, top_k=5).context
    assert context is not None
    fused = fuse({"conversation": searcher.search(context, 20).hits}, 20)
    ordered = detail_first(searcher, fused, context, "date")
    assert sorted(h.passage.passage_id for h in ordered[:DETAIL_DEPTH]) == \
        sorted(h.passage.passage_id for h in fused[:DETAIL_DEPTH])
    assert [h.passage.passage_id for h in ordered[DETAIL_DEPTH:]] == [h.passage.passage_id for h in fused[DETAIL_DEPTH:]]
    assert [h.score for h in ordered] == [h.score for h in fused]
    assert [h.rank for h in ordered] == list(range(1, len(fused) + 1))
    # at weight 0 nothing moves
    assert detail_first(searcher, fused, context, "date", weight=0.0) == fused
