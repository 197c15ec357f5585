"""Incremental builds (rag/indexing/build.py): counts per document, reuse of stored vectors, atomic versions."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rag.embedders import Embedder
from rag.errors import IndexCorruptError, IndexMismatchError, QueryError, RagError
from rag.indexing import records
from rag.chunking import CHUNKING_ID
from rag.indexing.build import BuildReport, build_index
from rag.indexing.columns import PASSAGE_COLUMNS, PassageColumns
from rag.indexing.load import load_index
from rag.indexing.manifest import (BUILDS, FORMAT_VERSION, MANIFEST, file_entries, read_manifest, verify_files,
                                   write_manifest)
from rag.indexing.reuse import embed_text
from rag.retrieval import Filters, Searcher
from rag.runtime import open_searcher
from rag.settings import Settings
from rag.stores.japanese import default_analyzer

from isolated import isolated_settings

from .helpers import Template, copy_seeds, private_copy, use_settings_for

D003 = "003_4dfd093ef708d448"

# A fictional article (a titled, dated headline and three paragraphs), so nothing in the real seeds matches it.
NEW_DOC = "005_lumina_zalz_trade"
NEW_TEXT = """ルミナ共和国とザルツ連邦、自由貿易協定に署名 ― 2025年06月01日 10:00

ルミナ共和国とザルツ連邦は、首都ベルナスで包括的な自由貿易協定に署名した。協定は工業製品の関税を十年かけて段階的に撤廃し、農産物の輸入枠を拡大する内容となっている。

両国の通商相は共同記者会見で、この協定が地域のサプライチェーンを強化し、中小企業の輸出機会を広げると強調した。一方、ルミナ共和国の農業団体は、安価な輸入穀物が国内の生産者を圧迫するとして懸念を表明している。

協定は両国の議会による批准を経て、来年一月に発効する見通しだ。
"""

# Inserted into the body of 003 (the end of that file is a site footer that cleaning drops, so an appended
# paragraph would never reach a passage).
ANCHOR_003 = "プーチンが得たものも大きい。"
INSERTED_003 = ("\n\nなお、オルテシア港湾公社は同日、北極海航路を経由する液化天然ガスの試験輸送を来春に始めると発表し、"
                "オルテシア港の岸壁を延伸する計画も明らかにした。\n\n")


class CountingEmbedder:
    """The Embedder protocol around a real embedder, recording every passage text it is asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.fingerprint = inner.fingerprint
        self.passage_texts: list[str] = []
        self.passage_calls = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls += 1
        self.passage_texts.extend(texts)
        return self.inner.encode_passages(texts)


def _searcher(settings: Settings, embedder: Embedder) -> Searcher:
    return Searcher(load_index(settings.index_dir, settings.embedders), {"use": embedder}, default_analyzer(), settings)


def _doc_ids(hits) -> set[str]:
    return {h.passage.doc_id for h in hits}


@dataclass
class Outcome:
    """One incremental build after an edit of the seeds: its report, what it embedded, and the index before/after."""

    settings: Settings
    report: BuildReport
    embedded_texts: list[str]
    embed_calls: int
    before_keys: list[str]
    before_vectors: np.ndarray
    before_vocabulary: set[str]
    searcher: Searcher

    @property
    def index(self):
        return self.searcher.index

    def keys(self) -> list[str]:
        build = verify_files(self.settings.index_dir, read_manifest(self.settings.index_dir))
        return PassageColumns.load(build / PASSAGE_COLUMNS).keys()

    def texts(self) -> list[str]:
        return [embed_text(p.title, p.text, self.settings.embed_title) for p in self.index.passages]


def _rebuild_after(edit: Callable[[Path], None], root: Path, template: Template, embedder: Embedder) -> Outcome:
    """Copy the template, apply `edit` to the seeds directory, rebuild incrementally with a counting embedder."""
    settings = private_copy(template, root)
    before = verify_files(settings.index_dir, read_manifest(settings.index_dir))
    before_keys = PassageColumns.load(before / PASSAGE_COLUMNS).keys()
    before_index = load_index(settings.index_dir, settings.embedders)
    before_vectors = np.array(before_index.dense["use"].vectors)  # in row order, whatever segments hold them
    before_vocabulary = before_index.bm25.vocabulary
    edit(Path(settings.seeds_dir))
    counting = CountingEmbedder(embedder)
    report = build_index(settings, [counting])
    return Outcome(settings, report, counting.passage_texts, counting.passage_calls, before_keys, before_vectors,
                   before_vocabulary, _searcher(settings, embedder))


