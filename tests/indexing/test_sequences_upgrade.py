"""An index built before term sequences were stored still loads and searches (the reranker tokenizes instead), and
the next build analyses its passages again so that every passage gets its sequence."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.indexing.build import build_index
from rag.indexing.load import load_index
from rag.retrieval import Searcher
from rag.stores import bm25 as bm25_module
from rag.stores.japanese import default_analyzer

from .helpers import copy_seeds, use_settings_for


def test_an_index_without_sequences_serves_and_the_next_build_adds_them(
        tmp_path: Path, seeds_dir: Path, use_embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_seeds(seeds_dir, tmp_path / "seeds")
    settings = use_settings_for(tmp_path)
    build_sequences = bm25_module.TermSegment.build.__func__
    files = bm25_module.TermSegment.files
    with monkeypatch.context() as m:  # the build as it was: term counts only, no sequence files in the manifest
        m.setattr(bm25_module.TermSegment, "build",
                  classmethod(lambda cls, rows, n, sequences=None: build_sequences(cls, rows, n, None)))
        m.setattr(bm25_module.TermSegment, "files", staticmethod(lambda prefix, sequences=True: files(prefix, False)))
        build_index(settings, [use_embedder])
    old = load_index(settings.index_dir, settings.embedders)
    assert not old.bm25.has_sequences and not any(p.name.startswith("seq_") for p in settings.index_dir.rglob("*"))
    searcher = Searcher(old, {"use": use_embedder}, default_analyzer(), settings)
    hits = searcher.search("ラヴロフ外相は中国との同盟について何と言ったか", top_k=5).hits
    assert hits and "rerank" in hits[0].scores  # the second stage ran, from tokenized candidates

    report = build_index(settings, [use_embedder])
    assert report.embedded.get("use", 0) == 0  # nothing re-embedded: only the analysis is redone
    new = load_index(settings.index_dir, settings.embedders)
    assert new.bm25.has_sequences
    analyzer = default_analyzer()
    assert all(new.bm25.term_sequence(r) == ([] if new.is_source(p) else analyzer.terms(p.text))
               for r, p in enumerate(new.passages))
    again = Searcher(new, {"use": use_embedder}, default_analyzer(), settings)
    assert [h.passage.passage_id for h in again.search("ラヴロフ外相は中国との同盟について何と言ったか", top_k=5).hits] == \
        [h.passage.passage_id for h in hits]
