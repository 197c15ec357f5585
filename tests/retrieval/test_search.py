"""The Searcher over the session's default index (rag/retrieval/engine.py): relevance, exact citations, filters, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import QueryError
from rag.retrieval import Filters, SearchResult, Searcher

LAVROV_EN = "What did Lavrov say about an alliance with China?"
LAVROV_JA = "ラヴロフ外相は中国との同盟について何と言ったか"
LAVROV_QUOTE = "中国との真の同盟関係の構築"
MODES = ("hybrid", "e5", "use", "bm25", "e5-sparse")

D000 = "000_77323e78f047d601"
D001 = "001_9c689277a1938a75"
D003 = "003_4dfd093ef708d448"
D004 = "004_b790a10d624dd4e2"
UNDATED = {D001, "002_4bfa712dfd589490"}  # no article in 001 or 002 carries a publication date


@pytest.fixture(scope="module")
def raw_seeds(seeds_dir: Path) -> dict[str, str]:
    """doc_id → the seed file's text, decoded from its bytes (no newline translation)."""
    return {p.stem: p.read_bytes().decode("utf-8") for p in seeds_dir.glob("*.txt")}


def assert_well_formed(result: SearchResult, k: int, raw: dict[str, str]) -> None:
    """At most k unique hits, ranked 1..n with non-increasing scores, each citing raw[start:end] exactly."""
    hits = result.hits
    assert len(hits) <= k
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    ids = [h.passage.passage_id for h in hits]
    assert len(set(ids)) == len(ids), ids
    scores = [h.score for h in hits]
    assert all(a >= b for a, b in zip(scores, scores[1:])), scores
    for h in hits:
        p, c = h.passage, h.citation
        assert raw[p.doc_id][p.start : p.end] == p.text, p.passage_id
        assert (c.doc_id, c.start, c.end) == (p.doc_id, p.start, p.end)


@pytest.mark.parametrize("question", [LAVROV_EN, LAVROV_JA], ids=["en", "ja"])
def test_lavrov_alliance_question_finds_the_quote_in_the_hybrid_top_5(searcher: Searcher, question: str) -> None:
    result = searcher.search(question, top_k=5, mode="hybrid")
    assert any(LAVROV_QUOTE in h.passage.text for h in result.hits), [h.passage.text[:40] for h in result.hits]
    assert result.mode == "hybrid" and result.index_version == searcher.index.version


def test_the_question_language_is_detected(searcher: Searcher) -> None:
    assert searcher.search(LAVROV_EN, top_k=1).lang == "en"
    assert searcher.search(LAVROV_JA, top_k=1).lang == "ja"


def test_the_default_mode_is_hybrid_and_every_mode_is_listed(searcher: Searcher) -> None:
    assert set(searcher.modes) == set(MODES)
    assert searcher.search(LAVROV_JA, top_k=3).mode == "hybrid"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", [1, 5, 50])
def test_hits_are_unique_ranked_sorted_at_most_k_and_cite_their_seed_text(searcher, raw_seeds, mode: str, k: int) -> None:
    for question in (LAVROV_EN, LAVROV_JA):
        result = searcher.search(question, top_k=k, mode=mode)
        assert_well_formed(result, k, raw_seeds)
        if mode != "bm25" or question == LAVROV_JA:  # BM25 shares no terms with an English question
            assert len(result.hits) >= min(k, 5)


def test_citation_source_file_is_the_indexed_seed_copy(searcher: Searcher, raw_seeds) -> None:
    for h in searcher.search(LAVROV_JA, top_k=5).hits:
        path = Path(h.citation.source_file)
        assert path.name == f"{h.passage.doc_id}.txt"
        assert path.read_bytes().decode("utf-8")[h.citation.start : h.citation.end] == h.passage.text


@pytest.mark.parametrize("mode", MODES)
def test_a_doc_id_filter_returns_only_that_documents_passages(searcher: Searcher, raw_seeds, mode: str) -> None:
    result = searcher.search(LAVROV_JA, top_k=10, mode=mode, filters=Filters(doc_ids=(D004,)))
    assert result.hits and {h.passage.doc_id for h in result.hits} == {D004}
    assert_well_formed(result, 10, raw_seeds)
    both = searcher.search(LAVROV_JA, top_k=50, mode=mode, filters=Filters(doc_ids=(D000, D003)))
    assert both.hits and {h.passage.doc_id for h in both.hits} <= {D000, D003}


@pytest.mark.parametrize("mode", MODES)
def test_a_date_range_returns_only_articles_published_inside_it_and_never_undated_ones(searcher: Searcher, mode: str) -> None:
    f = Filters(published_from="2025-01-01", published_to="2025-12-31")
    hits = searcher.search(LAVROV_JA, top_k=50, mode=mode, filters=f).hits
    assert hits
    assert all(h.citation.published is not None and "2025-01-01" <= h.citation.published[:10] <= "2025-12-31" for h in hits)
    assert not {h.passage.doc_id for h in hits} & (UNDATED | {D003})  # 003 is from 2023


