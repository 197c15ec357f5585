"""The component contract (rag/components), for every component of the default index: files checked and refused
when damaged, reuse by key, save → load → rank identical, Ranking invariants."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.components import Entry, Ranking
from rag.embedders import vectors_id
from rag.errors import IndexCorruptError
from rag.indexing.load import load_index
from rag.indexing.manifest import BUILDS, read_manifest
from rag.retrieval import Searcher

QUESTIONS = ("What did Lavrov say about an alliance with China?", "ラブロフ外相は中国との同盟について何と言ったか",
             "oil prices and the Strait of Hormuz")


def _entries(settings) -> list[Entry]:
    return [Entry.from_json(row) for row in read_manifest(settings.index_dir)["components"]]


def test_the_default_index_has_one_component_per_signal(built_index) -> None:
    settings, _ = built_index
    assert [(e.name, e.kind) for e in _entries(settings)] == [
        ("e5", "dense"), ("use", "dense"), ("bm25", "bm25"), ("e5-sparse", "sparse"), ("use-align", "align"),
        ("e5-sentences", "sentences")]


def test_every_component_records_the_model_that_made_its_data(built_index, embedders) -> None:
    settings, _ = built_index
    for e in _entries(settings):
        if e.kind not in ("bm25", "sentences"):
            model = embedders[e.params["embedder"]]
            assert e.params["fingerprint"] == vectors_id(model), e.name  # the model, and for e5 its engine


@pytest.fixture(scope="module")
def index_copy(built_index, tmp_path_factory) -> Path:
    settings, _ = built_index
    target = tmp_path_factory.mktemp("contract") / "index"
    shutil.copytree(settings.index_dir, target)
    return target


def test_save_then_load_ranks_identically_for_every_component(searcher, index_copy: Path) -> None:
    again = Searcher(load_index(index_copy, searcher.settings.embedders), searcher.embedders, searcher.analyzer,
                     searcher.settings)
    for mode in searcher.modes:
        for q in QUESTIONS:
            a, b = searcher.search(q, top_k=10, mode=mode), again.search(q, top_k=10, mode=mode)
            assert [h.passage.passage_id for h in a.hits] == [h.passage.passage_id for h in b.hits], (mode, q)
            # scores equal up to float noise: a batched encoder's last bits depend on what shared the batch
            np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits], rtol=1e-5, atol=1e-6)


def _damaged_copy(index_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "index"
    shutil.copytree(index_copy, target)
    return target, target / BUILDS / read_manifest(target)["build"]


@pytest.mark.parametrize("name", ["e5", "use", "bm25", "e5-sparse", "use-align", "e5-sentences"])
def test_a_missing_or_truncated_file_of_any_component_is_refused_naming_it(index_copy: Path, tmp_path: Path,
                                                                            name: str) -> None:
    entry = next(e for e in _entries_of(index_copy) if e.name == name)
    for damage in ("missing", "truncated"):
        target, build = _damaged_copy(index_copy, tmp_path / damage)
        path = build / entry.files[0]
        if damage == "missing":
            path.unlink()
        else:
            path.write_bytes(path.read_bytes()[:-8])
        with pytest.raises(IndexCorruptError, match=entry.files[0].split("/")[-1]):
            load_index(target, ("e5", "use"))


def _entries_of(index_dir: Path) -> list[Entry]:
    return [Entry.from_json(row) for row in read_manifest(index_dir)["components"]]


def test_an_unchanged_rebuild_reuses_every_component_by_key(built_index, embedders, tmp_path: Path) -> None:
    from tests.retrieval.rebuild import rebuild_copy

    report, before, after = rebuild_copy(built_index[0], embedders, tmp_path)
    assert report.embedded == {"e5": 0, "use": 0, "e5-sparse": 0, "use-align": 0, "e5-sentences": 0}
    for spec in ("e5", "use"):
        assert np.array_equal(before.dense[spec].vectors, after.dense[spec].vectors)


def test_ranking_top_keeps_the_best_rows_breaking_ties_by_row() -> None:
    scores = np.array([0.5, 0.9, 0.0, 0.9, 0.2, 0.5], np.float32)
    # best first: 0.9 at rows 1 and 3 (row order), then 0.5 at rows 0 and 5; k=3 keeps row 0 of the tied pair
    top = Ranking.top(scores, 3)
    assert top.rows.tolist() == [1, 3, 0] and top.scores.tolist() == pytest.approx([0.9, 0.9, 0.5])
    # restricted to rows {2, 4, 5}; row 2 scores 0, which is no match
    assert Ranking.top(scores, 5, np.array([2, 4, 5])).rows.tolist() == [5, 4]
    assert Ranking.top(scores, 5, positive=False).rows.tolist() == [1, 3, 0, 5, 4]
    assert Ranking.top(np.zeros(4, np.float32), 3).rows.size == 0
