"""The local-mode folder opened without reading its points (rag/qdrant/folder.py): each collection is read on its
first use, and what the folder holds afterwards is what qdrant-client's own open reads back."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models

from rag.errors import StoreUnavailableError
from rag.qdrant.folder import open_folder

DIM = 4


def _fill(client: QdrantClient, name: str, n: int, shift: float) -> None:
    client.create_collection(name, sparse_vectors_config={"s": models.SparseVectorParams()},
                             vectors_config={"d": models.VectorParams(size=DIM, distance=models.Distance.COSINE)})
    vectors = [{"d": [1.0, shift + i, 0.5, 0.0], "s": models.SparseVector(indices=[i, 100], values=[1.0, 0.5])}
               for i in range(n)]
    client.upsert(name, [models.PointStruct(id=i, vector=v, payload={"text": f"passage {i} of {name}"})
                         for i, v in enumerate(vectors)])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two versions under an alias, written and closed by the stock client: 'old' (5 points) and 'live' (7)."""
    path = tmp_path / "store"
    client = QdrantClient(path=str(path))
    _fill(client, "old", 5, 0.0)
    _fill(client, "live", 7, 3.0)
    client.create_payload_index("live", "text", models.TextIndexParams(type=models.TextIndexType.TEXT, scoring=True))
    client.update_collection_aliases([models.CreateAliasOperation(
        create_alias=models.CreateAlias(collection_name="live", alias_name="news"))])
    client.close()
    return path


def _snapshot(path: Path) -> dict:
    """What the stock client reads back: each collection's config, points and vectors, and the aliases."""
    client = QdrantClient(path=str(path))
    try:
        out = {"aliases": {a.alias_name: a.collection_name for a in client.get_aliases().aliases}}
        for c in client.get_collections().collections:
            points, _ = client.scroll(c.name, limit=100, with_vectors=True)
            out[c.name] = (client.get_collection(c.name).config.params.model_dump(),
                           sorted((p.id, json.dumps(p.payload), json.dumps(p.vector, default=str)) for p in points))
        return out
    finally:
        client.close()


def test_an_open_reads_no_points_and_an_operation_reads_only_the_collections_it_uses(folder):
    before = _snapshot(folder)
    client = open_folder(str(folder))
    try:
        collections = client._client.collections
        assert sorted(collections.unread()) == ["live", "old"]  # meta.json read, no points
        assert client.collection_exists("old") and client.collection_exists("news")
        assert not client.collection_exists("x")
        assert sorted(collections.unread()) == ["live", "old"]  # asking whether one exists reads none
        hits = client.query_points("news", query=[1.0, 5.0, 0.5, 0.0], using="d", limit=3).points
        assert collections.unread() == ["old"]  # the alias's version was read, the kept one was not
        assert len(hits) == 3 and client.count("news", exact=True).count == 7
    finally:
        client.close()
    assert _snapshot(folder) == before  # reading changed nothing


def test_bookkeeping_over_unread_collections_keeps_them_whole(folder):
    """A new version written, the alias moved, the old one dropped, all without reading 'live': meta.json is written
    again from the unread collections' configs and text index, and the stock client reads every point back."""
    before = _snapshot(folder)
    client = open_folder(str(folder))
    try:
        _fill(client, "next", 3, 9.0)
        client.update_collection_aliases([
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name="news")),
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="next", alias_name="news"))])
        assert client.delete_collection("old")
        assert client._client.collections.unread() == ["live"]
    finally:
        client.close()
    after = _snapshot(folder)
    assert after["aliases"] == {"news": "next"} and "old" not in after
    assert after["live"] == before["live"]  # its config, payloads and vectors, as the stock client reads them
    assert len(after["next"][1]) == 3
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert list(meta["text_indexes"]) == ["live"]  # the unread collection's text index is still recorded
    client = QdrantClient(path=str(folder))
    try:  # and still ranks: the stock client's BM25 over it
        hits = client.query_points("live", query=models.TextQuery(text="passage"), using="text", limit=10).points
        assert len(hits) == 7
    finally:
        client.close()


def test_the_folder_is_locked_as_the_client_locks_it(folder):
    client = open_folder(str(folder))
    try:
        with pytest.raises(RuntimeError, match="already accessed"):
            open_folder(str(folder))
        other = subprocess.run([sys.executable, "-c", f"from qdrant_client import QdrantClient; "
                                f"QdrantClient(path={str(folder)!r})"], capture_output=True, text=True, timeout=60)
        assert other.returncode != 0 and "already accessed by another instance" in other.stderr
    finally:
        client.close()
    open_folder(str(folder)).close()  # free again once closed


@pytest.mark.parametrize("damage", ["file cut short", "a point's bytes"])
def test_a_damaged_collection_stops_only_what_reads_it(folder, damage):
    """A kept version cut short no longer stops the live one from serving; reading the damaged one is one clear
    error naming the folder and the collection, not a traceback from SQLite or pickle (a point's bytes damaged was
    one at every open)."""
    storage = folder / "collection" / "old" / "storage.sqlite"
    if damage == "file cut short":
        storage.write_bytes(storage.read_bytes()[:4096])
    else:
        with sqlite3.connect(storage) as db:
            db.execute("UPDATE points SET point = substr(point, 1, 10)")
    client = open_folder(str(folder))
    try:
        assert client.count("news", exact=True).count == 7
        with pytest.raises(StoreUnavailableError,
                           match="cannot be used as Qdrant's local mode: its collection 'old' .*(Database|Unpickl)"):
            client.count("old", exact=True)
    finally:
        client.close()


