"""Publishing a built index version into Qdrant: new collections, then one atomic alias switch, then garbage.

The build itself is the local one (plan → embed → write → switch under index_dir), so embedding stays incremental
by key exactly as in the local backend; publishing writes that version's data into a new collection set, compares
its documents with the live version's (added, changed, removed) and switches the alias. A push killed at any point
leaves the alias on the old version; its half-written collections are removed by the next push.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..components.lexical import BRIDGE_FILE
from ..errors import IndexCorruptError, IndexMismatchError, StoreDamagedError, StoreUnavailableError
from ..indexing import records
from ..indexing.columns import PASSAGE_COLUMNS, PassageColumns
from ..indexing.load import LoadedIndex, load_index
from ..indexing.manifest import read_manifest, verify_files
from ..stores.align import TermAligner
from ..stores.bm25 import bm25_idfs
from ..stores.segments import LAYOUT_FILE
from . import BM25, Connection, collections, meta_id, point_id
from .checks import check_alias_name

logger = logging.getLogger(__name__)
BATCH = 256
BLOB_BYTES = 4 << 20  # a file is stored as payload chunks of this many bytes (base64-encoded)
BM25_VOCAB = "bm25-vocabulary.json"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class PushReport:
    """What a push did; `as_json()` is the `qdrant` part of `rag index build --json` and `rag index push --json`."""

    collection: str
    index_version: str
    points: int
    upserted: int  # passages of added or changed documents
    unchanged: int
    deleted: int  # passages of the live version's documents that are gone
    seconds: float
    previous: str | None
    already_live: bool = False
    shards: int = 1  # the version's layout in Qdrant: the one asked for, unless the version was whole there already
    replicas: int = 1

    def as_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "index_version": self.index_version, "points": self.points,
                "upserted": self.upserted, "unchanged": self.unchanged, "deleted": self.deleted,
                "seconds": round(self.seconds, 3), "previous": self.previous, "already_live": self.already_live,
                "shards": self.shards, "replicas": self.replicas}


def layout_note(pushed: dict[str, Any], shards: int, replicas: int) -> str | None:
    """What to tell an operator who asked for another layout than the pushed version (`PushReport.as_json()`) has in
    Qdrant: a version is written once, and pushing it again when it is whole there moves the alias, it does not
    re-shard (a build asked for another layout makes a new version, so only `rag index push` meets this). None when
    the asked layout is the version's."""
    have = (pushed.get("shards", 1), pushed.get("replicas", 1))
    if have == (shards, replicas):
        return None
    return (f"index {pushed['index_version']} was already whole in Qdrant on {have[0]} shard(s) × {have[1]} "
            f"replica(s), and is served so; the {shards} shard(s) × {replicas} replica(s) asked for apply to the next "
            f"version a build publishes (`RAG_STORE=qdrant rag index build` makes one in that layout even when no "
            f"seed changed, embedding nothing again)")


