"""Versions in Qdrant: incremental builds publish a new collection set and move the alias; the previous version is
kept for replicas still reading it and older ones are collected; a push killed half-way leaves the alias where it
was, and the next push clears what it left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from rag.indexing import backend
from rag.indexing.manifest import read_manifest
from rag.qdrant import collections, session
from rag.qdrant.publish import _changes
from rag.retrieval.engine import Searcher
from rag.stores.japanese import default_analyzer

from .conftest import SHM, qdrant_settings
from .seeds_support import NEW_DOC, NEW_QUESTION, copy_index, new_seed_text

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
QUERIES = ("What did Lavrov say about an alliance with China?", "プーチンと習近平の関係", NEW_QUESTION)


def docs_found(settings, embedders, query: str) -> list[str]:
    s = Searcher(backend.open_index(settings), embedders, default_analyzer(), settings)
    return [h.citation.doc_id for h in s.search(query, 5).hits]


def same_rankings(settings, embedders) -> None:
    """The published version ranks as the local build it came from."""
    local = settings.replace(store="local")
    a = Searcher(backend.open_index(local), embedders, default_analyzer(), local)
    b = Searcher(backend.open_index(settings), embedders, default_analyzer(), settings)
    assert a.index.version == b.index.version
    for q in QUERIES:
        assert [h.passage.passage_id for h in a.search(q, 10).hits] == [h.passage.passage_id for h in b.search(q, 10).hits]


def version_names(settings) -> set[str]:
    with session(settings) as conn:
        return {c.name for c in conn.client.get_collections().collections}


def live(settings) -> str | None:
    with session(settings) as conn:
        return conn.live_collection(settings.qdrant_collection)


def test_add_change_remove_each_publish_only_what_changed_and_move_the_alias(built_index, embedders, tmp_path,
                                                                                 qdrant_dir, monkeypatch):
    """Then a rollback: the local copy of the previous version, pushed again. That version is whole in Qdrant (kept
    for replicas), so the alias moves back to it; the push dropped and rewrote it, and a push killed then left no
    whole version but the live one. Then the live version's meta collection is lost: the push that replaces it was
    refused ("a newer version has replaced this one, reload the index")."""
    import rag.qdrant.publish as publish

    local, _ = built_index
    seeds, index = copy_index(local.seeds_dir, local.index_dir, tmp_path)
    settings = qdrant_settings(local, qdrant_dir, seeds_dir=seeds, index_dir=index)
    models = list(embedders.values())

    first = backend.build(settings, models)
    q0 = first.store["qdrant"]
    assert first.embedded == {k: 0 for k in first.embedded}  # the local working copy was already built
    assert q0["previous"] is None and q0["points"] == q0["upserted"] == first.passages
    assert NEW_DOC not in docs_found(settings, embedders, NEW_QUESTION)

    (seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(seeds), encoding="utf-8")
    added = backend.build(settings, models)
    q1 = added.store["qdrant"]
    new_passages = sum(1 for p in backend.open_index(settings).passages if p.doc_id == NEW_DOC)
    assert added.added == 1 and q1["previous"] == q0["collection"]
    assert q1["upserted"] == new_passages > 0 and q1["deleted"] == 0 and q1["unchanged"] == first.passages
    assert docs_found(settings, embedders, NEW_QUESTION)[0] == NEW_DOC
    same_rankings(settings, embedders)
    assert {q0["collection"], q1["collection"]} <= version_names(settings)  # the previous version is kept

    path = seeds / f"{NEW_DOC}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n観測船は十月に稚内へ戻る予定だ。\n", encoding="utf-8")
    changed = backend.build(settings, models)
    q2 = changed.store["qdrant"]
    kept = tmp_path / "index-changed"  # the local copy of this version, for the rollback below
    shutil.copytree(index, kept, ignore=shutil.ignore_patterns(".build.lock"))
    assert changed.changed == 1 and q2["previous"] == q1["collection"]
    assert 0 < q2["upserted"] <= new_passages + 1 and q2["deleted"] == 0
    names = version_names(settings)
    assert q1["collection"] in names and not any(n.startswith(q0["collection"]) for n in names)  # collected

    path.unlink()
    removed = backend.build(settings, models)
    q3 = removed.store["qdrant"]
    assert removed.removed == 1 and q3["upserted"] == 0 and q3["deleted"] == q2["upserted"]
    assert NEW_DOC not in docs_found(settings, embedders, NEW_QUESTION)
    same_rankings(settings, embedders)

    with monkeypatch.context() as m:  # the rollback writes nothing
        m.setattr(publish, "_upload", lambda *a, **k: pytest.fail("a whole version was written again"))
        back = backend.push(settings.replace(index_dir=kept))
    assert live(settings) == back.collection == q2["collection"] and back.upserted == 0
    assert docs_found(settings, embedders, NEW_QUESTION)[0] == NEW_DOC
    assert {q2["collection"], q3["collection"]} <= version_names(settings)  # both still whole
    with session(settings) as conn:
        assert conn.client.count(q2["collection"], exact=True).count == q2["points"]
        conn.client.delete_collection(f"{q2['collection']}-meta")  # the live version's documents and files lost
    forward = backend.push(settings)
    assert live(settings) == forward.collection == q3["collection"]
    assert backend.open_index(settings).version == forward.index_version
    assert NEW_DOC not in docs_found(settings, embedders, NEW_QUESTION)

    with monkeypatch.context() as m:  # nothing new: the version stays, and nothing is written to Qdrant
        m.setattr(publish, "_upload", lambda *a, **k: pytest.fail("an unchanged version was written again"))
        unchanged = backend.build(settings, models)
    assert unchanged.up_to_date and unchanged.index_version == removed.index_version
    assert unchanged.store["qdrant"]["already_live"] and live(settings) == q3["collection"]
    # the same data asked for in another layout is a version of its own, written in it (a version has one layout)
    resharded = backend.build(settings.replace(qdrant_shards=2), models)
    q4 = resharded.store["qdrant"]
    assert not resharded.up_to_date and resharded.embedded == {k: 0 for k in resharded.embedded}
    assert q4["shards"] == 2 and not q4["already_live"] and live(settings) == q4["collection"] != q3["collection"]
    assert q4["upserted"] == 0 and q4["points"] == removed.passages
    same_rankings(settings, embedders)


def test_a_build_reports_and_publishes_against_what_qdrant_serves_not_only_the_local_copy(built_index, embedders,
                                                                                            tmp_path, qdrant_dir):
    """The local index is the builder's working copy; what serves is the alias's version. A build that held nothing
    new for the working copy said "up to date, stays the live version" while its push moved the alias (after a
    rollback, after a publish that did not finish); a push over a damaged live version said "already live; nothing
    written" forever; a builder without its working copy skipped the removal guard and published one document
    over six. Found by an operator's probe (docs/hardening.md)."""
    from rag.errors import CorpusError

    local, _ = built_index
    seeds, index = copy_index(local.seeds_dir, local.index_dir, tmp_path)
    settings = qdrant_settings(local, qdrant_dir, seeds_dir=seeds, index_dir=index)
    models = list(embedders.values())
    v1 = backend.build(settings, models)
    kept = tmp_path / "index-v1"
    shutil.copytree(index, kept, ignore=shutil.ignore_patterns(".build.lock"))
    (seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(seeds), encoding="utf-8")
    v2 = backend.build(settings, models)
    back = backend.push(settings.replace(index_dir=kept))  # a rollback: the alias on v1 again
    assert live(settings) == back.collection == v1.store["qdrant"]["collection"]

    # the seeds still hold the new document: the build publishes them, and says it is a new version
    after = backend.build(settings, models)
    assert not after.up_to_date and after.index_version not in (v1.index_version, v2.index_version)
    assert live(settings) == after.store["qdrant"]["collection"] and after.embedded == {k: 0 for k in after.embedded}
    assert docs_found(settings, embedders, NEW_QUESTION)[0] == NEW_DOC
    again = backend.build(settings, models)  # now Qdrant serves the working copy's version: nothing to do
    assert again.up_to_date and again.index_version == after.index_version and again.store["qdrant"]["already_live"]
    assert again.store["qdrant"]["previous"] is None  # not the live collection itself

    # the live version's meta collection lost: a push writes it again instead of "already live; nothing written"
    with session(settings) as conn:
        conn.client.delete_collection(f"{conn.live_collection(settings.qdrant_collection)}-meta")
    assert not backend.build(settings, models).up_to_date  # it does not keep a version that cannot load
    with session(settings) as conn:
        conn.client.delete_collection(f"{conn.live_collection(settings.qdrant_collection)}-meta")
    repaired = backend.push(settings)
    assert not repaired.already_live and repaired.points == backend.open_index(settings).manifest["counts"]["passages"]
    assert docs_found(settings, embedders, NEW_QUESTION)[0] == NEW_DOC

    # a builder without its working copy measures removals against the version Qdrant serves
    one = tmp_path / "one-seed"
    one.mkdir()
    shutil.copy(seeds / f"{NEW_DOC}.txt", one)
    served = live(settings)
    with pytest.raises(CorpusError, match="would remove 5 of the 6 documents"):
        backend.build(settings.replace(index_dir=tmp_path / "new-builder", seeds_dir=one), models)
    assert live(settings) == served
    # and one whose working copy is out of step with the alias (a local test build there, a copy from a backup)
    stale = settings.replace(index_dir=tmp_path / "stale-builder", seeds_dir=one)
    backend.build(stale.replace(store="local"), models)
    with pytest.raises(CorpusError, match="would remove 5 of the 6 documents"):
        backend.build(stale, models)
    assert live(settings) == served


