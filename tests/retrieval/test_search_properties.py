"""Property: for any query string, hits are unique, ranked 1..n and at most k (real models, so few examples)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.retrieval import Searcher
from rag.retrieval.intake import has_word, strip_invisible

WORDS = ["Lavrov", "China", "alliance", "Putin", "Trump", "ラヴロフ", "中国", "同盟", "プーチン", "制裁", "NATO", "?", "。"]

queries = st.one_of(
    st.text(min_size=1, max_size=80),  # any Unicode, controls and symbols included
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join),
).filter(strip_invisible).filter(lambda q: "\x00" not in q).filter(has_word)
# refused on purpose, and tested there (tests/api/test_hardening_input.py): a query of only invisible characters, a
# NUL (e5 reads C strings), and one of no letter or digit


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=queries, k=st.integers(min_value=1, max_value=50), mode=st.sampled_from(["hybrid", "e5", "use", "bm25", "e5-sparse"]))
def test_any_query_gives_unique_hits_ranked_1_to_n_and_at_most_k(searcher: Searcher, query: str, k: int, mode: str) -> None:
    hits = searcher.search(query, top_k=k, mode=mode).hits
    assert len(hits) <= k
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert len({h.passage.passage_id for h in hits}) == len(hits)
    scores = [h.score for h in hits]
    assert all(a >= b for a, b in zip(scores, scores[1:]))