def publish(conn: Connection, alias: str, index_dir: Path, *, shards: int = 1, replicas: int = 1,
            progress: Progress | None = None) -> PushReport:
    """Write the live local build at `index_dir` into Qdrant as a new version and make it the alias's."""
    t0 = time.perf_counter()
    progress = progress or (lambda *_: None)
    manifest = read_manifest(index_dir)
    _check_servable(manifest, index_dir)
    build_dir = verify_files(index_dir, manifest, checksums=False)  # load_index checks the checksums below
    points_c, meta_c, terms_c = collections(alias, manifest["build"])
    check_alias_name(alias, [c.name for c in conn.call(conn.client.get_collections).collections])
    previous = conn.live_collection(alias)
    old_manifest = readable_live_manifest(conn, previous) if previous else {}
    columns = PassageColumns.load(build_dir / PASSAGE_COLUMNS)
    changes = _changes(manifest, old_manifest, [columns.doc_ids[d] for d in columns.doc.tolist()])
    with_terms = aligned(manifest)
    if previous == points_c:
        if _complete(conn, meta_c, manifest["build"], len(columns), with_terms):
            return PushReport(points_c, manifest["build"], len(columns), 0, len(columns), 0, time.perf_counter() - t0,
                              None, already_live=True, **_layout(old_manifest))
        # the alias's version lost points, its meta or its terms collection (dropped by hand, a lost shard, a file
        # of a local-mode folder damaged): every load of it failed, or served English questions without the term
        # alignment, while each push said "already live; nothing written". It is written again, whole
        logger.warning("index %s is live in Qdrant at %s but not whole there: writing it again", manifest["build"],
                       conn.where)
        old_manifest, previous = {}, None  # dropping it below drops the alias with it
        changes = _changes(manifest, old_manifest, [columns.doc_ids[d] for d in columns.doc.tolist()])  # all new
    if _complete(conn, meta_c, manifest["build"], len(columns), with_terms):
        # the version kept as the previous one, pushed again (a rollback): it is whole in Qdrant, so the alias moves
        # back to it; writing it anew dropped it first, and a push killed then left no whole version but the live one
        _switch(conn, alias, points_c, previous)
        _collect_garbage(conn, alias, keep={points_c, previous})
        logger.info("index %s was whole in Qdrant at %s already: the alias %s is back on it", manifest["build"],
                    conn.where, alias)
        return PushReport(points_c, manifest["build"], len(columns), 0, len(columns), changes["deleted"],
                          time.perf_counter() - t0, previous, **_layout(readable_live_manifest(conn, points_c)))
    # the components' data as the local backend serves it (rows in passage order, whatever its segments)
    local = load_index(index_dir, tuple(e["spec"] for e in manifest["embedders"]))
    passages, keys = list(local.passages), columns.keys()
    _drop(conn, [points_c, meta_c, terms_c])  # a push of this build killed half-way, or damaged: start it again
    docs = {row["doc_id"]: row for row in records.read_documents(build_dir / records.DOCUMENTS)}
    entries = manifest["components"]
    # Qdrant's IDF modifier counts one shard's points, so on several shards BM25 would drift from bm25s (measured:
    # benchmarks/qdrant_shard_idf.py); a version is written whole, so there the stored values carry the IDF instead
    idf_in = "qdrant" if shards == 1 else "stored"
    # each passage's BM25 terms in text order, which the reranker's proximity reads (without them it read a passage's
    # sentences as the answers tokenize them, and ranked ~1 % of hybrid searches otherwise than the local store)
    sequences = local.bm25.has_sequences
    manifest = {**manifest, "qdrant": {"shards": shards, "replicas": replicas, "bm25_idf": idf_in,
                                       "bm25_sequences": sequences}}
    _create_points(conn, points_c, entries, shards, replicas, idf_in)
    _upload(conn, points_c, _points(local, passages, keys, docs, idf_in), len(passages), progress, "passages")
    _create_meta(conn, meta_c, shards, replicas)
    _upload(conn, meta_c, _meta(build_dir, local, manifest, entries, docs), None, progress, "documents and files")
    terms = 0
    for e in entries:
        if e["kind"] == "align":
            aligner = local.parts[e["name"]][1]
            _create_terms(conn, terms_c, e["name"], aligner.vectors.shape[1], shards, replicas)
            _upload(conn, terms_c, _terms(e["name"], aligner), int(aligner.live.sum()), progress, "aligned terms")
            terms += int(aligner.live.sum())
    _mark_complete(conn, meta_c, manifest["build"], len(passages), terms)  # last: a killed push leaves no mark
    _switch(conn, alias, points_c, previous)
    _collect_garbage(conn, alias, keep={points_c, previous})
    report = PushReport(points_c, manifest["build"], len(passages), changes["upserted"], changes["unchanged"],
                        changes["deleted"], time.perf_counter() - t0, previous, shards=shards, replicas=replicas)
    logger.info("published index %s to Qdrant at %s as %s: %s", manifest["build"], conn.where, points_c,
                report.as_json())
    return report


def serves_whole(conn: Connection, alias: str, manifest: dict[str, Any], layout: tuple[int, int]) -> bool:
    """Whether `alias` serves the build of local `manifest`, whole (its completion mark and every point), in
    `layout` (shards, replicas)."""
    points_c, meta_c, _ = collections(alias, manifest["build"])
    if conn.live_collection(alias) != points_c or not _complete(conn, meta_c, manifest["build"],
                                                                 manifest["counts"]["passages"], aligned(manifest)):
        return False
    have = _layout(readable_live_manifest(conn, points_c))
    return (have["shards"], have["replicas"]) == layout


