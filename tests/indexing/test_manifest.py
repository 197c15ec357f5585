"""The on-disk layout and manifest.json of the session's default index, as index/README.md documents them."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np

from rag import __version__
from rag.indexing.manifest import BUILDS, FORMAT, FORMAT_VERSION, MANIFEST, sha256_file


def _manifest(settings) -> dict:
    return json.loads((Path(settings.index_dir) / MANIFEST).read_text(encoding="utf-8"))


def test_the_manifest_records_format_versions_time_and_counts(built_index) -> None:
    settings, report = built_index
    m = _manifest(settings)
    assert (m["format"], m["format_version"], m["package_version"]) == (FORMAT, FORMAT_VERSION, __version__)
    assert m["created_at"].endswith("Z") and datetime.fromisoformat(m["created_at"].replace("Z", "+00:00"))
    assert m["build"] == report.index_version
    assert m["counts"] == {"documents": 5, "articles": 7, "passages": report.passages}
    assert m["chunker"]["max_tokens"] == settings.chunk_max_tokens and m["chunker"]["overlap"] == settings.chunk_overlap


def test_the_manifest_names_each_embedder_with_its_dim_and_fingerprint(built_index, embedders) -> None:
    settings, _ = built_index
    recorded = [(e["spec"], e["dim"], e["fingerprint"]) for e in _manifest(settings)["embedders"]]
    assert recorded == [(spec, emb.dim, emb.fingerprint) for spec, emb in embedders.items()]


def test_every_file_of_the_build_is_listed_with_its_size_sha256_and_mtime(built_index) -> None:
    settings, _ = built_index
    m = _manifest(settings)
    build = Path(settings.index_dir) / BUILDS / m["build"]
    on_disk = {p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file()}
    assert set(m["files"]) == on_disk
    for rel, entry in m["files"].items():
        stat = (build / rel).stat()
        # a file carried over from a build older than mtimes in the manifest keeps the entry it had
        assert (entry["sha256"], entry["bytes"]) == (sha256_file(build / rel), stat.st_size)
        assert set(entry) <= {"sha256", "bytes", "mtime_ns"}
        assert entry.get("mtime_ns", stat.st_mtime_ns) == stat.st_mtime_ns


def test_each_document_is_recorded_with_the_sha256_of_its_raw_file_and_its_passages(built_index, searcher) -> None:
    settings, _ = built_index
    docs = _manifest(settings)["documents"]
    assert set(docs) == {p.stem for p in Path(settings.seeds_dir).glob("*.txt")}
    for doc_id, entry in docs.items():
        raw = (Path(settings.seeds_dir) / f"{doc_id}.txt").read_bytes()
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest()
        assert entry["passage_count"] == sum(p.doc_id == doc_id for p in searcher.index.passages) > 0


def test_vectors_are_float32_unit_rows_aligned_with_passages(searcher, embedders) -> None:
    for spec, store in searcher.index.dense.items():
        assert store.vectors.dtype == np.float32
        assert store.vectors.shape == (len(searcher.index.passages), embedders[spec].dim)
        np.testing.assert_allclose(np.linalg.norm(store.vectors, axis=1), 1.0, atol=1e-4)
        # exact search scans the vectors; an approximate kind's FAISS index holds every slot
        assert store.index is None if store.kind == "flat" else store.index.ntotal == store.layout.slots


def test_the_index_keeps_each_seeds_raw_text_so_citations_slice_it_exactly(searcher, seeds_dir: Path) -> None:
    index = searcher.index
    for doc_id, doc in index.docs.items():
        assert doc.raw == (seeds_dir / f"{doc_id}.txt").read_bytes().decode("utf-8")
    assert all(index.docs[p.doc_id].raw[p.start : p.end] == p.text for p in index.passages)