def test_a_version_chunked_anew_reports_every_passage_new_though_no_document_changed(built_index):
    # an upgrade that changes chunking (or a new --max-tokens) keeps every document's sha256 but makes new passages:
    # the push report must not say "0 new or changed" for a version whose every point is new
    local, _ = built_index
    manifest = read_manifest(local.index_dir)
    rows = [d for d, entry in manifest["documents"].items() for _ in range(entry["passage_count"])]
    assert _changes(manifest, manifest, rows) == {"upserted": 0, "unchanged": len(rows), "deleted": 0}
    assert _changes(manifest, {}, rows)["upserted"] == len(rows)  # the first push
    rechunked = {**manifest, "chunker": {**manifest["chunker"], "max_tokens": manifest["chunker"]["max_tokens"] // 2}}
    assert _changes(rechunked, manifest, rows) == {"upserted": len(rows), "unchanged": 0, "deleted": 0}


def test_pushing_the_live_version_again_changes_nothing(built_index, qdrant_dir):
    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir)
    first, again = backend.push(settings), backend.push(settings)
    assert not first.already_live and again.already_live and again.collection == first.collection
    assert live(settings) == first.collection


def test_a_component_kind_qdrant_cannot_serve_is_refused_before_anything_is_published(built_index, qdrant_dir,
                                                                                      monkeypatch):
    """A kind the local registry builds but the Qdrant backend has no loader for (here: the sparse head, as if it
    were new) was left out of the push silently, and every replica then refused the version ("unknown kind")."""
    import rag.qdrant.load as qdrant_load
    from rag.errors import IndexMismatchError

    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir)
    monkeypatch.setattr(qdrant_load, "LOADERS", {k: v for k, v in qdrant_load.LOADERS.items() if k != "sparse"})
    with pytest.raises(IndexMismatchError, match=r"cannot serve: e5-sparse \(sparse\); nothing was published"):
        backend.push(settings)
    with session(settings) as conn:
        assert conn.client.get_collections().collections == [] and conn.live_collection(settings.qdrant_collection) \
            is None


