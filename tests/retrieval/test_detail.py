"""A follow-up that asks for a detail of what the conversation is on ("When was that?", "Whose idea is it?", それはどこで?):
among its first passages, those whose sentences hold that kind of detail beside the earlier turns' words come first
(rag/retrieval/reorder.py, detail_first)."""

from __future__ import annotations

import pytest

from rag.retrieval.conversation import fuse, search_conversation
from rag.retrieval.followup import asked_detail
from rag.retrieval.reorder import DETAIL_DEPTH, detail_first


@pytest.mark.parametrize("follow_up, kind", [
    ("When was that?", "date"),
    ("And when was that?", "date"),
    ("Where did he say it?", "place"),
    ("Why?", "reason"),
    ("So why not?", "reason"),
    ("Who said that?", "entity"),
    ("Whose idea did he say it matches?", "entity"),
    ("How many?", "number"),
    ("In which year was it?", "date"),  # the cue may start at the second word
    ("When did 習近平 say that?", "date"),  # English asking, a name in Japanese
    ("それはいつ?", "date"),
    ("それはどこで署名されたの?", "place"),
    ("なぜ?", "reason"),
    ("山口恵氏の得票数は", "number"), ("感染者数は?", "number"), ("複数の国が参加したのは?", None),
    ("なぜインフルエンザの患者数が増えたのですか?", "reason"),  # a count the reason is about (a reviewer's)
    ("What is thought to have caused the fire?", "reason"),
    ("誰が言ったの?", "entity"),
    # a quantity named after "what was the", up to two words before it (a ninth probe's: the turnout); not a noun
    # that the quantity's word qualifies
    ("What was the turnout in the Tonami election?", "number"),
    ("What was the voter turnout?", "number"), ("What was the rate cut about?", None),
    ("What is the interest rate policy?", None), ("What are the interest rates?", "number"),
    # a reviewer's: a noun after the quantity's word, joined by a hyphen too; and no price, fee or cost, which a
    # question asks of what the articles may not price (any amount of money then led)
    ("What is the rate-hike plan?", None), ("What is the population decline problem?", None),
    ("What is the average price of rice?", None), ("What is the fee the app store charges?", None),
    # what caused something, in so many words (a ninth probe's); not what someone said caused it
    ("What do investigators think caused the temple fire?", "reason"), ("What is the suspected cause?", "reason"),
    ("What caused it?", "reason"), ("What did he say caused the delay?", None),
    ("What do the police believe caused the fire?", "reason"),
    ("What damage was caused by the temple fire?", None), ("What injuries were caused by the bear?", None),
    ("What was the damage caused by the temple fire?", None), ("What was caused by the heavy snow?", None),
    ("What did he say when they met?", None),  # asks what he said: "when" is no question word here
    ("What happened when he arrived?", None),
    ("What else does it say?", None),  # a statement: no kind of detail
    ("And Iran?", None),
    ("その後どうなった?", None),
])
def test_the_kind_of_detail_a_follow_up_asks_for_is_read_from_its_own_words(follow_up, kind) -> None:
    assert asked_detail(follow_up) == kind


@pytest.mark.parametrize("turns, answer", [
    # a place: the first passage on the statements does not say where they were signed
    (["習近平とプーチンは2025年5月にどんな共同声明に署名した?", "それはどこで署名されたの?"], "モスクワのクレムリン"),
    # a person: the first passage on Lavrov's Eurasian proposal does not name whose concept it matches (two passages
    # do: 「習近平主席の「いかなる国も…」 and 「習近平主席の世界安全保障に関する概念は…」, first since "Eurasian" reads
    # ユーラシア)
    (["What new Eurasian security arrangement did Lavrov call for?", "Whose security concept did he say it matches?"],
     "習近平主席の"),
])
def test_a_follow_up_asking_for_a_detail_is_shown_the_passage_that_holds_it_first(searcher, turns, answer) -> None:
    found = search_conversation(searcher, turns, top_k=5)
    assert found.dependent
    assert answer in found.result.hits[0].passage.text


def _fused(searcher, last: str, context: str):
    """The follow-up's two searches fused as search_conversation fuses them, before the detail order."""
    return fuse({"last": searcher.search(last, 20).hits, "conversation": searcher.search(context, 20).hits}, 20)


JOINT = ["習近平とプーチンは2025年5月にどんな共同声明に署名した?", "それはどこで署名されたの?"]


def test_the_detail_order_moves_passages_of_the_first_ones_document_up_within_its_depth(searcher) -> None:
    context = search_conversation(searcher, JOINT, top_k=5).context
    assert context is not None
    fused = _fused(searcher, JOINT[-1], context)
    ordered = detail_first(searcher, fused, context, "place")
    ids = [h.passage.passage_id for h in fused]
    new = [h.passage.passage_id for h in ordered]
    assert new != ids  # it moved something: the place is not in the first passage
    assert "モスクワのクレムリン" in ordered[0].passage.text and "モスクワのクレムリン" not in fused[0].passage.text
    assert sorted(new[:DETAIL_DEPTH]) == sorted(ids[:DETAIL_DEPTH]) and new[DETAIL_DEPTH:] == ids[DETAIL_DEPTH:]
    # only the first passage's document gains: another document's passages keep their place or fall
    doc = fused[0].passage.doc_id
    for h in fused[:DETAIL_DEPTH]:
        if h.passage.doc_id != doc:
            assert new.index(h.passage.passage_id) >= ids.index(h.passage.passage_id)
    assert [h.score for h in ordered] == [h.score for h in fused]
    assert [h.rank for h in ordered] == list(range(1, len(fused) + 1))
    assert detail_first(searcher, fused, context, "place", weight=0.0) == fused


