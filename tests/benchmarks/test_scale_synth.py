"""The scale benchmark's synthesiser (benchmarks/scale_synth.py) at a small size: invariants only, never times."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from rag.indexing.build import build_index
from rag.indexing.load import load_index
from rag.retrieval import Searcher
from rag.stores.japanese import default_analyzer

from isolated import isolated_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from scale_synth import RealStats, SynthEmbedder, write_seeds  # noqa: E402

N = 2000


@pytest.fixture(scope="module")
def stats(searcher) -> RealStats:
    return RealStats(searcher.index)


@pytest.fixture(scope="module")
def synthetic(stats: RealStats, tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    docs = write_seeds(root / "seeds", N, stats)
    embedders = {name: SynthEmbedder(name, stats) for name in ("e5", "use")}
    # a low threshold, so that this small corpus takes the approximate path a large one would
    settings = isolated_settings(seeds_dir=root / "seeds", index_dir=root / "index", ann_threshold=500)
    report = build_index(settings, list(embedders.values()))
    return docs, embedders, settings, report


def test_the_synthetic_corpus_has_about_the_asked_number_of_passages(synthetic) -> None:
    docs, _, _, report = synthetic
    assert report.documents == docs and 0.7 * N <= report.passages <= 1.3 * N


def test_stand_in_vectors_are_deterministic_unit_vectors_near_real_ones(stats: RealStats) -> None:
    e5 = SynthEmbedder("e5", stats)
    a, b = e5.encode_passages(["同じ文", "別の文"]), e5.encode_passages(["同じ文"])
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # each lies closer to some real passage vector than two unrelated real passages lie to each other on average
    real = stats.dense["e5"]
    assert float((real @ a[0]).max()) > float((real @ real.T).mean())


def test_stand_in_sparse_rows_use_real_features_in_range(stats: RealStats) -> None:
    e5 = SynthEmbedder("e5", stats)
    for idx, val in e5.encode_sparse(["一", "二", "三"]):
        assert idx.size > 0 and idx.min() >= 0 and idx.max() < e5.sparse_dim and np.all(val > 0)
        assert np.all(np.diff(idx) > 0)


def test_the_synthetic_index_takes_the_approximate_path_and_searches_every_mode(synthetic) -> None:
    _, embedders, settings, report = synthetic
    index = load_index(settings.index_dir, settings.embedders)
    assert index.summary()["faiss_kind"] == "ivf"
    searcher = Searcher(index, embedders, default_analyzer(), settings)
    for mode in searcher.modes:
        hits = searcher.search("What did Lavrov say about an alliance with China?", top_k=10, mode=mode).hits
        rows = [h.passage.passage_id for h in hits]
        assert len(rows) == len(set(rows)) and all(a.score >= b.score for a, b in zip(hits, hits[1:])), mode


def test_approximate_dense_search_finds_most_of_the_exact_top_ten(synthetic) -> None:
    _, embedders, settings, _ = synthetic
    index = load_index(settings.index_dir, settings.embedders)
    overlap = []
    for i in range(30):
        q = embedders["e5"].encode_queries([f"question {i}"])[0]
        approx, _ = index.dense["e5"].search(q, 10)
        exact = np.argsort(-(np.asarray(index.dense["e5"].vectors) @ q), kind="stable")[:10]
        overlap.append(len(set(approx.tolist()) & set(exact.tolist())) / 10)
    assert np.mean(overlap) >= 0.98  # float16 codes rank as float32 does (8-bit codes unre-scored: ~0.95)


def test_every_indexed_term_is_a_drawn_word_so_the_vocabulary_grows_as_designed(synthetic, stats: RealStats) -> None:
    """Words written side by side must not fuse into made-up terms (katakana runs read as one unknown word): the
    index's vocabulary is at most the real vocabulary plus the new words drawn for this size."""
    _, _, settings, _ = synthetic
    store = load_index(settings.index_dir, settings.embedders).bm25
    assert len(store.vocabulary) <= len(stats.terms) + int(12 * N**0.75)