def test_the_date_range_is_inclusive_on_both_ends(searcher: Searcher) -> None:
    # 000 was published 2025-02-28T19:49; a one-day range on that date keeps it and only it.
    hits = searcher.search(LAVROV_JA, top_k=50, mode="hybrid",
                           filters=Filters(published_from="2025-02-28", published_to="2025-02-28")).hits
    assert hits and {h.passage.doc_id for h in hits} == {D000}
    only_to = searcher.search(LAVROV_JA, top_k=50, mode="bm25", filters=Filters(published_to="2023-03-29")).hits
    assert only_to and {h.passage.doc_id for h in only_to} == {D003}


def test_the_lavrov_quote_from_an_undated_article_is_excluded_by_any_date_filter(searcher: Searcher) -> None:
    unfiltered = searcher.search(LAVROV_JA, top_k=5, mode="hybrid").hits
    assert any(LAVROV_QUOTE in h.passage.text for h in unfiltered)
    for f in (Filters(published_from="1900-01-01"), Filters(published_to="2999-12-31")):
        hits = searcher.search(LAVROV_JA, top_k=50, mode="hybrid", filters=f).hits
        assert hits and not any(h.passage.doc_id in UNDATED for h in hits)


def test_a_filter_that_lets_every_passage_through_ranks_as_no_filter(searcher: Searcher) -> None:
    every = Filters(doc_ids=tuple(searcher.index.docs))
    assert searcher._allowed(every) is None  # the stores' unfiltered search, not their filtered one
    for mode in MODES:
        plain = searcher.search(LAVROV_EN, top_k=10, mode=mode).hits
        assert [(h.passage.passage_id, h.score) for h in searcher.search(LAVROV_EN, top_k=10, mode=mode,
                                                                         filters=every).hits] == \
               [(h.passage.passage_id, h.score) for h in plain]


def test_a_filter_that_matches_nothing_returns_no_hits(searcher: Searcher) -> None:
    for mode in MODES:
        assert searcher.search(LAVROV_JA, top_k=5, mode=mode, filters=Filters(published_from="2030-01-01")).hits == ()


@pytest.mark.parametrize("doc_ids", [("999_nope",), (D000, "nope")])
def test_an_unknown_doc_id_is_a_query_error(searcher: Searcher, doc_ids) -> None:
    with pytest.raises(QueryError, match="nope"):
        searcher.search(LAVROV_EN, top_k=5, filters=Filters(doc_ids=doc_ids))


@pytest.mark.parametrize("field", ["published_from", "published_to"])
@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-02-30", "", 20250101])
def test_a_bad_date_is_a_query_error(searcher: Searcher, field: str, value) -> None:
    with pytest.raises(QueryError, match=field):
        searcher.search(LAVROV_EN, top_k=5, filters=Filters(**{field: value}))


@pytest.mark.parametrize("mode", ["dense", "HYBRID", "st", "e5,use", ""])
def test_an_unknown_mode_is_a_query_error_listing_the_allowed_ones(searcher: Searcher, mode: str) -> None:
    with pytest.raises(QueryError, match="hybrid"):
        searcher.search(LAVROV_EN, top_k=5, mode=mode or " ")


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_is_a_query_error(searcher: Searcher, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        searcher.search(query, top_k=5)


def test_an_overlong_query_is_a_query_error(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="limit"):
        searcher.search("あ" * (searcher.settings.max_query_chars + 1), top_k=5)


@pytest.mark.parametrize("top_k", [0, -1, 51, 10_000, True, 2.0, "5", None])
def test_top_k_outside_1_to_50_is_a_query_error(searcher: Searcher, top_k) -> None:
    with pytest.raises(QueryError, match="top_k"):
        searcher.search(LAVROV_EN, top_k=top_k)


def test_bm25_folds_katakana_variants_so_both_spellings_find_the_same_passages(searcher: Searcher) -> None:
    # 001 spells him both ways, ラブロフ and ラヴロフ: either spelling must find the passages with the other one.
    a = searcher.search("ラヴロフ", top_k=50, mode="bm25").hits
    b = searcher.search("ラブロフ", top_k=50, mode="bm25").hits
    assert a and [h.passage.passage_id for h in a] == [h.passage.passage_id for h in b]
    assert all("ラブロフ" in h.passage.text or "ラヴロフ" in h.passage.text for h in a)
    assert any("ラヴロフ" not in h.passage.text for h in a)  # found by ラヴロフ, spelled only ラブロフ
    assert any("ラブロフ" not in h.passage.text for h in b)  # found by ラブロフ, spelled only ラヴロフ


def test_hybrid_hits_carry_the_per_mode_scores_they_were_fused_from(searcher: Searcher) -> None:
    hits = searcher.search(LAVROV_JA, top_k=5, mode="hybrid").hits
    assert hits and all(set(h.scores) <= {"e5", "use", "bm25", "e5-sparse", "rerank"} and h.scores for h in hits)


@pytest.mark.parametrize("name", ["アンドレイ", "ウォロディミル"])
def test_a_name_found_in_a_single_passage_reaches_the_hybrid_top_5(searcher: Searcher, name: str) -> None:
    lexical = searcher.search(name, top_k=5, mode="bm25").hits
    assert len(lexical) == 1 and name in lexical[0].passage.text  # BM25 alone finds exactly that passage
    hybrid = searcher.search(name, top_k=5, mode="hybrid").hits
    assert lexical[0].passage.passage_id in [h.passage.passage_id for h in hybrid]