@pytest.mark.parametrize("turns, mode", [
    (["What did Lavrov say about an alliance with China?", "Who wrote it?"], None),  # a question on the source
    (["What did Lavrov say about an alliance with China?", "And when did Iran say that?"], None),  # a name swap
    (["What did Lavrov say about an alliance with China?", "When was that?"], "bm25"),  # a single signal
])
def test_a_source_question_a_name_swap_and_a_single_signal_are_not_reordered_by_detail(searcher, monkeypatch, turns,
                                                                                      mode) -> None:
    import rag.retrieval.conversation as conversation

    def fail(*args, **kwargs):
        pytest.fail("detail_first was called")

    monkeypatch.setattr(conversation, "detail_first", fail)
    assert search_conversation(searcher, turns, top_k=5, mode=mode).dependent


def test_without_a_reranker_the_hits_are_left_as_they_are(searcher, monkeypatch) -> None:
    context = search_conversation(searcher, JOINT, top_k=5).context
    fused = _fused(searcher, JOINT[-1], context)
    monkeypatch.setattr(searcher, "reranker", None)
    assert detail_first(searcher, fused, context, "place") == fused


@pytest.mark.parametrize("sentence", ["ラブロフ外相は土曜日に報告会を行った。", "木曜に北京で会談した。", "本日早朝に会談した。"])
def test_a_weekday_or_today_dates_a_sentence(searcher, sentence) -> None:
    from rag.retrieval.rerank.answer_type import has_evidence

    assert has_evidence(searcher.analyzer.tokens(sentence), "date", set(), frozenset())


TREATY = ["Do Russia and North Korea have a comprehensive strategic partnership treaty?", "When did it take effect?"]


def test_a_detail_follow_up_is_shown_the_passage_the_answer_before_quoted_first_when_it_holds_the_detail(
        searcher, built_index) -> None:
    """The chat sends the answer back with its sources: "When did it take effect?" is about what the first of them
    said (「…2024年12月に発効するロシアと北朝鮮の包括的戦略的パートナーシップ協定…」), and another article's passage on
    North Korea's sanctions came first."""
    from rag.answers import answer_question
    from rag.answers.service import retrieve

    settings, _ = built_index
    before = answer_question(searcher, TREATY[0], 5, settings)
    first = before.citations[0]
    cited = {n + 1: f"{c.doc_id}#{c.start}-{c.end}" for n, c in enumerate(before.citations)}
    assert "発効" in before.passages[0].passage.text
    found = retrieve(searcher, TREATY[1], 5, TREATY[:1], cited=cited).result.hits
    assert found[0].citation == first, found[0].passage.text[:80]
    # without the answer sent back, the follow-up ranks as it did
    plain = search_conversation(searcher, TREATY, top_k=5).result.hits
    assert plain[0].citation != first
    # and a passage that gives no date is not put first for having been quoted
    import re

    undated = next(h.passage.passage_id for h in plain[1:] if not re.search(r"\d+\s*[年月日]", h.passage.text))
    assert search_conversation(searcher, TREATY, top_k=5, quoted=undated).result.hits[0].passage.passage_id != undated


@pytest.mark.parametrize("quoted_evidence, top_evidence, moved", [
    (0.5, 0.3, True), (0.4, 0.4, True),  # holds the detail at least as well: first
    (0.2, 0.6, False),  # less well than the passage that would be first: stays
    (0.0, 0.0, False),  # holds none: stays, however it was quoted
])
def test_the_quoted_passage_comes_first_only_when_it_holds_the_detail_at_least_as_well(
        searcher, monkeypatch, quoted_evidence, top_evidence, moved) -> None:
    from types import SimpleNamespace

    import numpy as np

    from rag.retrieval.rerank import FEATURES

    context = search_conversation(searcher, JOINT, top_k=5).context
    fused = _fused(searcher, JOINT[-1], context)
    plain = detail_first(searcher, fused, context, "place", weight=0.0)
    top, quoted = plain[0], plain[3]
    rows = searcher.index.passages.row_of
    evidence = {rows(top.passage.passage_id): top_evidence, rows(quoted.passage.passage_id): quoted_evidence}

    def features(query, lang, asked_rows, groups, only, kind):
        out = np.zeros((len(asked_rows), len(FEATURES)))
        out[:, FEATURES.index("answer")] = [evidence.get(r, 0.0) for r in asked_rows]
        return SimpleNamespace(features=out)

    monkeypatch.setattr(searcher.reranker, "features", features)
    # the quoted passage is of the answer's document, as the service passes them
    ordered = detail_first(searcher, fused, context, "place", quoted.passage.doc_id, weight=0.0,
                           quoted=quoted.passage.passage_id)
    assert (ordered[0].passage.passage_id == quoted.passage.passage_id) is moved
    if not moved:
        assert ordered == plain