def test_an_ivf_index_grown_far_past_its_training_is_trained_again(synthetic, stats: RealStats, tmp_path: Path) -> None:
    """Incremental builds extend the trained IVF index; once the corpus outgrows the list count it was trained
    with, the next build trains it again for its size (rag/stores/ann.py `outgrown`)."""
    import shutil

    import faiss

    from rag.stores.ann import _nlist

    _, embedders, settings, _ = synthetic
    shutil.copytree(settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    grown = settings.replace(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")

    def add_documents(passages: int, seed: int) -> int:
        write_seeds(tmp_path / f"new-{seed}", passages, stats, seed=seed)
        for path in (tmp_path / f"new-{seed}").iterdir():
            shutil.copy(path, tmp_path / "seeds" / f"{seed}-{path.name}")
        return build_index(grown, list(embedders.values())).passages

    def lists() -> int:
        return faiss.extract_index_ivf(load_index(grown.index_dir, grown.embedders).dense["e5"].index).nlist

    trained = lists()
    assert trained == _nlist(synthetic[3].passages)
    add_documents(N // 10, seed=2)  # a tenth more: the trained index is extended
    assert lists() == trained
    total = add_documents(3 * N // 2, seed=3)  # over twice the passages it was trained for
    assert 2 * trained < _nlist(total) == lists()


def test_an_add_or_remove_shares_the_approximate_indexes_and_scores_the_new_slots_exactly(
        synthetic, stats: RealStats, tmp_path: Path) -> None:
    """A one-document update hard-links the dense and term indexes (rewriting them was ~3 s of a 13 s update at a
    million passages); the new passages, past the index, are found by an exact scan beside it, a removed document's
    are never returned, and once the slots past the index outgrow `exact_tail` the next build extends the index."""
    import json
    import shutil

    from rag.stores.dense import exact_tail

    _, embedders, settings, _ = synthetic
    shutil.copytree(settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    grown = settings.replace(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")

    def live() -> tuple[Path, dict]:
        manifest = json.loads((grown.index_dir / "manifest.json").read_text("utf-8"))
        return grown.index_dir / "builds" / manifest["build"], manifest

    def params(name: str) -> dict:
        return next(c["params"] for c in live()[1]["components"] if c["name"] == name)

    first_dir, _ = live()
    inode = {f: (first_dir / f).stat().st_ino for f in ("faiss.e5.index", "faiss.use.index")}
    covered = params("e5")["index_slots"]
    write_seeds(tmp_path / "one", 40, stats, seed=5)
    [added] = sorted((tmp_path / "one").iterdir())[:1]
    shutil.copy(added, grown.seeds_dir / "zz-added.txt")
    build_index(grown, list(embedders.values()))
    build_dir, _ = live()
    for f in ("faiss.e5.index", "faiss.use.index"):
        assert (build_dir / f).stat().st_ino == inode[f], f
    assert params("e5")["index_slots"] == covered
    index = load_index(grown.index_dir, grown.embedders)
    store = index.dense["e5"]
    assert store.indexed == covered < len(store.slots) and len(store.slots) - covered <= exact_tail(covered)
    new_rows = [r for r in range(len(index.passages)) if index.passages[r].doc_id == "zz-added"]
    assert new_rows
    for row in new_rows[:5]:  # each new passage's own vector finds it first
        rows, _ = store.search(store.row_vectors(np.array([row]))[0], 3)
        assert rows[0] == row

    (grown.seeds_dir / "zz-added.txt").unlink()
    build_index(grown, list(embedders.values()))
    after, _ = live()
    assert (after / "faiss.e5.index").stat().st_ino == inode["faiss.e5.index"]
    index = load_index(grown.index_dir, grown.embedders)
    assert all(p.doc_id != "zz-added" for p in index.passages)
    removed_vector = store.row_vectors(np.array([new_rows[0]]))[0]
    rows, _ = index.dense["e5"].search(removed_vector, 20)
    assert len(rows) == 20 and all(index.passages[r].doc_id != "zz-added" for r in rows.tolist())

    write_seeds(tmp_path / "many", exact_tail(covered) + 100, stats, seed=6)
    for path in (tmp_path / "many").iterdir():
        shutil.copy(path, grown.seeds_dir / f"many-{path.name}")
    build_index(grown, list(embedders.values()))
    grown_dir, _ = live()
    assert (grown_dir / "faiss.e5.index").stat().st_ino != inode["faiss.e5.index"]
    store = load_index(grown.index_dir, grown.embedders).dense["e5"]
    assert store.indexed == len(store.slots) == params("e5")["index_slots"]


def test_an_ivf_index_with_8bit_codes_is_trained_again_with_float16_codes(synthetic, stats: RealStats,
                                                                          tmp_path: Path) -> None:
    """An index built before float16 codes holds 8-bit ones, which search re-scores from the stored vectors. The
    next incremental build must not extend it, which would keep those codes forever, but train it again."""
    import json
    import shutil

    import faiss

    from rag.indexing.manifest import file_entries, write_manifest
    from rag.stores.ann import scores_exact

    _, embedders, settings, _ = synthetic
    shutil.copytree(settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    old = settings.replace(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    manifest = json.loads((old.index_dir / "manifest.json").read_text("utf-8"))
    build_dir = old.index_dir / "builds" / manifest["build"]
    fp16 = faiss.read_index(str(build_dir / "faiss.e5.index"))
    vectors = load_index(old.index_dir, old.embedders).dense["e5"].slots.take(np.arange(fp16.ntotal))
    sq8 = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(fp16.d), fp16.d, fp16.nlist, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    sq8.train(vectors)
    sq8.add(vectors)
    faiss.write_index(sq8, str(build_dir / "faiss.e5.index"))
    manifest["files"]["faiss.e5.index"] = file_entries(build_dir)["faiss.e5.index"]
    for entry in manifest["components"]:  # a build of that time recorded no count: its index covered every slot
        if entry["name"] == "e5":
            del entry["params"]["index_slots"]
    write_manifest(old.index_dir, manifest)
    before = load_index(old.index_dir, old.embedders).dense["e5"]
    assert not scores_exact(before.index) and before.refine > 1

    write_seeds(tmp_path / "new", 50, stats, seed=4)
    for path in (tmp_path / "new").iterdir():
        shutil.copy(path, tmp_path / "seeds" / f"new-{path.name}")
    build_index(old, list(embedders.values()))
    after = load_index(old.index_dir, old.embedders).dense["e5"]
    assert scores_exact(after.index) and after.refine == 1 and after.index.ntotal == after.indexed == len(after.slots)


def test_a_delta_merge_keeps_the_trained_index_and_ranks_the_exact_stores_as_a_full_build(
        synthetic, stats: RealStats, tmp_path: Path, monkeypatch) -> None:
    """Past MAX_SEGMENTS segments (two here) the deltas merge into the fresh segment (at a million passages a
    merge of every slot, FAISS training included, took minutes). The dense IVF index keeps its trained lists, drops
    its entries for the rewritten slots and is extended by them, so each merged passage finds itself; the exact
    stores (sparse head, BM25) rank as a full build of the same seeds does."""
    import json
    import shutil

    import faiss

    from rag.stores import segments
    from rag.stores.dense import exact_tail

    _, embedders, settings, _ = synthetic
    shutil.copytree(settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    grown = settings.replace(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)

    def manifest() -> dict:
        return json.loads((grown.index_dir / "manifest.json").read_text("utf-8"))

    def centroids() -> np.ndarray:
        index = load_index(grown.index_dir, grown.embedders).dense["e5"].index  # kept alive: it owns the lists
        ivf = faiss.extract_index_ivf(index)
        return faiss.downcast_index(ivf.quantizer).reconstruct_n(0, ivf.nlist)

    trained = centroids()
    [base] = manifest()["segments"]
    covered = next(c["params"]["index_slots"] for c in manifest()["components"] if c["name"] == "e5")
    write_seeds(tmp_path / "many", exact_tail(covered) + 100, stats, seed=7)  # past the exact tail: index extended
    for path in (tmp_path / "many").iterdir():
        shutil.copy(path, grown.seeds_dir / f"many-{path.name}")
    build_index(grown, list(embedders.values()))
    assert len(manifest()["segments"]) == 2
    write_seeds(tmp_path / "one", 40, stats, seed=8)
    last = sorted((tmp_path / "one").iterdir())[0]
    shutil.copy(last, grown.seeds_dir / "zz-last.txt")
    encoded: list[str] = []
    for name in ("e5", "use"):
        real = embedders[name].encode_passages
        monkeypatch.setattr(embedders[name], "encode_passages",
                            lambda texts, real=real: encoded.extend(texts) or real(texts))
    build_index(grown, list(embedders.values()))
    # only the new document's passages and sentences are encoded; the merged ones are reused by key
    raw = last.read_text("utf-8")
    assert encoded and all(t[-20:] in raw for t in encoded)
    merged = manifest()
    assert merged["segments"][0] == base and len(merged["segments"]) == 2
    assert merged["segments"][1]["name"] == merged["build"] and merged["segments"][1]["start"] == base["end"]
    np.testing.assert_array_equal(centroids(), trained)  # not trained again
    index = load_index(grown.index_dir, grown.embedders)
    store = index.dense["e5"]
    assert store.indexed == len(store.slots)  # cut back to the base, then extended over the merged slots
    moved = [r for r, p in enumerate(index.passages) if p.doc_id.startswith(("many-", "zz-last"))]
    assert len(moved) > exact_tail(covered)
    for row in moved[:: max(1, len(moved) // 20)]:
        rows, _ = store.search(store.row_vectors(np.array([row]))[0], 3)
        assert rows[0] == row

    full = settings.replace(seeds_dir=grown.seeds_dir, index_dir=tmp_path / "full-index")
    build_index(full, list(embedders.values()), full=True)
    a = Searcher(index, embedders, default_analyzer(), grown)
    b = Searcher(load_index(full.index_dir, full.embedders), embedders, default_analyzer(), full)
    assert [p.passage_id for p in a.index.passages] == [p.passage_id for p in b.index.passages]
    for mode in ("e5-sparse", "bm25"):
        for q in ("What did Lavrov say about an alliance with China?", "中国との同盟について", "港湾 クレーン"):
            x, y = a.search(q, top_k=10, mode=mode).hits, b.search(q, top_k=10, mode=mode).hits
            assert [h.passage.passage_id for h in x] == [h.passage.passage_id for h in y], (mode, q)
            np.testing.assert_allclose([h.score for h in x], [h.score for h in y], rtol=1e-5, atol=1e-6)


def test_a_faiss_file_that_faiss_cannot_read_is_a_corrupt_index_not_a_traceback(synthetic, tmp_path: Path) -> None:
    """A file that passes its checksum but that FAISS cannot read (one written by another FAISS release) made
    faiss.read_index raise RuntimeError out of load_index: a traceback from the CLI, a 500 from a reload."""
    import json
    import shutil

    from rag.errors import IndexCorruptError
    from rag.indexing.manifest import file_entries, write_manifest

    _, _, settings, _ = synthetic
    shutil.copytree(settings.index_dir, tmp_path / "index")
    index_dir = tmp_path / "index"
    manifest = json.loads((index_dir / "manifest.json").read_text("utf-8"))
    build_dir = index_dir / "builds" / manifest["build"]
    (build_dir / "faiss.e5.index").write_bytes(b"IwFl" + bytes(200))  # a header FAISS does not know, then zeros
    manifest["files"]["faiss.e5.index"] = file_entries(build_dir)["faiss.e5.index"]  # and its checksum agrees
    write_manifest(index_dir, manifest)
    with pytest.raises(IndexCorruptError, match=r"e5 cannot be read \(RuntimeError: .*\).*rag index build"):
        load_index(index_dir, settings.embedders)