def _add_new_doc(seeds: Path) -> None:
    (seeds / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")


def _insert_into_003(seeds: Path) -> None:
    path = seeds / f"{D003}.txt"
    raw = path.read_text(encoding="utf-8")
    assert raw.count(ANCHOR_003) == 1
    path.write_text(raw.replace(ANCHOR_003, ANCHOR_003 + INSERTED_003), encoding="utf-8")


def _remove_003(seeds: Path) -> None:
    (seeds / f"{D003}.txt").unlink()


@pytest.fixture(scope="module")
def unchanged(tmp_path_factory, use_template, use_embedder) -> Outcome:
    return _rebuild_after(lambda seeds: None, tmp_path_factory.mktemp("unchanged"), use_template, use_embedder)


@pytest.fixture(scope="module")
def added(tmp_path_factory, use_template, use_embedder) -> Outcome:
    return _rebuild_after(_add_new_doc, tmp_path_factory.mktemp("added"), use_template, use_embedder)


@pytest.fixture(scope="module")
def changed(tmp_path_factory, use_template, use_embedder) -> Outcome:
    return _rebuild_after(_insert_into_003, tmp_path_factory.mktemp("changed"), use_template, use_embedder)


@pytest.fixture(scope="module")
def removed(tmp_path_factory, use_template, use_embedder) -> Outcome:
    return _rebuild_after(_remove_003, tmp_path_factory.mktemp("removed"), use_template, use_embedder)


def _counts(report: BuildReport) -> tuple[int, int, int, int]:
    return report.added, report.changed, report.removed, report.unchanged


def test_counting_embedder_encodes_exactly_like_the_embedder_it_wraps(use_embedder) -> None:
    counting = CountingEmbedder(use_embedder)
    texts = ["ロシアと中国", "an alliance"]
    np.testing.assert_array_equal(counting.encode_passages(texts), use_embedder.encode_passages(texts))
    np.testing.assert_array_equal(counting.encode_queries(texts), use_embedder.encode_queries(texts))
    assert counting.passage_texts == texts and counting.passage_calls == 1
    assert (counting.name, counting.dim, counting.fingerprint) == (use_embedder.name, use_embedder.dim, use_embedder.fingerprint)


# -- first build and unchanged rebuild --------------------------------------------------------------------------


def test_first_build_adds_every_seed_document_and_embeds_every_passage(use_template) -> None:
    report = use_template.report
    assert _counts(report) == (5, 0, 0, 0)
    assert report.documents == 5 and report.articles == 7
    vocabulary = load_index(use_template.index, ("use",)).bm25.vocabulary  # every term embedded once for alignment
    assert report.embedded == {"use": report.passages, "use-align": len(vocabulary)} and report.passages > 0


def test_rebuilding_unchanged_seeds_embeds_nothing_and_keeps_the_same_passages(unchanged, use_template) -> None:
    assert _counts(unchanged.report) == (0, 0, 0, 5)
    assert unchanged.report.embedded == {"use": 0, "use-align": 0} and unchanged.embed_calls == 0
    assert unchanged.keys() == unchanged.before_keys
    np.testing.assert_array_equal(unchanged.index.dense["use"].vectors, unchanged.before_vectors)
    # a new version all the same: the copy's seeds are in another folder, and each document records its file's path
    assert unchanged.report.index_version != use_template.report.index_version and not unchanged.report.up_to_date


def test_a_rebuild_that_finds_nothing_new_keeps_the_live_version_and_one_that_does_drops_older_builds(
        unchanged, use_template, use_embedder) -> None:
    index_dir = Path(unchanged.settings.index_dir)
    names = lambda: {p.name for p in (index_dir / BUILDS).iterdir()}  # noqa: E731
    manifest = (index_dir / MANIFEST).read_bytes()
    assert names() == {use_template.report.index_version, unchanged.report.index_version}
    killed = ".tmp-20261204T164335625431Z-5549ad"  # what a killed build leaves: its folder and its scratch
    (index_dir / BUILDS / killed).mkdir()
    (index_dir / BUILDS / f"{killed}.carry").mkdir()
    again = build_index(unchanged.settings, [use_embedder])
    assert again.up_to_date and again.as_json()["up_to_date"] is True
    assert again.index_version == unchanged.report.index_version and _counts(again) == (0, 0, 0, 5)
    # not a byte of the live index moved: readers, replicas and a Qdrant push see the same version
    assert (index_dir / MANIFEST).read_bytes() == manifest
    assert names() == {use_template.report.index_version, unchanged.report.index_version}
    _add_new_doc(Path(unchanged.settings.seeds_dir))
    try:
        third = build_index(unchanged.settings, [use_embedder])
        assert not third.up_to_date and third.index_version not in (unchanged.report.index_version, again.index_version)
        assert names() == {unchanged.report.index_version, third.index_version}
        assert read_manifest(index_dir)["build"] == third.index_version
    finally:
        (Path(unchanged.settings.seeds_dir) / f"{NEW_DOC}.txt").unlink()


def test_a_full_rebuild_of_unchanged_seeds_is_a_version_of_its_own(tmp_path, use_template, use_embedder) -> None:
    settings = private_copy(use_template, tmp_path)
    first = build_index(settings, [use_embedder])  # the copy's own paths recorded
    assert build_index(settings, [use_embedder]).index_version == first.index_version
    full = build_index(settings, [use_embedder], full=True)  # an operator's repair: new files, whatever they hold
    assert not full.up_to_date and full.index_version != first.index_version
    assert (full.added, full.changed, full.unchanged) == (0, 0, first.documents)  # it said "added 5, unchanged 0"
    assert read_manifest(settings.index_dir)["build"] == full.index_version


def test_an_index_built_before_the_names_written_alike_gets_them_at_its_next_build_reading_no_passage(
        tmp_path, use_template, use_embedder, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    # the bridge's groups of names written alike (アメリカ, 米国) came after BM25's counts, which do not depend on
    # them: an index whose bridge lacks them keeps its counts, and its next build writes them (no Sudachi pass)
    import rag.components.lexical as lexical
    import rag.components.registry as registry
    import rag.indexing.build as build

    settings = private_copy(use_template, tmp_path)
    real = lexical.build_bridge
    monkeypatch.setattr(lexical, "build_bridge", lambda *a, **k: real(*a, **{**k, "is_name": None}))
    for module in (registry, build):  # the bridge id the code before recorded (raising it re-reads every passage)
        monkeypatch.setattr(module, "BRIDGE_ID", "jmdict+jmnedict/vocab-filtered/v2")
    before = build_index(settings, [use_embedder])  # the bridge as the code before wrote it
    monkeypatch.undo()
    assert load_index(settings.index_dir, settings.embedders).bridge.alike == []
    with caplog.at_level("INFO", logger="rag.components.lexical"):
        after = build_index(settings, [use_embedder])
    assert not after.up_to_date and after.index_version != before.index_version  # the bridge file differs
    assert f"analysed 0 of {after.passages} passages" in caplog.text
    assert load_index(settings.index_dir, settings.embedders).bridge.written_alike("アメリカ") == ["米国"]


# -- adding a document ------------------------------------------------------------------------------------------


def test_adding_a_seed_file_counts_one_added_document(added, use_template) -> None:
    assert _counts(added.report) == (1, 0, 0, 5)
    assert added.report.documents == 6 and added.report.passages > use_template.report.passages


def test_adding_a_seed_file_embeds_only_the_new_documents_passages(added) -> None:
    new_texts = [t for t, p in zip(added.texts(), added.index.passages) if p.doc_id == NEW_DOC]
    assert new_texts and sorted(added.embedded_texts) == sorted(new_texts)
    assert added.report.embedded["use"] == len(new_texts)
    # of the vocabulary, only the terms the new document brought in were embedded
    new_terms = added.index.bm25.vocabulary - added.before_vocabulary
    assert added.report.embedded["use-align"] == len(new_terms) > 0


@pytest.mark.parametrize("mode", ["bm25", "use", "hybrid"])
def test_an_added_document_is_found_by_search(added, mode: str) -> None:
    hits = added.searcher.search("ルミナ共和国とザルツ連邦の自由貿易協定", top_k=3, mode=mode).hits
    assert hits and hits[0].passage.doc_id == NEW_DOC, [h.passage.passage_id for h in hits]


def test_an_added_document_is_found_by_an_english_question(added) -> None:
    hits = added.searcher.search("What did the free trade agreement between Lumina and Zalz remove?", 5, "use").hits
    assert NEW_DOC in _doc_ids(hits)


def test_filters_apply_to_an_added_document(added) -> None:
    hits = added.searcher.search("agreement", top_k=10, mode="use", filters=Filters(doc_ids=(NEW_DOC,))).hits
    assert hits and _doc_ids(hits) == {NEW_DOC}
    # the new article is the only one published on or after 2025-06-01
    dated = added.searcher.search("協定", top_k=10, mode="bm25", filters=Filters(published_from="2025-06-01")).hits
    assert dated and _doc_ids(dated) == {NEW_DOC}


# -- changing a document ----------------------------------------------------------------------------------------


def test_changing_one_file_counts_one_changed_document(changed) -> None:
    assert _counts(changed.report) == (0, 1, 0, 4)


def test_changing_one_file_embeds_only_that_documents_new_passages(changed) -> None:
    before = set(changed.before_keys)
    texts, keys = changed.texts(), changed.keys()
    fresh = [t for t, k in zip(texts, keys, strict=True) if k not in before]
    # Exactly the passages that did not exist before were embedded, each once, all from 003, including the inserted
    # paragraph; 003's untouched passages were reused although their offsets moved.
    assert fresh and sorted(changed.embedded_texts) == sorted(fresh)
    doc_of = dict(zip(texts, (p.doc_id for p in changed.index.passages)))
    assert {doc_of[t] for t in changed.embedded_texts} == {D003}
    assert any("オルテシア" in t for t in changed.embedded_texts)
    assert len(changed.embedded_texts) < sum(1 for p in changed.index.passages if p.doc_id == D003)
    assert changed.report.embedded["use"] == len(fresh)


def test_reused_rows_keep_exactly_their_stored_vectors(changed) -> None:
    old = {k: changed.before_vectors[i] for i, k in enumerate(changed.before_keys)}
    vectors = changed.index.dense["use"].vectors
    reused = [(row, k) for row, k in enumerate(changed.keys()) if k in old]
    assert len(reused) == len(vectors) - len(changed.embedded_texts)
    for row, key in reused:
        np.testing.assert_array_equal(vectors[row], old[key])


def test_after_an_incremental_build_every_row_holds_the_embedding_of_its_own_passage(changed, use_embedder) -> None:
    passages = changed.index.passages
    # every 003 row (new and reused) plus a spread of rows from the other documents
    rows = sorted({i for i, p in enumerate(passages) if p.doc_id == D003} | set(range(0, len(passages), 15)))
    expected = use_embedder.encode_passages([embed_text(passages[i].title, passages[i].text, changed.settings.embed_title) for i in rows])
    np.testing.assert_allclose(changed.index.dense["use"].vectors[rows], expected, atol=1e-5)


def test_a_changed_documents_offsets_slice_the_edited_file(changed) -> None:
    raw = (Path(changed.settings.seeds_dir) / f"{D003}.txt").read_bytes().decode("utf-8")
    mine = [p for p in changed.index.passages if p.doc_id == D003]
    assert mine and all(raw[p.start : p.end] == p.text for p in mine)
    hits = changed.searcher.search("オルテシア港", top_k=3, mode="bm25").hits
    assert hits and hits[0].passage.doc_id == D003 and "オルテシア" in hits[0].passage.text


# -- removing a document ----------------------------------------------------------------------------------------


def test_removing_a_seed_file_counts_one_removed_document_and_embeds_nothing(removed) -> None:
    assert _counts(removed.report) == (0, 0, 1, 4)
    assert removed.report.embedded == {"use": 0, "use-align": 0} and removed.embed_calls == 0


def test_a_removed_document_is_gone_from_the_index_and_the_manifest(removed) -> None:
    assert D003 not in removed.index.docs
    assert all(p.doc_id != D003 for p in removed.index.passages)
    assert D003 not in read_manifest(removed.settings.index_dir)["documents"]


def test_a_removed_document_never_appears_in_results(removed, use_template, use_embedder) -> None:
    # ジョージタウン (Georgetown, the author's university) occurs only in 003: found before, never after.
    before = _searcher(use_settings_for(use_template.seeds.parent), use_embedder)
    assert D003 in _doc_ids(before.search("ジョージタウン大学", top_k=5, mode="bm25").hits)
    assert removed.searcher.search("ジョージタウン大学", top_k=5, mode="bm25").hits == ()
    for mode in ("use", "hybrid"):
        hits = removed.searcher.search("習近平とプーチンの兄弟関係 ジョージタウン大学", top_k=50, mode=mode).hits
        assert hits and D003 not in _doc_ids(hits)
    with pytest.raises(QueryError, match=D003):
        removed.searcher.search("ジョージタウン", top_k=5, filters=Filters(doc_ids=(D003,)))


# -- versions, garbage collection, locking ----------------------------------------------------------------------


def test_a_full_rebuild_keeps_the_previous_build_for_readers_still_opening_it(use_settings, use_embedder) -> None:
    manifest_seen_by_reader = read_manifest(use_settings.index_dir)
    build_index(use_settings, [use_embedder], full=True)
    verify_files(use_settings.index_dir, manifest_seen_by_reader)  # IndexCorruptError: the old build's files are gone


def test_a_build_while_another_holds_the_lock_is_refused(use_settings, use_embedder) -> None:
    import fcntl

    with open(Path(use_settings.index_dir) / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RagError, match="another build is already running"):
            build_index(use_settings, [use_embedder])
    assert not [p for p in (Path(use_settings.index_dir) / BUILDS).iterdir() if p.name.startswith(".tmp-")]


def test_a_build_that_would_remove_most_documents_is_refused_and_changes_nothing(use_settings, use_embedder,
                                                                                  tmp_path: Path) -> None:
    """A mistyped --seeds (a folder with one unrelated text) replaced the whole index and threw its vectors away."""
    before = read_manifest(use_settings.index_dir)
    builds = sorted(p.name for p in (Path(use_settings.index_dir) / BUILDS).iterdir())
    wrong = tmp_path / "wrong-seeds"
    wrong.mkdir()
    (wrong / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
    for full in (False, True):  # measured against the manifest that serves, a full build too
        with pytest.raises(RagError, match=r"would remove 5 of the 5 documents .*RAG_MAX_REMOVED_SHARE=0\.5.*"
                                           r"is '.*wrong-seeds' the right seeds folder\? The index was left as it was"):
            build_index(use_settings.replace(seeds_dir=wrong), [use_embedder], full=full)
    assert read_manifest(use_settings.index_dir) == before
    assert sorted(p.name for p in (Path(use_settings.index_dir) / BUILDS).iterdir()) == builds
    # meant: allowed by the setting (`rag index build --allow-removals`); removing a few is never asked about
    report = build_index(use_settings.replace(seeds_dir=wrong, max_removed_share=1.0), [use_embedder])
    assert report.removed == 5 and report.added == 1


def test_a_manifest_that_cannot_be_read_stops_an_incremental_build_and_full_is_the_way_to_rebuild(
        use_settings, use_embedder, tmp_path: Path) -> None:
    """A hand edit that broke the manifest's JSON let the next build (a mistyped --seeds too) skip the removal check
    and delete every build: one line of warning, exit 0."""
    index = Path(use_settings.index_dir)
    broken = (index / MANIFEST).read_text(encoding="utf-8").rstrip().removesuffix("}")
    (index / MANIFEST).write_text(broken, encoding="utf-8")
    builds = sorted(p.name for p in (index / BUILDS).iterdir())
    wrong = tmp_path / "wrong-seeds"
    wrong.mkdir()
    (wrong / f"{NEW_DOC}.txt").write_text(NEW_TEXT, encoding="utf-8")
    for seeds in (use_settings.seeds_dir, wrong):
        with pytest.raises(IndexCorruptError, match=r"unreadable manifest .*This build was refused and changed "
                                                    r"nothing \(1 build\(s\) kept under builds/\): fix the manifest, "
                                                    r"or rebuild from the seeds with --full"):
            build_index(use_settings.replace(seeds_dir=seeds), [use_embedder])
    assert (index / MANIFEST).read_text(encoding="utf-8") == broken
    assert sorted(p.name for p in (index / BUILDS).iterdir()) == builds
    report = build_index(use_settings, [use_embedder], full=True)  # deliberate: the seeds, whole
    assert report.documents == 5 and read_manifest(index)["build"] == report.index_version


def test_a_build_configured_without_an_embedder_the_index_holds_is_refused_unless_full(use_settings,
                                                                                      use_embedder) -> None:
    """`--embedders e5` over an e5,use index said "unchanged" and wrote an e5-only index; every reader configured as
    before then failed on it (a server with --watch did it by itself at start)."""
    index = Path(use_settings.index_dir)
    before, builds = read_manifest(index), sorted(p.name for p in (index / BUILDS).iterdir())
    other = PosingAsE5(use_embedder, "model-v1")
    with pytest.raises(RagError, match=r"the index holds the embedders \['use'\] and this build is configured with "
                                       r"\['e5'\]: it would drop \['use'\] .*The index was left as it was\. Build "
                                       r"with the index's embedders \(--embedders use,e5, or RAG_EMBEDDERS\), or "
                                       r"rebuild it with only these with --full"):
        build_index(use_settings.replace(embedders=("e5",)), [other])
    assert read_manifest(index) == before and sorted(p.name for p in (index / BUILDS).iterdir()) == builds
    report = build_index(use_settings.replace(embedders=("e5",)), [other], full=True)
    assert [e["name"] for e in read_manifest(index)["embedders"]] == ["e5"] and report.documents == 5


def test_documents_indexed_with_nothing_or_little_to_find_are_named_in_the_builds_warnings(use_settings,
                                                                                          use_embedder) -> None:
    """A copy of a seed under another name (every passage a repeat) and a seed that cleaning mostly left out were
    "added" without a word; a search filtered to either found nothing."""
    seeds = Path(use_settings.seeds_dir)
    source = sorted(seeds.glob("000_*.txt"))[0]
    (seeds / "zz_copy.txt").write_bytes(source.read_bytes())
    linked = sorted(seeds.glob("003_*.txt"))[0]
    urls = "".join(f"https://example.com/news/2025/{i:04d}/an-article-someone-linked-to\n" for i in range(60))
    linked.write_text(linked.read_text(encoding="utf-8") + "\n" + urls, encoding="utf-8")
    report = build_index(use_settings, [use_embedder])
    assert report.added == 1 and report.changed == 1
    assert ("zz_copy: no passages: each one repeats a passage of another document, which holds it (a copy of a seed "
            "under another name?)") in report.warnings
    (thin,) = [w for w in report.warnings if w.startswith(linked.stem)]
    assert re.fullmatch(rf"{linked.stem}: [\d,]+ of its [\d,]+ characters were left out of its passages \(links "
                        r"[\d,]+.*\); `rag chunks` shows what was left out and why", thin), thin
    # the other seeds, whose repeats and page chrome are left out, are not named; those without a date are
    undated = [w for w in report.warnings if "no publication date found" in w]
    assert len(report.warnings) == 2 + len(undated)
    assert sorted(w.split(":")[0] for w in undated) == ["001_9c689277a1938a75", "002_4bfa712dfd589490"], undated
    # an undated article in a document whose other one is dated (a reviewer's: only a wholly undated document was named)
    dated = sorted(seeds.glob("004_*.txt"))[0]
    dated.write_text(dated.read_text(encoding="utf-8").replace("中・露共同声明2025年05月10日 23:25", "中・露共同声明"),
                     encoding="utf-8")
    report = build_index(use_settings, [use_embedder])
    assert [w for w in report.warnings if w.startswith(dated.stem)] == [
        f"{dated.stem}: article 2 ('1. 中国とロシアの共同声明の意義') has no publication date (write one at the end of the "
        "title's line, or on a line of its own under it, as 2025年11月17日 06:30; published_from / published_to never "
        "match it)"]


def test_a_seed_that_cannot_be_read_stops_the_build_instead_of_dropping_its_document(use_settings, use_embedder,
                                                                                    monkeypatch) -> None:
    import errno

    before = read_manifest(use_settings.index_dir)
    doc = next(iter(before["documents"]))
    path = Path(use_settings.seeds_dir) / f"{doc}.txt"
    # a disk error on one seed (a link to /proc/self/mem did it once; a link out of the folder is not read now)
    read_bytes = Path.read_bytes

    def failing(self: Path) -> bytes:
        if self == path:
            raise OSError(errno.EIO, "Input/output error")
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", failing)
    with pytest.raises(RagError, match=rf"seed .*{doc}\.txt cannot be read \(Input/output error\); fix it, or move "
                                       r"it out of .* \(nothing was changed\)"):
        build_index(use_settings, [use_embedder])
    assert read_manifest(use_settings.index_dir) == before


def test_a_folder_that_holds_other_things_is_not_made_an_index_and_nothing_of_it_is_removed(
        tmp_path: Path, use_template: Template, use_embedder) -> None:
    kept = tmp_path / "project" / BUILDS / "release-1.0"
    kept.mkdir(parents=True)
    (kept / "app.tar").write_text("artifact")
    settings = use_settings_for(tmp_path).replace(seeds_dir=use_template.seeds, index_dir=tmp_path / "project")
    with pytest.raises(RagError, match=r"holds no index but other things \(builds/release-1\.0\); name an empty "
                                       r"folder, or the folder of an existing index"):
        build_index(settings, [use_embedder])
    assert (kept / "app.tar").read_text() == "artifact" and not (tmp_path / "project" / "manifest.json").exists()
    # in an index's own builds/, a folder that is not a build's is left where it is by the builds' cleanup
    index = tmp_path / "index"
    shutil.copytree(use_template.index, index)
    mine = index / BUILDS / "notes"
    mine.mkdir()
    for _ in range(3):
        build_index(settings.replace(index_dir=index), [use_embedder], full=True)
    assert mine.is_dir() and len([p for p in (index / BUILDS).iterdir() if p.name != "notes"]) == 2


@pytest.mark.parametrize("change", [{"chunk_overlap": 3}, {"chunk_max_tokens": 120}])
def test_a_rebuild_with_other_chunker_settings_chunks_every_document_again(
        change: dict[str, int], use_settings: Settings, use_embedder, tmp_path: Path) -> None:
    build_index(use_settings, [use_embedder])  # settles the copy's seed paths, so the next build can reuse documents
    before = [p.text for p in load_index(use_settings.index_dir, use_settings.embedders).passages]
    settings = use_settings.replace(**change)
    build_index(settings, [use_embedder])  # incremental: the seeds are unchanged, only the chunker's settings are not
    full_settings = settings.replace(index_dir=tmp_path / "full-index")
    build_index(full_settings, [use_embedder], full=True)
    incremental, full = (load_index(s.index_dir, s.embedders).passages for s in (settings, full_settings))
    assert [p.text for p in full] != before  # the new settings do chunk the seeds differently
    assert [(p.passage_id, p.text) for p in incremental] == [(p.passage_id, p.text) for p in full]


def test_a_build_after_one_made_by_other_chunking_code_chunks_every_document_again(
        tmp_path: Path, use_template: Template, use_embedder, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    from rag.indexing import reuse

    chunked: list[str] = []
    real, real_keys = reuse.chunk_document, reuse.LineKeys.load
    stored_keys_read: list[Path] = []

    def counting(doc, params):
        chunked.append(doc.doc_id)
        return real(doc, params)

    def reading_keys(path):
        stored_keys_read.append(path)
        return real_keys(path)

    monkeypatch.setattr(reuse, "chunk_document", counting)
    monkeypatch.setattr(reuse.LineKeys, "load", reading_keys)
    settings = private_copy(use_template, tmp_path / "copy")
    build_index(settings, [use_embedder])  # settles the copy's seed paths: nothing is chunked again
    assert chunked == [] and len(stored_keys_read) == 1  # the boilerplate came from the stored line keys
    index_dir = Path(settings.index_dir)
    manifest = read_manifest(index_dir)
    manifest["chunker"] = {**manifest["chunker"], "chunking": "an older id"}  # as an index built by older code
    write_manifest(index_dir, manifest)
    with caplog.at_level("WARNING", logger="rag.indexing.load"):
        load_index(index_dir, settings.embedders)  # still served as built, with a warning that says what to run
    assert "chunked by other code" in caplog.text and "rag index build" in caplog.text
    counting_embedder = CountingEmbedder(use_embedder)
    with caplog.at_level("INFO", logger="rag.components.lexical"):
        report = build_index(settings, [counting_embedder])
    # nor term counts: which passages are source rows (no terms) is the cleaning's, so every passage is analysed
    assert "bm25: the previous index was chunked by other code (an older id)" in caplog.text
    assert len(stored_keys_read) == 1  # line keys of other cleaning code are not trusted: the boilerplate is found afresh
    assert sorted(chunked) == sorted(load_index(index_dir, settings.embedders).docs)  # every document
    assert report.unchanged == 5 and counting_embedder.passage_texts == []  # the same passages: every vector reused
    assert read_manifest(index_dir)["chunker"]["chunking"] == CHUNKING_ID
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full")


class PosingAsE5:
    """USE under the name "e5" (an index built with e5 stores the answers' sentences, and USE encodes in a fraction
    of e5's time), with a fingerprint of our choosing; `sign=-1` negates every vector, so a stale one shows."""

    def __init__(self, inner: Embedder, fingerprint: str, sign: int = 1) -> None:
        self.inner, self.name, self.dim, self.fingerprint, self.sign = inner, "e5", inner.dim, fingerprint, sign

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.sign * self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.sign * self.inner.encode_passages(texts)


def test_a_new_model_re_encodes_the_answer_sentences_as_well_as_the_passages(tmp_path: Path, seeds_dir: Path,
                                                                              use_embedder) -> None:
    copy_seeds(seeds_dir, tmp_path / "seeds")
    settings = isolated_settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", embedders=("e5",))
    build_index(settings, [PosingAsE5(use_embedder, "model-v1")])
    upgraded = PosingAsE5(use_embedder, "model-v2", sign=-1)
    build_index(settings, [upgraded])  # incremental: the seeds are unchanged, the model is not
    index = load_index(settings.index_dir, settings.embedders)
    assert {p.fingerprints["e5"] for p in index.sentences.parts} == {"model-v2"}
    for row in (0, len(index.passages) - 1):
        text, stored = index.passages[row].text, index.sentences.lookup(row)
        expected = upgraded.encode_passages([text[sp.start:sp.end] for sp in stored.spans])
        np.testing.assert_allclose(stored.vectors["e5"], expected, atol=1e-5)


def test_a_build_over_a_damaged_live_build_makes_the_damaged_part_again_and_reuses_the_rest(
        use_settings: Settings, use_embedder, caplog) -> None:
    live = verify_files(use_settings.index_dir, read_manifest(use_settings.index_dir))
    vectors = next(live.glob("seg/*/vectors.use.npy"))
    data = bytearray(vectors.read_bytes())
    data[-5] ^= 0x40  # same size: only its checksum (and its mtime) can tell
    vectors.write_bytes(bytes(data))
    _add_new_doc(Path(use_settings.seeds_dir))
    report = build_index(use_settings, [use_embedder])
    assert "use data is not reusable" in caplog.text and "vectors.use.npy" in caplog.text
    assert report.embedded["use"] == report.passages  # nothing was carried over from the damaged file
    # the term alignment's files were intact: only the new document's terms are embedded (it re-embedded all ~1,950
    # when one damaged file made the whole previous build unusable)
    assert 0 < report.embedded["use-align"] < 200
    index = load_index(use_settings.index_dir, use_settings.embedders)  # checks every checksum
    assert NEW_DOC in {p.doc_id for p in index.passages}


def test_a_build_over_a_live_build_whose_passage_table_is_damaged_starts_afresh(use_settings: Settings, use_embedder,
                                                                                  caplog) -> None:
    live = verify_files(use_settings.index_dir, read_manifest(use_settings.index_dir))
    (live / PASSAGE_COLUMNS).write_bytes((live / PASSAGE_COLUMNS).read_bytes()[:-100])  # what every part stands on
    report = build_index(use_settings, [use_embedder])
    assert "previous index is not reusable, building from scratch" in caplog.text and PASSAGE_COLUMNS in caplog.text
    assert report.embedded["use"] == report.passages and report.embedded["use-align"] > 1000


QUESTIONS = ("What did Lavrov say about an alliance with China?", "ラブロフ外相は中国との同盟について何と言ったか",
             "free trade agreement tariffs", "北極海航路の液化天然ガス", "sanctions on Iran")


@pytest.mark.parametrize("outcome", ["added", "changed", "removed"])
def test_an_incremental_build_ranks_exactly_like_a_full_build_of_the_same_seeds(
        outcome: str, request, tmp_path: Path, use_embedder) -> None:
    incremental: Outcome = request.getfixturevalue(outcome)
    full_settings = incremental.settings.replace(index_dir=tmp_path / "full-index")
    build_index(full_settings, [use_embedder], full=True)
    full = _searcher(full_settings, use_embedder)
    assert [p.passage_id for p in full.index.passages] == [p.passage_id for p in incremental.index.passages]
    for mode in full.modes:
        for q in QUESTIONS:
            a, b = incremental.searcher.search(q, top_k=10, mode=mode), full.search(q, top_k=10, mode=mode)
            assert [h.passage.passage_id for h in a.hits] == [h.passage.passage_id for h in b.hits], (mode, q)
            np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("outcome", ["added", "changed", "removed"])
def test_after_an_incremental_build_every_passage_keeps_its_own_terms_in_order(outcome: str, request) -> None:
    index = request.getfixturevalue(outcome).index
    analyzer = default_analyzer()
    assert index.bm25.has_sequences
    sources = 0
    for row, passage in enumerate(index.passages):  # reused rows carry their sequence, remapped to the new ids
        source = index.is_source(passage)  # a source row is not counted
        sources += source
        assert index.bm25.term_sequence(row) == ([] if source else analyzer.terms(passage.text)), passage.passage_id
    assert sources == 8  # the seeds' (tests/corpus/test_articles.py)


def _same_as_a_full_build(settings: Settings, embedder: Embedder, root: Path) -> None:
    """The index at settings ranks exactly as a full build of the same seeds (every mode, the test questions)."""
    full_settings = settings.replace(index_dir=root / "full-index")
    build_index(full_settings, [embedder], full=True)
    full, incremental = _searcher(full_settings, embedder), _searcher(settings, embedder)
    assert list(incremental.index.passages) == list(full.index.passages)
    assert incremental.index.bridge == full.index.bridge  # its table, names and the acronyms the passages define
    for mode in full.modes:
        for q in QUESTIONS:
            a, b = incremental.search(q, top_k=10, mode=mode), full.search(q, top_k=10, mode=mode)
            assert [h.passage.passage_id for h in a.hits] == [h.passage.passage_id for h in b.hits], (mode, q)
            np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits], rtol=1e-5, atol=1e-6)


def test_a_new_document_repeating_a_kept_ones_passages_takes_them_over_as_a_full_build_does(
        tmp_path: Path, use_template: Template, use_embedder) -> None:
    """A passage repeating an earlier one (in file order) is dropped. A new file that sorts before 003 and repeats
    its text takes 003's passages, although 003 itself is unchanged and its rows are reused; when the copy goes,
    003 gets them back."""
    settings = private_copy(use_template, tmp_path / "copy")
    seeds = Path(settings.seeds_dir)
    raw = (seeds / f"{D003}.txt").read_text(encoding="utf-8")
    (seeds / "0025_copy_of_003.txt").write_text(raw, encoding="utf-8")
    report = build_index(settings, [use_embedder])
    assert (report.added, report.unchanged) == (1, 5)
    index = load_index(settings.index_dir, settings.embedders)
    assert not [p for p in index.passages if p.doc_id == D003]
    assert [p.text for p in index.passages if p.doc_id == "0025_copy_of_003"]
    _same_as_a_full_build(settings, use_embedder, tmp_path / "with-copy")
    (seeds / "0025_copy_of_003.txt").unlink()
    counting = CountingEmbedder(use_embedder)
    build_index(settings, [counting])
    assert counting.passage_texts == []  # 003's passages are back, with the vectors the copy's rows held
    assert [p.doc_id for p in load_index(settings.index_dir, settings.embedders).passages].count(D003) > 0
    _same_as_a_full_build(settings, use_embedder, tmp_path / "without-copy")


def test_an_index_of_the_previous_format_is_refused_for_serving_and_updated_by_a_plain_build(
        tmp_path: Path, use_template: Template, use_embedder) -> None:
    """Format 3 kept passages.jsonl: a server refuses it with the fix, a plain build reuses every vector."""
    settings = private_copy(use_template, tmp_path / "old")
    index_dir = Path(settings.index_dir)
    manifest = read_manifest(index_dir)
    build = index_dir / BUILDS / manifest["build"]
    before = list(load_index(index_dir, settings.embedders).passages)
    keys = PassageColumns.load(build / PASSAGE_COLUMNS).keys()
    lines = [{**dataclasses.asdict(p), "embed_key": key} for p, key in zip(before, keys)]  # format 3's lines
    (build / records.PASSAGES).write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in lines), "utf-8")
    (build / PASSAGE_COLUMNS).unlink()
    manifest["format_version"] = 3
    manifest["files"] = file_entries(build)
    write_manifest(index_dir, manifest)
    with pytest.raises(IndexMismatchError, match="format version 3 .* update it with: rag index build"):
        load_index(index_dir, settings.embedders)
    old = tmp_path / "old-copy"
    shutil.copytree(index_dir, old)
    counting = CountingEmbedder(use_embedder)
    report = build_index(settings, [counting])
    assert counting.passage_texts == [] and report.unchanged == 5
    assert list(load_index(index_dir, settings.embedders).passages) == before
    verify_files(index_dir, manifest)  # the format-3 build is kept for readers still opening it, as any previous one
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full")
    # what `rag serve` does with it: updates it as it builds a missing one, then serves
    counting = CountingEmbedder(use_embedder)
    served = open_searcher(settings.replace(index_dir=old), build_if_missing=True, embedders={"use": counting})
    assert counting.passage_texts == [] and read_manifest(old)["format_version"] == FORMAT_VERSION
    assert list(served.index.passages) == before