def test_a_push_killed_half_way_leaves_the_alias_on_the_old_version(built_index, embedders, tmp_path):
    """The push is killed (SIGKILL) on disk in the middle of writing its passages, inside an open transaction."""
    local, _ = built_index
    seeds, index = copy_index(local.seeds_dir, local.index_dir, tmp_path)
    fast = Path(tempfile_dir()) / "store"
    old = backend.push(qdrant_settings(local, fast, index_dir=index))
    disk = tmp_path / "store"
    shutil.copytree(fast, disk)  # the same version, now on disk

    (seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(seeds), encoding="utf-8")
    new = backend.build(local.replace(seeds_dir=seeds, index_dir=index), list(embedders.values()))
    target = collections(local.qdrant_collection, new.index_version)[0]
    env = {**os.environ, "RAG_STORE": "qdrant", "RAG_QDRANT_PATH": str(disk), "RAG_INDEX_DIR": str(index),
           "RAG_SEEDS_DIR": str(seeds)}
    held = tmp_path / "passages-half-written"  # the child says so, then waits to be killed
    code = ("import pathlib, time\n"
            "from qdrant_client.local.persistence import CollectionPersistence\n"
            "from rag.indexing import backend\n"
            "from rag.settings import Settings\n"
            "persist, written = CollectionPersistence.persist, []\n"
            "def held(self, point):\n"
            "    persist(self, point)\n"
            f"    if {target!r} in str(self.location) and len(written) < 100:\n"
            "        written.append(point.id)\n"
            "        if len(written) == 100:\n"
            f"            tmp = pathlib.Path({str(held) + '.tmp'!r})\n"
            "            tmp.write_text(str(self.storage.in_transaction))\n"
            f"            tmp.replace({str(held)!r})\n"
            "            time.sleep(600)\n"
            "CollectionPersistence.persist = held\n"
            "backend.push(Settings.from_env())\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not held.exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the push never wrote 100 passages"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    settings = qdrant_settings(local, disk, seeds_dir=seeds, index_dir=index)
    assert live(settings) == old.collection
    assert backend.open_index(settings).version == old.index_version
    assert NEW_DOC not in docs_found(settings, embedders, NEW_QUESTION)
    assert held.read_text() == "True" and target in version_names(settings)  # killed inside its transaction
    stock = QdrantClient(path=str(disk))  # SQLite rolled the open transaction back: none of its points is there
    try:
        assert stock.count(target).count == 0 and stock.count(old.collection).count == old.points
    finally:
        stock.close()

    again_dir = Path(tempfile_dir()) / "store"
    shutil.copytree(disk, again_dir)  # the push again, on the same state, in memory-backed files
    settings = qdrant_settings(local, again_dir, seeds_dir=seeds, index_dir=index)
    pushed = backend.push(settings)
    assert pushed.previous == old.collection and pushed.collection == target and pushed.upserted > 0
    assert docs_found(settings, embedders, NEW_QUESTION)[0] == NEW_DOC
    assert {n for n in version_names(settings)} == {f"{c}{s}" for c in (old.collection, target)
                                                    for s in ("", "-meta", "-terms")}


def tempfile_dir() -> str:
    import tempfile

    path = tempfile.mkdtemp(prefix="newsrag-qdrant-", dir=SHM if SHM.is_dir() else None)
    _CLEANUP.append(path)
    return path


_CLEANUP: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _cleanup():
    yield
    for path in _CLEANUP:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("version", [3, 99])
def test_a_version_published_by_format_3_serves_as_it_is_and_an_unknown_format_is_refused(
        built_index, qdrant_dir, version: int):
    """Format 4 changed only the local build's passage file and the manifest's per-document ids; a published version
    is read by neither, so one that format 3 wrote still serves. Any other format is refused with the fix."""
    from rag.errors import IndexCorruptError
    from rag.qdrant import meta_id

    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir)
    backend.push(settings)
    with session(settings) as conn:
        meta = f"{conn.live_collection(settings.qdrant_collection)}-meta"
        (rec,) = conn.client.retrieve(meta, [meta_id("manifest")], with_payload=True)
        manifest = {**rec.payload["manifest"], "format_version": version}
        conn.client.set_payload(meta, {"manifest": manifest}, points=[meta_id("manifest")])
    if version == 3:
        assert backend.open_index(settings).version == manifest["build"]
    else:
        with pytest.raises(IndexCorruptError, match="has format 99.*rag index build"):
            backend.open_index(settings)


