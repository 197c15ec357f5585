"""The second ranking stage (rag/retrieval/rerank/) on the session's real index: it reorders, never drops, stays sorted
and deterministic, and RAG_RERANK=none gives back the first stage's ranking."""

from __future__ import annotations

import pytest

from rag.errors import ConfigError
from rag.retrieval import Searcher
from rag.retrieval.engine import detect_language
from rag.retrieval.fusion import diversify
from rag.retrieval.rerank import FEATURES
from rag.settings import Settings

QUESTIONS = (
    "What did Lavrov say about an alliance with China?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "For how many years has Russia withstood sanctions pressure?",
    "北朝鮮が最初に核実験を行ったのはいつか",
)


def view(searcher: Searcher, **changes) -> Searcher:
    return Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings.replace(**changes))


def first_stage(searcher: Searcher, query: str):
    """(fused ranking, fused scores, term groups) as the hybrid hands them to the reranker."""
    off = view(searcher, rerank="none")
    lang = detect_language(query)
    question, _, fused, ranked = off._first_stage(query, lang, "hybrid", None, {})
    return lang, ranked, fused, off._term_groups(question)


@pytest.mark.parametrize("query", QUESTIONS)
def test_reranking_reorders_the_candidates_only_and_drops_none(searcher: Searcher, query: str) -> None:
    stage = searcher.reranker
    lang, ranked, fused, groups = first_stage(searcher, query)
    rows, scores, bonus = stage.rerank(query, lang, ranked, fused, groups, {})
    depth = stage.depth
    assert len(ranked) > depth  # the pool is larger than the candidates, so the tail is tested too
    assert sorted(rows) == sorted(ranked) and len(set(rows)) == len(rows)
    assert set(rows[:depth]) == set(ranked[:depth]) and rows[depth:] == ranked[depth:]
    assert set(bonus) == set(ranked[:depth])
    kept = stage.kept(ranked[:depth])
    assert all(bonus[r] >= 0 for r in kept)  # a kept passage only gains; the others may be capped below the kept
    ordered = [scores[r] for r in rows]
    assert all(a >= b for a, b in zip(ordered, ordered[1:])), ordered  # every candidate stays above the tail
    assert all(scores[r] == pytest.approx(fused[r] + bonus.get(r, 0.0)) for r in rows)
    assert stage.rerank(query, lang, ranked, fused, groups, {}) == (rows, scores, bonus)  # deterministic


@pytest.mark.parametrize("query", QUESTIONS)
def test_features_are_bounded_and_one_row_per_candidate(searcher: Searcher, query: str) -> None:
    lang, ranked, _, groups = first_stage(searcher, query)
    cand = searcher.reranker.features(query, lang, ranked[:30], groups)
    assert cand.features.shape == (30, len(FEATURES))
    assert (cand.features >= 0).all() and (cand.features <= 1 + 1e-9).all()
    assert cand.features[:, FEATURES.index("sentence")].max() == pytest.approx(1.0)  # some candidate matches a term


def test_rag_rerank_none_restores_the_first_stage_ranking(searcher: Searcher) -> None:
    off = view(searcher, rerank="none")
    nothing = tuple(f"{f}=0" for f in FEATURES)
    zero = view(searcher, rerank_weights=nothing, rerank_weights_ja=nothing)
    assert off.reranker is None and Settings.from_env({"RAG_RERANK": "none"}).rerank == "none"
    for query in QUESTIONS:
        a, b = off.search(query, top_k=10), zero.search(query, top_k=10)
        assert [(h.passage.passage_id, h.score) for h in a.hits] == [(h.passage.passage_id, h.score) for h in b.hits]
        assert "rerank" not in a.timings and all("rerank" not in h.scores for h in a.hits)
        assert "rerank" in b.timings


def test_a_hybrid_hit_reports_its_rerank_bonus(searcher: Searcher) -> None:
    result = searcher.search(QUESTIONS[0], top_k=5)
    assert result.mode == "hybrid" and "rerank" in result.timings
    assert all(h.scores["rerank"] >= 0 for h in result.hits)
    # the other modes have no second stage
    assert all("rerank" not in h.scores for h in searcher.search(QUESTIONS[0], top_k=5, mode="e5").hits)


def test_reranking_respects_filters(searcher: Searcher) -> None:
    from rag.retrieval import Filters

    doc = searcher.index.passages[0].doc_id
    hits = searcher.search(QUESTIONS[1], top_k=10, filters=Filters(doc_ids=(doc,))).hits
    assert hits and all(h.passage.doc_id == doc for h in hits)


@pytest.mark.parametrize("query", QUESTIONS)
def test_skipping_the_features_that_weigh_zero_changes_no_bonus(searcher: Searcher, query: str) -> None:
    stage = searcher.reranker
    lang, ranked, fused, groups = first_stage(searcher, query)
    head = ranked[: stage.depth]
    full = stage.features(query, lang, head, groups).features  # every feature, as the tuning scripts read them
    _, _, bonus = view(searcher, rerank_keep=0).reranker.rerank(query, lang, ranked, fused, groups, {})
    unit = (fused[head[0]] - fused[head[-1]]) or 1.0
    assert [bonus[r] for r in head] == pytest.approx(list(unit * (full @ stage.weights_for(lang))))
    assert (full[:, [FEATURES.index("sentence"), FEATURES.index("coverage")]] > 0).any()  # they were not all 0