def _layout(manifest: dict[str, Any]) -> dict[str, int]:
    """A published version's shards and replicas, from its manifest (a version of format 3 recorded none: one each)."""
    q = manifest.get("qdrant", {})
    return {"shards": int(q.get("shards", 1)), "replicas": int(q.get("replicas", 1))}


def readable_live_manifest(conn: Connection, live: str) -> dict[str, Any]:
    """The live version's manifest, or {} when it cannot be read (its meta collection lost): the push that repairs
    it must not be refused for it; its change counts are then counted from nothing."""
    try:
        return _live_manifest(conn, live)
    except StoreUnavailableError as exc:
        logger.warning("the live version %s cannot be read (%s); publishing this one whole", live, exc)
        return {}


def aligned(manifest: dict[str, Any]) -> bool:
    """Whether a version has a term alignment, whose vectors its terms collection holds."""
    return any(e["kind"] == "align" for e in manifest["components"])


def _complete(conn: Connection, meta_c: str, build: str, points: int, with_terms: bool) -> bool:
    """Whether a version is already whole in Qdrant: its completion mark is there (written last by its push), its
    points collection holds every passage, its terms collection (when `with_terms`) every aligned term, and each can be
    read. A collection of a local-mode folder whose file is damaged cannot (`StoreDamagedError`): a push said
    "already live; nothing written" over one while every load failed. A server that does not answer is no answer,
    and goes on as an error: its collections are not dropped for it."""
    try:
        if not conn.call(conn.client.collection_exists, meta_c):
            return False
        mark = conn.call(conn.client.retrieve, meta_c, [meta_id("complete")], with_payload=True)
        if not mark or mark[0].payload.get("build") != build:
            return False
        points_c = meta_c.removesuffix("-meta")
        if not (conn.call(conn.client.collection_exists, points_c)
                and conn.call(conn.client.count, points_c, exact=True).count == points):
            return False
        return not with_terms or terms_whole(conn, f"{points_c}-terms", mark[0].payload)
    except StoreDamagedError as exc:
        logger.warning("index %s in Qdrant at %s cannot be read whole: %s", build, conn.where, exc)
        return False


def terms_whole(conn: Connection, terms_c: str, mark: dict[str, Any]) -> bool:
    """Whether a version's terms collection holds the aligned terms its push wrote (`mark`: its completion mark; one
    written before the mark counted them says only that some were)."""
    if not conn.call(conn.client.collection_exists, terms_c):
        return False
    have = conn.call(conn.client.count, terms_c, exact=True).count
    return have == mark["terms"] if "terms" in mark else have > 0


def _mark_complete(conn: Connection, meta_c: str, build: str, points: int, terms: int) -> None:
    from qdrant_client import models as m

    conn.call(conn.client.upsert, meta_c, [m.PointStruct(id=meta_id("complete"), vector={}, payload={
        "kind": "complete", "build": build, "points": points, "terms": terms})], wait=True)


def _live_manifest(conn: Connection, live: str) -> dict[str, Any]:
    rec = conn.call(conn.client.retrieve, f"{live}-meta", [meta_id("manifest")], with_payload=True)
    return rec[0].payload["manifest"] if rec else {}


def _changes(new: dict[str, Any], old: dict[str, Any], row_docs: list[str]) -> dict[str, int]:
    """Passages of added or changed documents (the ones a server-side copy would have to upsert), the rest, and the
    live version's passages of documents that are gone (`row_docs`: each passage's doc_id). `new` and `old` are the
    manifests of the build and of the live version; a build chunked under other settings or code (its `chunker`)
    made every passage anew, whatever its document's sha256."""
    new_docs, old_docs = new["documents"], old.get("documents", {})
    rechunked = bool(old) and old.get("chunker") != new.get("chunker")
    fresh = {d for d, v in new_docs.items()
             if rechunked or d not in old_docs or old_docs[d]["sha256"] != v["sha256"]}
    upserted = sum(1 for d in row_docs if d in fresh)
    deleted = sum(v.get("passage_count", len(v.get("passages", ())))  # format 3 listed the ids
                  for d, v in old_docs.items() if d not in new_docs)
    return {"upserted": upserted, "unchanged": len(row_docs) - upserted, "deleted": deleted}