def test_a_one_document_update_splits_only_that_documents_lines(tmp_path: Path, use_template: Template, use_embedder,
                                                                monkeypatch) -> None:
    """The corpus-wide boilerplate rule counts the line-key digests stored for unchanged documents
    (rag/indexing/linekeys.py): only the new file is split into lines, and the index equals a full build's."""
    from rag.indexing import reuse

    settings = private_copy(use_template, tmp_path / "copy")
    split: list[str] = []
    real = reuse.split_lines
    monkeypatch.setattr(reuse, "split_lines", lambda raw: split.append(raw) or real(raw))
    _add_new_doc(Path(settings.seeds_dir))
    build_index(settings, [use_embedder])
    assert split == [NEW_TEXT]
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full")


def test_a_line_that_becomes_boilerplate_is_found_from_every_documents_lines_as_a_full_build_does(
        tmp_path: Path, use_template: Template, use_embedder) -> None:
    """New files that bring a line into half the documents make it boilerplate: the stored digests show the set
    changed, every document is cleaned again without that line, and the index equals a full build's."""
    from rag.corpus.lines import norm
    from rag.indexing.linekeys import LINE_KEYS, LineKeys

    settings = private_copy(use_template, tmp_path / "copy")
    seeds = Path(settings.seeds_dir)
    before = read_manifest(settings.index_dir)["boilerplate"]
    notice = "この記事はルミナ通信の提供です。無断転載を禁じます。"
    existing = len(list(seeds.glob("*.txt")))
    for i in range(existing):
        (seeds / f"00{6 + i}_notice_{i}.txt").write_text(
            f"ザルツ連邦の港湾{i}号埠頭で新しいクレーンが稼働 ― 2025年06月0{1 + i}日 10:00\n\n{notice}\n\n"
            f"ザルツ連邦の港湾公社は、{i}号埠頭に設置した大型クレーンの運用を始めたと発表した。"
            f"荷役の時間は{10 + i}パーセント短くなる見込みだという。\n", encoding="utf-8")
    report = build_index(settings, [use_embedder])
    assert report.added == existing
    manifest = read_manifest(settings.index_dir)
    assert manifest["boilerplate"] != before
    stored = LineKeys.load(settings.index_dir / BUILDS / manifest["build"] / LINE_KEYS)
    assert stored is not None and norm(notice) in stored.boilerplate
    passages = load_index(settings.index_dir, settings.embedders).passages
    assert [p for p in passages if p.doc_id.startswith("00") and "notice" in p.doc_id]
    assert not [p for p in passages if notice in p.text]
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full")


