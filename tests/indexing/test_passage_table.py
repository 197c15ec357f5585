"""A loaded index's passages are a table of numbers over its documents' text (rag/indexing/passages.py): each Passage
made from it equals the stored one, and ids find their rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.chunking import ChunkParams, chunk_corpus
from rag.corpus import load_corpus
from rag.indexing import records
from rag.indexing.columns import PASSAGE_COLUMNS, REPEAT, PassageColumns, embedding_key, repeat_key
from rag.indexing.load import load_index
from rag.indexing.manifest import file_entries, write_manifest
from rag.indexing.passages import PassageTable
from rag.indexing.reuse import embed_text


def _build_dir(index_dir: Path) -> Path:
    manifest = json.loads((index_dir / "manifest.json").read_text("utf-8"))
    return index_dir / "builds" / manifest["build"]


def test_every_passage_made_from_the_table_equals_the_chunkers(built_index, searcher) -> None:
    settings, _ = built_index
    stored = chunk_corpus(load_corpus(settings.seeds_dir).documents,
                          ChunkParams(settings.chunk_max_tokens, settings.chunk_overlap))
    table = searcher.index.passages
    assert isinstance(table, PassageTable) and len(table) == len(stored) > 100
    assert list(table) == stored and table == stored
    assert table[-1] == stored[-1] and table[3:6] == stored[3:6]
    with pytest.raises(IndexError):
        table[len(stored)]
    with pytest.raises(TypeError):
        table[1.5]


def test_the_stored_columns_hold_each_passages_keys(built_index, searcher, tmp_path: Path) -> None:
    settings, _ = built_index
    columns = PassageColumns.load(_build_dir(settings.index_dir) / PASSAGE_COLUMNS)
    passages = list(searcher.index.passages)
    assert columns.doc_ids == tuple(searcher.index.docs)
    assert columns.keys() == [embedding_key(embed_text(p.title, p.text, settings.embed_title)) for p in passages]
    # compared as arrays: .tolist() drops a digest's trailing zero bytes; a source row's is its own (never a repeat)
    own = [searcher.index.is_source(p) for p in passages]
    assert sum(own) == 8
    assert (columns.repeat == np.array([repeat_key(f"\0source row {p.passage_id}" if o else p.text)
                                        for p, o in zip(passages, own)], dtype=REPEAT)).all()
    assert columns.ids() == [p.passage_id for p in passages]
    columns.save(tmp_path / "again.npz")
    again = PassageColumns.load(tmp_path / "again.npz")
    for name in ("doc", "article", "start", "end", "tokens", "key", "repeat"):
        stored, read = getattr(columns, name), getattr(again, name)
        assert (read == stored).all() and read.dtype == stored.dtype
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(IndexCorruptError, match="bad.npz cannot be read"):
        PassageColumns.load(tmp_path / "bad.npz")


def test_a_passage_id_finds_its_row_and_anything_else_finds_none(searcher) -> None:
    table = searcher.index.passages
    for row, p in enumerate(table):
        assert table.row_of(p.passage_id) == row
    p = table[7]
    for wrong in (f"{p.doc_id}#{p.start}-{p.end + 1}", f"nope#{p.start}-{p.end}", p.doc_id, f"{p.doc_id}#x-1", "",
                  f"{p.doc_id}#0{p.start}-{p.end}", f"{p.doc_id}#²-{p.end}"):
        assert table.row_of(wrong) is None, wrong


def test_citations_are_made_from_the_table(searcher) -> None:
    index = searcher.index
    for row in (0, len(index.passages) - 1):
        p, c = index.passages[row], index.citation(row)
        doc = index.docs[p.doc_id]
        assert (c.doc_id, c.start, c.end, c.title) == (p.doc_id, p.start, p.end, p.title)
        assert doc.raw[c.start : c.end] == p.text and c.published == doc.article(p.article).published


def test_passages_naming_a_document_the_index_lacks_are_refused_clearly(built_index, tmp_path: Path) -> None:
    settings, _ = built_index
    shutil.copytree(settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".cache"))
    build = _build_dir(tmp_path / "index")
    path = build / records.DOCUMENTS
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join(lines[1:]) + "\n", "utf-8")  # the first document's record is gone
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text("utf-8"))
    manifest["files"][records.DOCUMENTS] = file_entries(build)[records.DOCUMENTS]  # checksummed as written
    write_manifest(tmp_path / "index", manifest)
    with pytest.raises(IndexCorruptError, match="document numbers do not match the index's documents"):
        load_index(tmp_path / "index", settings.embedders)


def test_a_passage_span_outside_its_document_is_refused(searcher) -> None:
    table = searcher.index.passages
    docs = searcher.index.docs
    for change in ({"end": table.end + 10**6}, {"article": table.article + 100}):
        columns = {"doc": table.doc, "article": table.article, "start": table.start, "end": table.end,
                   "tokens": table.tokens, **change}
        with pytest.raises(IndexCorruptError, match="outside its document"):
            PassageTable(docs, **columns)


def test_each_articles_source_rows_are_found_by_their_spans_and_an_older_records_by_their_marker(
        built_index, searcher, tmp_path: Path) -> None:
    index = searcher.index
    found = index.passages.source_rows()
    rows = sorted(r for rs in found.values() for r in rs)
    assert len(rows) == 8 and all(index.passages.is_source(r) for r in rows)  # the seeds' (test_articles.py)
    assert sum(index.passages.is_source(r) for r in range(len(index.passages))) == 8
    every = np.arange(len(index.passages))  # the searches' check of many rows at once says the same, in any order
    assert np.flatnonzero(index.passages.source_mask(every)).tolist() == rows
    assert np.flatnonzero(index.passages.source_mask(every[::-1]))[::-1].tolist() == [len(every) - 1 - r for r in rows]
    for (doc, article), rs in found.items():
        assert all(int(index.passages.doc[r]) == doc and int(index.passages.article[r]) == article for r in rs)
    # a build before CHUNKING_ID v6 stored no source rows: a source block's marker and title were its only ones,
    # and are found by their marker (the lines v6 added are then article text, as that build's BM25 counted them)
    settings, _ = built_index
    shutil.copytree(settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".cache"))
    build = _build_dir(tmp_path / "index")
    path = build / records.DOCUMENTS
    rows_json = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    for row in rows_json:
        for a in row["articles"]:
            del a["source_rows"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows_json), "utf-8")
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text("utf-8"))
    manifest["files"][records.DOCUMENTS] = file_entries(build)[records.DOCUMENTS]
    write_manifest(tmp_path / "index", manifest)
    old = load_index(tmp_path / "index", settings.embedders)
    marked = [p.text for p in old.passages if old.is_source(p)]
    assert len(marked) == 3 and all(t.startswith("【引用・参照・底本】\n") for t in marked)
