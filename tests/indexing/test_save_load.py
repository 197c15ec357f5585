"""Save, load and search give identical results (rag/indexing/load.py over the session's default index)."""

from __future__ import annotations

import pytest

from rag.indexing.load import load_index
from rag.retrieval import Filters, Searcher

QUESTIONS = [
    "What did Lavrov say about an alliance with China?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "How did Putin react to Trump's idea of cutting defense spending in half?",
    "中露共同声明は米国について何を批判したか",
    "Xi Jinping Putin big brother",
]


def _signature(result) -> list[tuple]:
    return [(h.rank, h.passage.passage_id, h.score, h.citation, h.scores) for h in result.hits]


@pytest.fixture(scope="module")
def two_loads(built_index, searcher) -> tuple[Searcher, Searcher]:
    """Searchers over two independent loads of the session index (sharing the session's query-vector cache, so
    only the index differs from the session searcher)."""
    settings, _ = built_index
    return tuple(searcher.with_index(load_index(settings.index_dir, settings.embedders)) for _ in range(2))


def test_two_independent_loads_hold_identical_passages_and_vectors(two_loads, searcher) -> None:
    a, b = (s.index for s in two_loads)
    assert a is not b and a is not searcher.index and a.version == b.version == searcher.index.version
    assert a.passages == b.passages
    for spec in a.dense:
        assert (a.dense[spec].vectors == b.dense[spec].vectors).all()
    assert a.bridge.table == b.bridge.table and a.bm25.vocabulary == b.bm25.vocabulary


@pytest.mark.parametrize("mode", ["hybrid", "e5", "use", "bm25", "e5-sparse"])
def test_two_independent_loads_return_identical_hits(two_loads, mode: str) -> None:
    a, b = two_loads
    for q in QUESTIONS:
        ra, rb = a.search(q, top_k=10, mode=mode), b.search(q, top_k=10, mode=mode)
        assert _signature(ra) == _signature(rb), (mode, q)
        assert ra.index_version == rb.index_version


def test_a_freshly_loaded_index_answers_exactly_like_the_session_searcher(two_loads, searcher) -> None:
    fresh = two_loads[0]
    assert fresh.index is not searcher.index and fresh.index.version == searcher.index.version
    for q in QUESTIONS:
        for mode in ("hybrid", "bm25"):
            assert _signature(fresh.search(q, 10, mode)) == _signature(searcher.search(q, 10, mode)), (mode, q)
    f = Filters(published_from="2025-01-01")
    assert _signature(fresh.search(QUESTIONS[0], 10, "e5", f)) == _signature(searcher.search(QUESTIONS[0], 10, "e5", f))