def test_a_build_waiting_for_a_busy_folder_says_so_in_its_progress(built_index, embedders, tmp_path, qdrant_dir):
    """A live build whose store was held by another process read "reading seeds 0/0" for the whole wait: the
    check of what the store serves opens the folder after the plan, before any embedding stage."""
    import fcntl
    import threading

    local, _ = built_index
    seeds, index = copy_index(local.seeds_dir, local.index_dir, tmp_path)
    settings = qdrant_settings(local, qdrant_dir, seeds_dir=seeds, index_dir=index)
    backend.push(settings)  # a store with a version in it
    stages: list[str] = []
    (seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(seeds), encoding="utf-8")
    fd = os.open(qdrant_dir / ".lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process, publishing
    try:
        build = threading.Thread(target=backend.build, args=(settings, list(embedders.values())),
                                 kwargs={"progress": lambda stage, done, total: stages.append(stage)}, daemon=True)
        build.start()
        deadline = time.monotonic() + 120
        while not stages or stages[-1] != "qdrant: opening the store":
            assert time.monotonic() < deadline and build.is_alive(), stages
            time.sleep(0.05)
        time.sleep(0.5)
        assert build.is_alive() and stages[-1] == "qdrant: opening the store"  # waiting, and saying so
        assert not any(s.startswith("embedding") for s in stages), stages  # the wait comes before the embedding
    finally:
        os.close(fd)
    build.join(300)
    assert not build.is_alive() and NEW_DOC in docs_found(settings, embedders, NEW_QUESTION)


@pytest.mark.parametrize("damage", ["terms folder removed", "terms file overwritten", "passages file cut short"])
def test_a_live_version_damaged_in_its_folder_is_refused_by_a_load_and_written_again_by_a_push(built_index,
                                                                                              embedders, qdrant_dir,
                                                                                              damage):
    """An operator's probe: the live version's terms collection removed by hand loaded as an empty one (English
    questions served without the term alignment, no word said), and a collection's SQLite file overwritten or cut
    short stopped every load while `rag index push` said "already live; nothing written". A load now refuses such a
    version, naming the collection, and a push writes it again whole."""
    from rag.errors import IndexCorruptError, StoreDamagedError

    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir)
    first = backend.push(settings)
    terms = qdrant_dir / "collection" / f"{first.collection}-terms"
    if damage == "terms folder removed":
        shutil.rmtree(terms)
        refused, says = IndexCorruptError, f"{first.collection}-terms lacks the aligned terms its push wrote"
    else:
        storage = (terms if damage == "terms file overwritten" else
                   qdrant_dir / "collection" / first.collection) / "storage.sqlite"
        data = storage.read_bytes()
        storage.write_bytes(os.urandom(len(data)) if damage == "terms file overwritten" else data[: len(data) // 3])
        refused, says = StoreDamagedError, f"its collection '{storage.parent.name}' cannot be read"
    with pytest.raises(refused, match=says):
        backend.open_index(settings)
    again = backend.push(settings)
    assert not again.already_live and again.collection == first.collection and again.points == first.points
    assert backend.open_index(settings).version == first.index_version
    same_rankings(settings, embedders)
    assert backend.push(settings).already_live  # whole now: nothing written