def top_set(searcher: Searcher, rows: list[int], k: int = 5) -> set[str]:
    return {searcher.index.passages[r].passage_id for r in diversify(rows, searcher.index.passages, k)}


def test_the_first_stage_top_five_stay_the_top_five_and_only_their_order_changes(searcher: Searcher) -> None:
    # a weighting far heavier than the default, so that the stage would move passages across rank 5 if it could
    heavy = ("proximity=5", "sentence=5")
    bounded, unbounded = view(searcher, rerank_weights=heavy), view(searcher, rerank_weights=heavy, rerank_keep=0)
    assert bounded.reranker.keep == 5 and unbounded.reranker.keep == 0
    crossed = reordered = 0
    for query in QUESTIONS:
        lang, ranked, fused, groups = first_stage(searcher, query)
        rows, scores, _ = bounded.reranker.rerank(query, lang, ranked, fused, groups, {})
        assert top_set(searcher, rows) == top_set(searcher, ranked)
        ordered = [scores[r] for r in rows]
        assert all(a >= b for a, b in zip(ordered, ordered[1:]))  # kept passages are lifted over the others if need be
        reordered += diversify(rows, searcher.index.passages, 5) != diversify(ranked, searcher.index.passages, 5)
        free, _, _ = unbounded.reranker.rerank(query, lang, ranked, fused, groups, {})
        crossed += top_set(searcher, free) != top_set(searcher, ranked)
    assert reordered > 0  # the bound keeps the set, not the order
    assert crossed > 0  # without the bound this weighting does change which passages make the top five


def test_kept_are_the_first_five_distinct_passages_not_their_overlapping_twins(searcher: Searcher) -> None:
    stage, passages = searcher.reranker, searcher.index.passages
    for query in QUESTIONS:
        _, ranked, _, _ = first_stage(searcher, query)
        head = ranked[: stage.depth]
        kept = stage.kept(head)
        # by hand: walk the candidates; a passage is kept unless it overlaps a kept one by more than half of the
        # shorter (or is near-identical to one), until five are kept
        expected: list[int] = []
        for r in head:
            p = passages[r]
            if len(expected) < 5 and not any(
                    p.doc_id == passages[k].doc_id and min(p.end, passages[k].end) - max(p.start, passages[k].start)
                    > 0.5 * min(p.end - p.start, passages[k].end - passages[k].start) for k in expected):
                expected.append(r)
        assert kept == set(expected)
        assert view(searcher, rerank_keep=0).reranker.kept(head) == frozenset()


@pytest.mark.parametrize("env, name", [({"RAG_RERANK": "cross-encoder"}, "rerank"), ({"RAG_RERANK_DEPTH": "0"}, "rerank_depth"),
                                       ({"RAG_RERANK_KEEP": "-1"}, "rerank_keep"),
                                       ({"RAG_RERANK_WEIGHTS": "sentence=high"}, "rerank_weights"),
                                       ({"RAG_RERANK_WEIGHTS_JA": "proximity"}, "rerank_weights_ja")])
def test_bad_rerank_settings_are_refused(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_an_unknown_feature_weight_is_refused_when_the_searcher_is_made(searcher: Searcher) -> None:
    with pytest.raises(ConfigError, match="unknown feature"):
        view(searcher, rerank_weights=("colour=1",))
    with pytest.raises(ConfigError, match="rerank_weights_ja: unknown feature"):
        view(searcher, rerank_weights_ja=("colour=1",))


def test_japanese_and_english_questions_are_weighed_by_their_own_settings(searcher: Searcher) -> None:
    from rag.retrieval.rerank import DEFAULT_WEIGHTS, DEFAULT_WEIGHTS_JA

    stage = searcher.reranker
    assert list(stage.weights_for("en")) == [DEFAULT_WEIGHTS[f] for f in FEATURES]
    assert list(stage.weights_for("ja")) == [DEFAULT_WEIGHTS_JA[f] for f in FEATURES]
    assert DEFAULT_WEIGHTS_JA["proximity"] > DEFAULT_WEIGHTS["proximity"]
    # each setting reaches its own language only; unnamed features keep that language's defaults
    en_only = view(searcher, rerank_weights=("proximity=0", "sentence=1")).reranker
    ja_only = view(searcher, rerank_weights_ja=("proximity=0.25",)).reranker
    assert list(en_only.weights_for("ja")) == list(stage.weights_for("ja"))
    assert list(en_only.weights_for("en")) == [1.0 if f == "sentence" else 0.0 for f in FEATURES]
    assert list(ja_only.weights_for("en")) == list(stage.weights_for("en"))
    assert ja_only.weights_for("ja")[FEATURES.index("proximity")] == 0.25
    # through the search: a Japanese question's ranking follows the Japanese weights, an English one's does not
    moved = {"ja": 0, "en": 0}
    for query in QUESTIONS:
        lang = detect_language(query)
        a = [h.passage.passage_id for h in searcher.search(query, top_k=10).hits]
        b = [h.passage.passage_id for h in view(searcher, rerank_weights_ja=("proximity=0",)).search(query, top_k=10).hits]
        moved[lang] += a != b
    assert moved["en"] == 0 and moved["ja"] > 0