def _commits(path: Path, name: str) -> tuple[QdrantClient, list[str]]:
    """The folder opened, and the COMMITs its collection `name`'s SQLite file will see from now on."""
    client = open_folder(str(path))
    seen: list[str] = []
    client._client._get_collection(name).storage.storage.set_trace_callback(
        lambda sql: seen.append(sql) if sql.strip().upper().startswith("COMMIT") else None)
    return client, seen


def test_an_upsert_is_one_transaction(folder):
    """The client commits each point on its own (a journal synced and removed per point: most of a push's time on a
    disk); one upsert call is one commit here, and the stock client reads back every point."""
    before = _snapshot(folder)
    client, commits = _commits(folder, "live")
    client.upsert("live", [models.PointStruct(id=100 + i, vector={"d": [0.5, i, 1.0, 0.0]}, payload={"text": f"{i}"})
                           for i in range(40)])
    assert len(commits) == 1  # the client alone: 40
    client.close()
    after = _snapshot(folder)
    assert len(after["live"][1]) == len(before["live"][1]) + 40 and after["old"] == before["old"]


def _legacy_row_and_a_refusing_trigger(path: Path, point_id: int) -> None:
    """Point `point_id` of 'live' stored under an older key (as older clients wrote it: its write deletes that row,
    then inserts), and a trigger that refuses the insert, so that the point's write fails half-way."""
    import base64
    import pickle

    from qdrant_client.local.persistence import CollectionPersistence

    key = CollectionPersistence.encode_key(point_id)
    legacy = base64.b64encode(pickle.dumps(point_id, protocol=2)).decode()
    assert legacy != key
    with sqlite3.connect(path / "collection" / "live" / "storage.sqlite") as db:
        assert db.execute("UPDATE points SET id = ? WHERE id = ?", (legacy, key)).rowcount == 1
        db.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON points WHEN NEW.id = '{key}' "
                   "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")


def _held_and_stored(client: QdrantClient) -> tuple[list, list]:
    """The ids the open client holds in memory, and (after closing it) those the stock client reads from disk."""
    held = sorted(p.id for p in client.scroll("live", limit=1000)[0])
    client.close()
    return held, sorted(p[0] for p in _snapshot(client._init_options["path"])["live"][1])


def test_a_point_whose_write_fails_half_way_leaves_what_the_stock_client_leaves(folder, tmp_path):
    """Its row deleted, its insert refused: that point is rolled back whole (its old row stays), the points before it
    in the call are committed, the ones after it are not written, and memory holds what the disk holds: as with the
    stock client's commit per point, on a copy of the folder."""
    import shutil

    _legacy_row_and_a_refusing_trigger(folder, 3)
    stock_folder = tmp_path / "stock"
    shutil.copytree(folder, stock_folder)
    points = [models.PointStruct(id=i, vector={"d": [0.5, i, 1.0, 0.0]}, payload={"text": "new"})
              for i in (200, 201, 3, 202)]
    results = []
    for client in (open_folder(str(folder)), QdrantClient(path=str(stock_folder))):
        with pytest.raises(sqlite3.IntegrityError, match="refused by a trigger"):
            client.upsert("live", points)
        results.append(_held_and_stored(client))
    (ours_held, ours_stored), (stock_held, stock_stored) = results
    assert ours_held == ours_stored == stock_held == stock_stored
    assert {200, 201, 3} <= set(ours_stored) and 202 not in ours_stored  # 3: its old row, as before the call
    assert _snapshot(folder) == _snapshot(stock_folder)


@pytest.mark.parametrize("failure", ["disk full", "interrupted"])
def test_a_call_sqlite_rolls_back_whole_leaves_memory_as_the_disk(folder, failure):
    """SQLite ends the transaction itself on a full disk or an interrupt: none of the call's points is on disk, its
    error is the one raised, and the collection is read again, so that memory never holds what the disk lacks."""
    before = _snapshot(folder)
    client = open_folder(str(folder))
    db = client._client._get_collection("live").storage.storage
    if failure == "disk full":
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0] + 2}")
    else:
        inserts = []
        db.set_trace_callback(lambda sql: inserts.append(sql) if sql.startswith("INSERT") else None)
        db.set_progress_handler(lambda: 1 if len(inserts) >= 3 else 0, 1)
    points = [models.PointStruct(id=100 + i, vector={"d": [0.5, i, 1.0, 0.0]}, payload={"blob": "x" * 3000})
              for i in range(10)]
    with pytest.raises(sqlite3.OperationalError, match="full" if failure == "disk full" else "interrupt"):
        client.upsert("live", points)
    held, stored = _held_and_stored(client)
    assert held == stored == sorted(p[0] for p in before["live"][1])