def test_too_many_segments_merge_the_deltas_keep_the_base_shared_and_rank_as_a_full_build(
        tmp_path: Path, use_template: Template, use_embedder, monkeypatch) -> None:
    """A build that would leave more than MAX_SEGMENTS segments merges the deltas into its fresh segment
    (rag/stores/segments.py, here with at most two): the base segment's files stay shared (the same inodes), the
    merged passages and terms are reused by key, and the index ranks exactly as a full build of the same seeds."""
    from rag.stores import segments

    settings = private_copy(use_template, tmp_path / "copy")
    seeds, index_dir = Path(settings.seeds_dir), Path(settings.index_dir)
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)
    _add_new_doc(seeds)
    build_index(settings, [use_embedder])
    manifest = read_manifest(index_dir)
    base = manifest["segments"][0]
    assert len(manifest["segments"]) == 2
    base_dir = index_dir / BUILDS / manifest["build"] / segments.SEG_DIR / base["name"]
    inodes = {f.relative_to(base_dir): f.stat().st_ino for f in base_dir.rglob("*") if f.is_file()}
    assert inodes
    _insert_into_003(seeds)
    counting = CountingEmbedder(use_embedder)
    build_index(settings, [counting])
    merged = read_manifest(index_dir)
    fresh = {"name": merged["build"], "start": base["end"], "end": merged["segments"][1]["end"]}
    assert merged["segments"] == [base, fresh]
    kept_dir = index_dir / BUILDS / merged["build"] / segments.SEG_DIR / base["name"]
    assert {f: (kept_dir / f).stat().st_ino for f in inodes} == inodes
    align = next(c for c in merged["components"] if c["kind"] == "align")
    assert [seg["name"] for seg in align["params"]["segments"]] == [base["name"], merged["build"]]
    index = load_index(index_dir, settings.embedders)
    layout = segments.Layout.load(index_dir / BUILDS / merged["build"], merged["segments"])
    in_merged = [index.passages[r].doc_id for r in layout.slot_row[base["end"]:].tolist()]
    assert set(in_merged) == {NEW_DOC, D003} and layout.slot_row[base["end"]:].tolist() == sorted(
        layout.slot_row[base["end"]:].tolist())
    # the new document's passages were merged, reused by key: none is encoded again ("ベルナス" is only in its
    # body; 003's new passages are encoded). A USE-only index has no sentence store: test_scale_synth.py checks it
    assert any(ANCHOR_003[:8] in t or "オルテシア" in t for t in counting.passage_texts)
    assert not [t for t in counting.passage_texts if "ベルナス" in t]
    _same_as_a_full_build(settings, use_embedder, tmp_path / "full")


