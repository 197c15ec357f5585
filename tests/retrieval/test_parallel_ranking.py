"""Above PARALLEL_ROWS passages the Searcher asks its components side by side; the ranking must not change."""

from __future__ import annotations

import pytest

from rag.retrieval import Searcher
from rag.retrieval import engine

QUESTIONS = (
    "What did Lavrov say about an alliance with China?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "How many North Korean soldiers were sent to Russia?",
    "北朝鮮が最初に核実験を行ったのはいつか",
)


@pytest.mark.parametrize("query", QUESTIONS)
def test_components_asked_side_by_side_rank_exactly_as_one_after_another(
        searcher: Searcher, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    one_by_one = searcher.search(query, top_k=10)
    monkeypatch.setattr(engine, "PARALLEL_ROWS", 0)
    side_by_side = searcher.search(query, top_k=10)
    assert [(h.passage.passage_id, h.score, h.scores) for h in side_by_side.hits] == \
        [(h.passage.passage_id, h.score, h.scores) for h in one_by_one.hits]
    assert {c.name for c in searcher.components} <= set(side_by_side.timings)  # every component answered