def _check_servable(manifest: dict[str, Any], index_dir: Path) -> None:
    """Refuse, before anything is written, an index with a component of a kind a Qdrant replica cannot load: the
    push would publish a version that every replica then refuses ("unknown kind")."""
    from .load import LOADERS  # the replica's loaders by kind (rag/qdrant/load.py imports this module)

    unknown = sorted({f"{e['name']} ({e['kind']})" for e in manifest["components"] if e["kind"] not in LOADERS})
    if unknown:
        raise IndexMismatchError(f"the index at {str(index_dir)!r} has components the Qdrant backend cannot serve: "
                                 f"{', '.join(unknown)}; nothing was published (serve this index with the local "
                                 "store, RAG_STORE=local, or add the kind to rag/qdrant/load.py LOADERS)")


def _create_points(conn: Connection, name: str, entries: list[dict[str, Any]], shards: int, replicas: int,
                   idf_in: str = "qdrant") -> None:
    from qdrant_client import models as m

    dense = {e["name"]: m.VectorParams(size=int(e["params"]["dim"]), distance=m.Distance.DOT)
             for e in entries if e["kind"] == "dense"}
    sparse = {e["name"]: m.SparseVectorParams() for e in entries if e["kind"] == "sparse"}
    sparse[BM25] = m.SparseVectorParams(modifier=m.Modifier.IDF if idf_in == "qdrant" else None)
    conn.call(conn.client.create_collection, name, vectors_config=dense, sparse_vectors_config=sparse,
              shard_number=shards, replication_factor=replicas)
    with warnings.catch_warnings():  # the local mode says it ignores payload indexes; a server uses them
        warnings.simplefilter("ignore", UserWarning)
        for field, schema in (("doc_id", m.PayloadSchemaType.KEYWORD), ("published_day", m.PayloadSchemaType.DATETIME),
                              ("published", m.PayloadSchemaType.DATETIME), ("row", m.PayloadSchemaType.INTEGER)):
            conn.call(conn.client.create_payload_index, name, field, field_schema=schema)


def _create_meta(conn: Connection, name: str, shards: int, replicas: int) -> None:
    conn.call(conn.client.create_collection, name, vectors_config={}, shard_number=shards, replication_factor=replicas)


def _create_terms(conn: Connection, name: str, vector: str, dim: int, shards: int, replicas: int) -> None:
    from qdrant_client import models as m

    conn.call(conn.client.create_collection, name, vectors_config={vector: m.VectorParams(size=dim,
              distance=m.Distance.DOT)}, shard_number=shards, replication_factor=replicas)


def _upload(conn: Connection, name: str, points: Iterator[Any], total: int | None, progress: Progress,
            stage: str) -> None:
    batch: list[Any] = []
    done = 0
    for p in points:
        batch.append(p)
        if len(batch) == BATCH:
            conn.call(conn.client.upsert, name, batch, wait=True)
            done += len(batch)
            batch = []
            progress(f"qdrant: {stage}", done, total or done)
    if batch:
        conn.call(conn.client.upsert, name, batch, wait=True)
        done += len(batch)
        progress(f"qdrant: {stage}", done, total or done)


def _points(local: LoadedIndex, passages: list, keys: list[str], docs: dict[str, Any],
            idf_in: str = "qdrant") -> Iterator[Any]:
    from qdrant_client import models as m

    dense = {name: data.vectors for name, (e, data) in local.parts.items() if e.kind == "dense"}
    sparse = {name: data for name, (e, data) in local.parts.items() if e.kind == "sparse"}
    bm25, _, df = local.bm25.term_frequencies()
    if idf_in == "stored":  # the local store's own scores: saturated tf × the Lucene IDF over the whole version
        bm25.data *= bm25_idfs(df, bm25.shape[0])[bm25.indices]
    for name, vectors in dense.items():
        if vectors.shape[0] != len(passages):
            raise IndexCorruptError(f"{name} holds {vectors.shape[0]} vectors for {len(passages)} passages")
    for row, (p, key) in enumerate(zip(passages, keys)):
        vec: dict[str, Any] = {name: np.asarray(v[row], np.float32).tolist() for name, v in dense.items()}
        for name, store in sparse.items():
            idx, val = store.row(row)
            if len(idx):
                vec[name] = m.SparseVector(indices=idx.astype(int).tolist(), values=val.astype(float).tolist())
        b = bm25.getrow(row)
        vec[BM25] = m.SparseVector(indices=b.indices.astype(int).tolist(), values=b.data.astype(float).tolist())
        sequence = local.bm25.row_sequence(row)
        art = docs[p.doc_id]["articles"][p.article]
        published = art.get("published")  # an ISO date or date-time; Qdrant's datetime index wants RFC 3339
        sources = art.get("sources") or ()
        yield m.PointStruct(id=point_id(p.passage_id), vector=vec, payload={
            "row": row, "passage_id": p.passage_id, "doc_id": p.doc_id, "article": p.article, "title": p.title,
            "start": p.start, "end": p.end, "text": p.text, "tokens": p.tokens, "embed_key": key,
            "published": _rfc3339(published),
            "published_day": f"{published[:10]}T00:00:00Z" if published else None,
            "url": sources[0]["url"] if sources else None,
            **({} if sequence is None else {"bm25_seq": sequence.astype(int).tolist()})})


