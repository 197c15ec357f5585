"""The stores retrieval runs on (rag/stores/): FAISS dense search and Japanese-aware BM25."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError
from rag.stores.bm25 import B, K1, BM25Store, bm25_idf, bm25_idfs
from rag.stores.dense import DenseStore
from rag.stores.japanese import default_analyzer, fold

from .unreadable import Unreadable

DIM = 64


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return _unit(np.random.default_rng(7), 2000)


def test_flat_search_returns_the_exact_top_k_by_inner_product(vectors: np.ndarray) -> None:
    store = DenseStore.build(vectors, "flat")
    queries = _unit(np.random.default_rng(8), 20)
    for q in queries:
        rows, scores = store.search(q, 10)
        truth = np.argsort(-(vectors @ q), kind="stable")[:10]
        assert rows.tolist() == truth.tolist()
        np.testing.assert_allclose(scores, (vectors @ q)[truth], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_every_kind_finds_the_clear_nearest_neighbour(vectors: np.ndarray, kind: str) -> None:
    store = DenseStore.build(vectors, kind)
    rng = np.random.default_rng(9)
    for target in rng.choice(len(vectors), size=25, replace=False):
        q = vectors[target] + 0.05 * _unit(rng, 1)[0]  # much closer to its row than any other random unit vector
        rows, scores = store.search(q / np.linalg.norm(q), 5)
        assert rows[0] == target, (kind, target, rows)
        assert list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_filtered_search_returns_only_allowed_rows_best_first(vectors: np.ndarray, kind: str) -> None:
    store = DenseStore.build(vectors, kind)
    allowed = np.arange(3, len(vectors), 17)
    q = vectors[5]  # row 5 itself is not allowed
    rows, scores = store.search(q, 10, allowed)
    assert len(rows) == 10 and set(rows.tolist()) <= set(allowed.tolist())
    sims = vectors[allowed] @ q
    assert rows.tolist() == allowed[np.argsort(-sims, kind="stable")[:10]].tolist()
    assert store.search(q, 10, np.array([], dtype=np.int64))[0].size == 0


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_a_broad_filter_is_the_stores_own_search_restricted_to_its_rows(vectors: np.ndarray, kind: str) -> None:
    """A filter that allows 1/8 of the rows or more (a date range) is searched as the unfiltered search is (the exact
    codes-first scan; IVF with a FAISS selector), not by copying every allowed vector out. HNSW scans a filter's rows
    exactly: its graph walk under a selector returns the allowed rows it meets, not their best."""
    import faiss

    store = DenseStore.build(vectors, kind)
    if kind == "ivf":
        faiss.extract_index_ivf(store.index).nprobe = 4  # few lists: the index's answers differ from exact ones
    every, queries = np.arange(len(vectors)), _unit(np.random.default_rng(10), 40)
    half = every[every % 2 == 0]
    differ = 0
    for q in queries:
        exact = np.argsort(-(vectors @ q), kind="stable")[:10]
        got, plain = store.search(q, 10, every), store.search(q, 10)
        differ += plain[0].tolist() != exact.tolist()
        if kind == "ivf":  # allowing every row gives exactly what the unfiltered (approximate) search gives
            assert [r.tolist() for r in got] == [r.tolist() for r in plain]
        else:
            assert got[0].tolist() == exact.tolist()
        rows, scores = store.search(q, 10, half)
        assert set(rows.tolist()) <= set(half.tolist()) and list(scores) == sorted(scores, reverse=True)
        if kind != "ivf":
            assert rows.tolist() == half[np.argsort(-(vectors[half] @ q), kind="stable")[:10]].tolist()
    assert differ > 0 if kind == "ivf" else kind == "hnsw" or differ == 0  # ivf: approximate here, and its answer
    # the rows least like the question: the probed lists hold few of them, and the answer is their exact best
    for q in queries[:10]:
        far = np.sort(np.argsort(vectors @ q, kind="stable")[: len(vectors) // 8 + 1])
        rows, _ = store.search(q, 10, far)
        assert rows.tolist() == far[np.argsort(-(vectors[far] @ q), kind="stable")[:10]].tolist()


def test_a_filter_of_many_rows_is_the_stores_own_search_whatever_their_share(vectors: np.ndarray, monkeypatch) -> None:
    """At a million passages a tenth is 100k rows: gathering them cost ~90 ms a dense store, the own search what an
    unfiltered one costs. From GATHER_MAX rows a filter is broad whatever its share (patched small here)."""
    from rag.stores import dense

    store = DenseStore.build(vectors, "ivf")
    calls = []
    among = store._approximate_among
    monkeypatch.setattr(store, "_approximate_among", lambda *a: calls.append(a[2].size) or among(*a))
    tenth = np.arange(0, len(vectors), 10)
    assert tenth.size * dense.BROAD_FILTER < len(vectors) and tenth.size < dense.GATHER_MAX
    q = _unit(np.random.default_rng(12), 1)[0]
    gathered = store.search(q, 10, tenth)
    assert calls == []  # a narrow filter of few rows: gathered and scored exactly
    assert gathered[0].tolist() == tenth[np.argsort(-(vectors[tenth] @ q), kind="stable")[:10]].tolist()
    monkeypatch.setattr(dense, "GATHER_MAX", tenth.size)
    rows, scores = store.search(q, 10, tenth)
    assert calls == [tenth.size]
    assert set(rows.tolist()) <= set(tenth.tolist()) and list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_a_broad_filter_the_index_cannot_answer_is_scanned_exactly_without_copying_the_allowed_vectors(
        vectors: np.ndarray, kind: str, monkeypatch) -> None:
    """HNSW under a filter, or an IVF search whose probed lists hold too few allowed rows, falls back to the exact
    scan. It was a copy of every allowed row's vector, 0.8 GB a request for half of a million rows; now the store's
    exact codes-first scan, restricted to them."""
    import faiss

    store = DenseStore.build(vectors, kind)
    if kind == "ivf":
        faiss.extract_index_ivf(store.index).nprobe = 1
    monkeypatch.setattr(store, "row_vectors", lambda rows: pytest.fail(f"copied {rows.size} allowed vectors"))
    rng = np.random.default_rng(13)
    for q in _unit(rng, 10):
        # the rows least like the question (an IVF probe of its nearest list meets few of them), 1/4 of the store
        far = np.sort(np.argsort(vectors @ q, kind="stable")[: len(vectors) // 4])
        rows, scores = store.search(q, 10, far)
        truth = far[np.argsort(-(vectors[far] @ q), kind="stable")[:10]]
        assert rows.tolist() == truth.tolist()
        np.testing.assert_allclose(scores, vectors[truth] @ q, rtol=1e-5, atol=1e-6)


def test_a_broad_filter_reaches_the_exact_slots_past_the_approximate_index(vectors: np.ndarray) -> None:
    from rag.stores.ann import new_index, training_sample
    from rag.stores.dense import SlotVectors
    from rag.stores.segments import Layout

    index = new_index(vectors[training_sample(np.arange(1500))], "ivf", 1500)
    index.add(vectors[:1500])  # slots 1500.. are the tail an incremental build adds, scored exactly beside the index
    store = DenseStore(SlotVectors([vectors], DIM), Layout.identity(len(vectors), "-"), index, "ivf")
    assert store.indexed == 1500
    rng = np.random.default_rng(11)
    allowed = np.arange(0, len(vectors), 3)
    for target in allowed[allowed >= 1500][:10]:
        q = vectors[target] + 0.05 * _unit(rng, 1)[0]
        rows, _ = store.search(q / np.linalg.norm(q), 5, allowed)
        assert rows[0] == target and set(rows.tolist()) <= set(allowed.tolist())


def test_search_never_returns_more_rows_than_exist() -> None:
    small = _unit(np.random.default_rng(1), 3)
    for kind in ("flat", "hnsw", "ivf"):
        rows, _ = DenseStore.build(small, kind).search(small[0], 10)
        assert sorted(rows.tolist()) == [0, 1, 2], kind
    rows, _ = DenseStore.build(np.zeros((0, DIM), np.float32), "flat").search(small[0], 5)
    assert rows.size == 0


def test_an_unknown_faiss_kind_is_a_config_error(vectors: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="allowed flat, hnsw, ivf"):
        DenseStore.build(vectors, "annoy")


def test_a_saved_dense_store_loads_back_identical(vectors: np.ndarray, tmp_path: Path) -> None:
    store = DenseStore.build(vectors, "hnsw")
    store.save(tmp_path / "v.npy", tmp_path / "f.index")
    again = DenseStore.load(tmp_path / "v.npy", tmp_path / "f.index", "hnsw")
    np.testing.assert_array_equal(again.vectors, vectors)
    q = vectors[11]
    assert store.search(q, 7)[0].tolist() == again.search(q, 7)[0].tolist()


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_an_approximate_search_ranks_by_its_own_scores_without_reading_the_stored_vectors(
        vectors: np.ndarray, kind: str) -> None:
    """float16 IVF codes (and HNSW's flat vectors) score as float32 does, so a search reads none of the stored
    vectors: at a million passages re-scoring from them made every page of both vector files resident."""
    store = DenseStore.build(vectors, kind)
    assert store.refine == 1
    store.slots.parts = [Unreadable(vectors.shape)]
    rng = np.random.default_rng(3)
    for target in rng.choice(len(vectors), size=10, replace=False):
        q = vectors[target] + 0.3 * _unit(rng, 1)[0]
        q /= np.linalg.norm(q)
        rows, scores = store.search(q, 5)
        assert rows[0] == target
        np.testing.assert_allclose(scores, vectors[rows] @ q, atol=2e-3)


def test_an_ivf_index_with_8bit_codes_from_an_older_build_is_still_re_scored_exactly(vectors: np.ndarray) -> None:
    import faiss

    from rag.stores.ann import scores_exact
    from rag.stores.dense import REFINE, Layout, SlotVectors

    old = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(DIM), DIM, 16, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    old.train(vectors)
    old.add(vectors)
    assert not scores_exact(old)
    store = DenseStore(SlotVectors([vectors], DIM), Layout.identity(len(vectors), "-"), old, "ivf")
    assert store.refine == REFINE
    q = vectors[42]
    rows, scores = store.search(q, 10)
    assert rows[0] == 42
    np.testing.assert_allclose(scores, vectors[rows] @ q, rtol=1e-6)  # float32 products, not 8-bit estimates


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_slots_after_the_approximate_index_are_scored_exactly_beside_it(vectors: np.ndarray, kind: str) -> None:
    """An incremental build shares the previous build's index and leaves the slots appended since to an exact scan:
    a tail passage ranks where its exact score puts it, a removed one never shows, and with nothing in the tail
    removed the results equal those of one index over every slot (recall-wise: same top 10 for clear queries)."""
    from rag.stores.ann import new_index, training_sample
    from rag.stores.dense import SlotVectors
    from rag.stores.segments import Layout, Segment

    head, tail = vectors[:1800], vectors[1800:]
    index = new_index(head[training_sample(np.arange(1800))], kind, 1800)
    index.add(head)
    slot_row = np.arange(len(vectors))
    slot_row[1900] = -1  # a removed passage in the tail…
    slot_row[10] = -1  # …and one under the index
    slot_row[slot_row >= 0] = np.arange(len(vectors) - 2)
    layout = Layout(slot_row, [Segment("a", 0, 1800), Segment("b", 1800, len(vectors))])
    store = DenseStore(SlotVectors([head, tail], DIM), layout, index, kind)
    whole = DenseStore(SlotVectors([vectors], DIM), layout, DenseStore.build(vectors, kind).index, kind)
    assert store.indexed == 1800 and whole.indexed == len(vectors)
    rng = np.random.default_rng(11)
    for target in [1850, 1999, 5, 700]:
        q = vectors[target] + 0.05 * _unit(rng, 1)[0]
        q /= np.linalg.norm(q)
        rows, scores = store.search(q, 10)
        assert rows[0] == slot_row[target] and list(scores) == sorted(scores, reverse=True)
        assert rows.tolist() == whole.search(q, 10)[0].tolist()
        tail_rows = rows[rows >= slot_row[1800]]
        np.testing.assert_allclose(scores[rows >= slot_row[1800]], vectors[layout.row_slot[tail_rows]] @ q, rtol=1e-5)
    gone = vectors[1900] + 0.01 * _unit(rng, 1)[0]
    rows, _ = store.search(gone / np.linalg.norm(gone), 50)
    assert -1 not in rows.tolist() and len(rows) == 50 and len(set(rows.tolist())) == 50
    for q in _unit(rng, 5):  # the tail's best are candidates even where the index proposes only its own
        [(slots, sims)] = store.candidates(q[None], 10)
        assert set(np.argsort(-(tail @ q))[:10] + 1800) <= set(slots.tolist())


def test_an_ivf_index_cut_back_and_extended_finds_each_slots_own_vector(vectors: np.ndarray) -> None:
    """A delta merge rewrites the slots after the base: the previous index loses its entries from there on and is
    extended with the slots' new vectors; every slot then finds its own vector, and none of the cut ones. HNSW
    cannot remove entries, so it reports that it must be built again."""
    from rag.stores.ann import cut_index, new_index, training_sample

    index = new_index(vectors[training_sample(np.arange(1500))], "ivf", 1500)
    index.add(vectors[:1500])
    assert cut_index(index, 2000) and index.ntotal == 1500  # nothing past its end to cut
    assert cut_index(index, 1200) and index.ntotal == 1200
    rewritten = vectors[1500:]  # slots 1200.. now hold other vectors
    index.add(rewritten)
    index.nprobe = index.nlist
    _, ids = index.search(np.concatenate([vectors[:1200], rewritten]), 1)
    assert ids[:, 0].tolist() == list(range(1200 + len(rewritten)))
    best, _ = index.search(vectors[1200:1500], 1)  # the cut vectors are gone: none finds itself (score 1)
    assert best.max() < 0.9
    hnsw = new_index(vectors[:100], "hnsw", 100)
    hnsw.add(vectors[:100])
    assert not cut_index(hnsw, 50)


# -- BM25 with the Japanese analyzer ----------------------------------------------------------------------------

PASSAGES = [
    "ラブロフ外相は中国との真の同盟関係の構築について議論すべきだと述べた。",
    "プーチン大統領はトランプ大統領と電話で会談した。",
    "NATO expansion was discussed in Moscow by Foreign Minister Lavrov.",
    "習近平国家主席はモスクワを訪問した。",
]


@pytest.fixture(scope="module")
def bm25() -> BM25Store:
    analyzer = default_analyzer()
    return BM25Store.build([analyzer.terms(t) for t in PASSAGES])


def test_katakana_folding_maps_vu_spellings_to_bu() -> None:
    assert fold("ラヴロフ") == "ラブロフ"
    assert fold("ヴィクトリア・ヌーランド") == "ビクトリア・ヌーランド"
    assert default_analyzer().terms("ラヴロフ") == default_analyzer().terms("ラブロフ") == ["ラブロフ"]


def test_a_passage_spelled_rabrofu_is_found_by_the_query_ravrofu(bm25: BM25Store) -> None:
    scores = bm25.scores(default_analyzer().terms("ラヴロフ"))
    assert scores.argmax() == 0 and scores[0] > 0
    assert (scores[1:] == 0).all()


def test_english_tokens_pass_through_lower_cased() -> None:
    terms = default_analyzer().terms("NATO expansion and Lavrov in Moscow")
    assert {"nato", "expansion", "lavrov", "moscow"} <= set(terms)
    assert "チャイナ" not in default_analyzer().terms("China")  # not turned into katakana by Sudachi
    assert "china" in default_analyzer().terms("China")


def test_an_english_query_term_matches_the_english_passage(bm25: BM25Store) -> None:
    scores = bm25.scores(default_analyzer().terms("LAVROV"))
    assert scores.argmax() == 2 and (np.delete(scores, 2) == 0).all()


def test_unknown_terms_score_zero_everywhere(bm25: BM25Store) -> None:
    assert (bm25.scores(["存在しない語彙"]) == 0).all()
    assert (bm25.scores([]) == 0).all()
    assert bm25.scores(["ラブロフ"]).shape == (len(PASSAGES),)


def test_a_saved_bm25_store_loads_back_with_identical_scores(bm25: BM25Store, tmp_path: Path) -> None:
    bm25.save(tmp_path / "bm25")
    again = BM25Store.load(tmp_path / "bm25", len(PASSAGES))
    for q in ("ラヴロフ", "モスクワ", "Lavrov", "未知"):
        terms = default_analyzer().terms(q)
        np.testing.assert_array_equal(again.scores(terms), bm25.scores(terms))


def test_a_passage_without_terms_keeps_the_rows_aligned() -> None:
    analyzer = default_analyzer()
    store = BM25Store.build([analyzer.terms(t) for t in ["。。。", "ラブロフ外相", "…"]])
    scores = store.scores(analyzer.terms("ラブロフ"))
    assert scores.shape == (3,) and scores.argmax() == 1


def test_japanese_function_words_are_not_bm25_terms() -> None:
    terms = default_analyzer().terms("会談をする。問題がある。ここにいる。大きくなる。その国のため。")
    assert {"為る", "有る", "居る", "成る", "其の", "為"}.isdisjoint(terms), terms


def test_idf_is_bm25s_lucene_idf() -> None:
    # df 1 of 10 rows: log(1 + (10 - 1 + 0.5) / (1 + 0.5)) = log(1 + 9.5 / 1.5) = log(7.3333…)
    assert bm25_idf(1, 10) == pytest.approx(math.log(22 / 3)) and bm25_idf(1, 10).dtype == np.float32
    assert bm25_idf(10, 10) > 0  # a term in every row still counts a little


def test_the_idf_of_many_terms_is_each_terms_own_bit_for_bit(searcher) -> None:
    """bm25_idfs (Qdrant's stored values and group scores) weighs every term exactly as the local store does, in any
    order and with repeated counts."""
    store = searcher.index.bm25
    live = np.flatnonzero(store.df > 0)
    idfs = bm25_idfs(store.df[live], store.size)
    assert idfs.dtype == np.float32 and idfs.tolist() == [store.idf(int(t)) for t in live]
    for n in (1_000_003, 4_123):  # every seventh count of a million passages, every count of a few thousand
        df = np.arange(n, 0, -7 if n > 10_000 else -1)
        assert bm25_idfs(df, n).tolist() == [bm25_idf(d, n) for d in df.tolist()]


@pytest.fixture(scope="module")
def reference(searcher):
    """bm25s's own index over the same passages' terms: what the stored term counts must score like."""
    import bm25s

    from rag.indexing.reuse import embed_text
    from rag.stores.bm25 import EMPTY

    r = bm25s.BM25(k1=K1, b=B)
    passages = searcher.index.passages
    texts = [embed_text(p.title, p.text, searcher.settings.embed_title) for p in passages]
    # a source row is not counted (rag/components/lexical.py): an empty passage there
    r.index([(not searcher.index.is_source(p) and searcher.analyzer.terms(t)) or [EMPTY]
             for p, t in zip(passages, texts)],
            show_progress=False)
    return r


def _ref_scores(reference, terms) -> np.ndarray:
    return np.asarray(reference.get_scores(terms), np.float32)


def test_bm25_scores_from_term_counts_equal_bm25s_own_scores_exactly(searcher, reference) -> None:
    store = searcher.index.bm25
    for q in ("ラブロフ外相は中国との同盟について何と言ったか", "北極海 液化天然ガス 協力 協力", "NATO EU"):
        terms = [t for t in searcher.analyzer.terms(q) if t in store.vocabulary]
        assert terms
        np.testing.assert_array_equal(store.scores(terms), _ref_scores(reference, terms))


def test_bm25_group_scores_take_each_groups_best_term_per_passage(searcher, reference) -> None:
    store = searcher.index.bm25
    vocab = sorted(store.vocabulary)
    groups = [vocab[0:6], vocab[100:103], ["同盟", "連合", "not-a-term"], ["中国"]]
    expected = np.zeros(store.size, np.float32)
    for g in groups:  # the definition: per group, the elementwise maximum of its terms' full score vectors
        known = [t for t in g if t in store.vocabulary]
        if known:
            expected += np.max([_ref_scores(reference, [t]) for t in known], axis=0)
    np.testing.assert_array_equal(store.group_scores(groups), expected)


def _brute_force(vectors: np.ndarray, slot_row: np.ndarray, q: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    """The k best live rows by float64 inner product, ties broken by row: what an exact search must return."""
    live = np.flatnonzero(slot_row >= 0)
    sims = vectors[live].astype(np.float64) @ q.astype(np.float64)
    order = np.lexsort((slot_row[live], -sims))[:k]
    return slot_row[live][order].tolist(), sims[order]


def test_a_large_exact_store_scans_8_bit_codes_first_and_still_returns_the_exact_best(monkeypatch) -> None:
    """At CODED_MIN slots and more, an exact search scores 8-bit codes of every vector and only the rows that can
    be among the k best exactly (rag/stores/dense.py `Codes`). On clustered vectors (scores close together, where a
    fixed number of candidates would miss rows), with exact duplicates (ties across the k-th place), removed slots
    and two segments, it returns the exact k best rows, ties broken by row, with their float32 scores."""
    import rag.stores.dense as dense
    from rag.stores.dense import Codes, SlotVectors
    from rag.stores.segments import Layout, Segment

    rng = np.random.default_rng(3)
    n = dense.CODED_MIN + 3000
    centres = _unit(rng, 30)
    vectors = centres[rng.integers(0, 30, n)] + 0.04 * rng.standard_normal((n, DIM)).astype(np.float32)
    vectors[501:540] = vectors[500]  # forty identical vectors: ties across the 10th and the 100th place
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    slot_row = np.arange(n)
    slot_row[[7, 520, n - 5]] = -1
    slot_row[slot_row >= 0] = np.arange(n - 3)
    half = n // 2
    store = DenseStore(SlotVectors([vectors[:half], vectors[half:]], DIM),
                       Layout(slot_row, [Segment("a", 0, half), Segment("b", half, n)]), None, "flat")
    made = []
    monkeypatch.setattr(dense, "Codes", lambda *a: made.append(Codes(*a)) or made[-1])
    queries = [vectors[500]] + [vectors[i] + 0.02 * _unit(rng, 1)[0] for i in rng.integers(0, n, 25)]
    for q in queries:
        q = (q / np.linalg.norm(q)).astype(np.float32)
        for k in (1, 10, 100):
            rows, scores = store.exact(q, k)
            want_rows, want_scores = _brute_force(vectors, slot_row, q, k)
            assert rows.tolist() == want_rows
            np.testing.assert_allclose(scores, want_scores, atol=1e-5)
    assert len(made) == 1  # made once, at the first search
    codes = made[0]
    q = queries[1] / np.linalg.norm(queries[1])
    # each code score is within the bound of the exact score, and the codes are a quarter of the bytes
    assert np.abs(codes.products(q) - vectors @ q).max() <= codes.bound(q)
    assert sum(p.nbytes for p in codes.parts) * 4 == vectors.nbytes
    # a store below CODED_MIN scans its float32 vectors, and makes no codes
    # (ties across the k-th place broken by row there too: argpartition alone picked any ten of the forty)
    small = DenseStore.build(vectors[: dense.CODED_MIN - 1], "flat")
    for q in (q, vectors[500]):
        assert small.exact(q, 10)[0].tolist() == _brute_force(vectors[: dense.CODED_MIN - 1],
                                                              np.arange(dense.CODED_MIN - 1), q, 10)[0]
    assert len(made) == 1 and small._codes is None
    # a searcher warms its components: the codes are made when an index is loaded or swapped in, not in a question
    from rag.components.dense import DenseComponent

    fresh = DenseStore(SlotVectors([vectors], DIM), Layout.identity(n, "a"), None, "flat")
    DenseComponent("e5", fresh, 1.0).warm()
    assert len(made) == 2 and fresh._codes is made[-1]
    # a store of MMAP_ROWS slots or more (served memory-mapped) makes none: codes would read every vector
    big = DenseStore.build(np.concatenate([vectors] * (dense.MMAP_ROWS // n + 1))[: dense.MMAP_ROWS], "flat")
    big.warm()
    assert len(made) == 2 and big._codes is None
    assert big.exact(q, 1)[1][0] == pytest.approx(float((vectors @ q).max()), abs=1e-5)


def test_a_documents_rows_and_the_terms_their_sentences_hold(searcher) -> None:
    """What a follow-up's own words are looked for in (rag/retrieval/conversation.py `_written_in`): a document's
    passages by binary search, and every term of their stored sentences, as each passage's lookup gives them."""
    passages, store = searcher.index.passages, searcher.index.sentences
    for doc_id in passages.doc_ids:
        rows = passages.rows_of_document(doc_id)
        assert sorted(rows.tolist()) == [r for r in range(len(passages)) if passages.doc_ids[passages.doc[r]] == doc_id]
        assert list(passages.start[rows]) == sorted(passages.start[rows])
        held = frozenset().union(*(t for r in rows.tolist() for t in store.lookup(r).terms))
        assert store.terms_within(rows) == held and held
    assert passages.rows_of_document("no-such-document") is None