def test_a_term_index_grown_far_past_its_training_is_trained_again(tmp_path: Path, use_template: Template,
                                                                   use_embedder, monkeypatch) -> None:
    """As the dense IVF index: a term index extended build after build is trained again once the vocabulary has
    outgrown the list count it was trained for (`outgrown`; more than twice the terms at this size), and every term
    is still proposed for its own vector (the seeds' vocabulary takes the approximate path with the threshold
    lowered)."""
    import itertools
    import string

    import faiss

    from rag.components import align as align_component
    from rag.stores import align as align_store
    from rag.stores.ann import _nlist

    for module in (align_component, align_store):
        monkeypatch.setattr(module, "ANN_TERMS", 100)
    settings = private_copy(use_template, tmp_path / "copy")
    build_index(settings, [use_embedder])  # the alignment now stores its approximate index over every term

    def lists() -> tuple[int, int]:
        aligner = load_index(settings.index_dir, settings.embedders).align["use"]
        return faiss.extract_index_ivf(aligner._ann_index).nlist, len(aligner.terms)

    trained, terms = lists()
    # enough new Latin words (each a BM25 term) to take the vocabulary past twice the size the lists were made for
    letters = itertools.product(string.ascii_lowercase, repeat=3)
    words = ["zq" + "".join(w) for w in itertools.islice(letters, terms + 200)]
    body = "\n\n".join(" ".join(words[i : i + 12]) + "." for i in range(0, len(words), 12))
    (Path(settings.seeds_dir) / "954_word_list.txt").write_text(f"Word list ― 2025年04月04日 10:00\n\n{body}\n", "utf-8")
    build_index(settings, [use_embedder])
    retrained, grown = lists()
    assert grown >= terms + len(words) and retrained == _nlist(grown) > 2 * trained
    aligner = load_index(settings.index_dir, settings.embedders).align["use"]
    sample = np.array([aligner.terms.index(w) for w in words[:: len(words) // 25]])
    groups = aligner.groups(aligner.slot_vectors(sample), 1, -1.0)
    assert [g[0] for g in groups] == [aligner.terms[i] for i in sample]


def test_a_moved_seeds_directory_chunks_nothing_again_and_cites_the_new_path(
        tmp_path: Path, use_template: Template, use_embedder, monkeypatch) -> None:
    """The copy's seeds lie elsewhere than the template's: every document is reused as it was (none is cleaned or
    chunked again, nothing is embedded), and the citations name the files at their new path."""
    from rag.indexing import reuse

    settings = private_copy(use_template, tmp_path / "moved")
    before = read_manifest(settings.index_dir)["documents"]
    assert {Path(d["source_file"]).parent for d in before.values()} == {Path(use_template.seeds)}
    made: list[str] = []
    real = reuse.build_document
    monkeypatch.setattr(reuse, "build_document", lambda doc_id, *a: made.append(doc_id) or real(doc_id, *a))
    counting = CountingEmbedder(use_embedder)
    report = build_index(settings, [counting])
    assert made == [] and counting.passage_texts == [] and report.unchanged == len(before)
    seeds = Path(settings.seeds_dir)
    after = read_manifest(settings.index_dir)["documents"]
    assert {d: Path(row["source_file"]) for d, row in after.items()} == {d: seeds / f"{d}.txt" for d in before}
    index = load_index(settings.index_dir, settings.embedders)
    assert {Path(index.citation(r).source_file).parent for r in range(len(index.passages))} == {seeds}


    def rows(index_dir: Path) -> dict[str, dict]:
        build = index_dir / BUILDS / read_manifest(index_dir)["build"]
        return {r["doc_id"]: {**r, "source_file": Path(r["source_file"]).name}
                for r in records.read_documents(build / records.DOCUMENTS)}

    assert rows(Path(settings.index_dir)) == rows(Path(use_template.index))  # the same records but for the path


def test_an_indexed_document_that_can_no_longer_be_read_is_kept_and_the_build_refused(use_settings,
                                                                                      use_embedder) -> None:
    """Re-saved in another encoding, an indexed seed was skipped as unreadable, and so removed from the index: a
    build of bad input lost what was stored. A new unreadable file is still only skipped."""
    before = read_manifest(use_settings.index_dir)
    seed = Path(use_settings.seeds_dir) / f"{D003}.txt"
    seed.write_bytes(seed.read_text(encoding="utf-8").encode("shift_jis", errors="replace"))
    with pytest.raises(RagError, match=rf"1 indexed document\(s\) can no longer be read \({D003}\.txt: .*UTF-8.*\); "
                                       r"the index keeps them as they were"):
        build_index(use_settings, [use_embedder])
    assert read_manifest(use_settings.index_dir) == before
    # deleting it is how an operator drops it; a new file that cannot be read is skipped, as before
    seed.unlink()
    (Path(use_settings.seeds_dir) / "006_new_but_bad.txt").write_bytes(b"\xff\xfe not text")
    report = build_index(use_settings, [use_embedder])
    assert report.removed == 1 and any("006_new_but_bad" in w for w in report.warnings)