def _rfc3339(published: str | None) -> str | None:
    """An article's ISO date or date-time as RFC 3339, which Qdrant's datetime index reads (naive times as UTC)."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _meta(build_dir: Path, local: LoadedIndex, manifest: dict[str, Any], entries: list[dict[str, Any]],
          docs: dict[str, Any]) -> Iterator[Any]:
    from qdrant_client import models as m

    yield m.PointStruct(id=meta_id("manifest"), vector={}, payload={"kind": "manifest", "manifest": manifest})
    for doc_id, row in docs.items():
        yield m.PointStruct(id=meta_id("document", doc_id), vector={}, payload={"kind": "document", "document": row})
    _, terms, df = local.bm25.term_frequencies()
    blobs = {BM25_VOCAB: json.dumps({"terms": terms, "df": df.tolist()}, ensure_ascii=False).encode("utf-8"),
             BRIDGE_FILE: (build_dir / BRIDGE_FILE).read_bytes()}
    for e in entries:
        if e["kind"] == "sentences":  # loaded whole by the answers: its files and the layout they are read by
            for f in (*e["files"], LAYOUT_FILE):
                blobs[f] = (build_dir / f).read_bytes()
    for name, data in blobs.items():
        parts = max(1, -(-len(data) // BLOB_BYTES))
        for i in range(parts):
            chunk = base64.b64encode(data[i * BLOB_BYTES:(i + 1) * BLOB_BYTES]).decode("ascii")
            yield m.PointStruct(id=meta_id("file", name, i), vector={},
                                payload={"kind": "file", "name": name, "part": i, "parts": parts, "data": chunk})


def _terms(vector: str, aligner: TermAligner) -> Iterator[Any]:
    from qdrant_client import models as m

    for i, (term, v, live) in enumerate(zip(aligner.terms, aligner.vectors, aligner.live.tolist())):
        if not live:  # a term no live passage holds any more
            continue
        yield m.PointStruct(id=i, vector={vector: np.asarray(v, np.float32).tolist()}, payload={"term": term})


def _switch(conn: Connection, alias: str, collection: str, previous: str | None) -> None:
    """One request: the alias moves from the old collection to the new, never absent in between."""
    from qdrant_client import models as m

    ops: list[Any] = []
    if previous is not None:
        ops.append(m.DeleteAliasOperation(delete_alias=m.DeleteAlias(alias_name=alias)))
    ops.append(m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=collection, alias_name=alias)))
    conn.call(conn.client.update_collection_aliases, ops)


def _collect_garbage(conn: Connection, alias: str, keep: set[str | None]) -> None:
    """Drop this alias's versions other than the new and the previous one (replicas may still read it), with their
    meta and terms collections, and any half-written one."""
    pattern = re.compile(re.escape(alias) + r"-\d{8}t\d+z-[0-9a-f]{6}")
    keep_all = {f"{k}{suffix}" for k in keep if k for suffix in ("", "-meta", "-terms")}
    names = [c.name for c in conn.call(conn.client.get_collections).collections]
    _drop(conn, [n for n in names if n not in keep_all and pattern.fullmatch(re.sub(r"-(meta|terms)$", "", n))])


def _drop(conn: Connection, names: list[str]) -> None:
    for name in names:
        if conn.call(conn.client.collection_exists, name):
            conn.call(conn.client.delete_collection, name)
