"""Loading the live Qdrant version as a LoadedIndex: the same passages, documents and components as a local load,
with each component's data answered by that version's collections. A replica needs no disk of its own."""

from __future__ import annotations

import base64
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..components import Entry
from ..errors import IndexCorruptError
from ..indexing import records
from ..indexing.load import DocRecord, LoadedIndex
from ..indexing.manifest import FORMAT_VERSION, UPGRADABLE, check_compatible
from ..settings import Settings
from ..stores.bridge import Bridge
from ..types import Passage
from . import Connection, serving_copy, session
from .publish import BM25_VOCAB, aligned, terms_whole
from .stores import QdrantAligner, QdrantBM25, QdrantDense, QdrantSparse

logger = logging.getLogger(__name__)
PAGE = 1024


def load_qdrant_index(settings: Settings) -> LoadedIndex:
    """The version the alias names, read whole except for the vectors, which stay in Qdrant."""
    t0 = time.perf_counter()
    with session(settings, create=False) as opened:
        live = opened.require_live(settings.qdrant_collection)
        conn = serving_copy(opened, [live, f"{live}-meta", f"{live}-terms"])
    where = f"qdrant:{conn.where}/{settings.qdrant_collection}"
    manifest, docs, files, mark = _meta(conn, f"{live}-meta", where)
    # format 4 changed only the local build's passage file and the manifest's per-document ids, neither of which a
    # published version is read by: a version published by format 3 serves as it is
    if manifest.get("format_version") not in (FORMAT_VERSION, *UPGRADABLE):
        raise IndexCorruptError(f"index at {where!r} has format {manifest.get('format_version')!r}, this code reads "
                                f"{FORMAT_VERSION}; rebuild with: RAG_STORE=qdrant rag index build --full")
    # the version is built from the local working copy, then published: that folder is what --index names
    check_compatible(manifest, settings.embedders, where,
                     fix=f"rebuild with: RAG_STORE=qdrant rag index build --full --index {settings.index_dir}")
    passages = _passages(conn, live)
    if len(passages) != manifest["counts"]["passages"]:
        raise IndexCorruptError(f"{live} holds {len(passages)} passages, its manifest {manifest['counts']['passages']}")
    n = len(passages)
    if aligned(manifest) and not terms_whole(conn, f"{live}-terms", mark):
        # a terms collection lost (a folder removed by hand) loaded as an empty one, and English questions were served
        # without the term alignment, BM25's hit@1 on them 0.73 → 0.58, with no word said (an operator's probe)
        raise IndexCorruptError(f"index at {where!r}: {live}-terms lacks the aligned terms its push wrote; write the "
                                "version again with `rag index push` (or `RAG_STORE=qdrant rag index build`)")
    parts: dict[str, tuple[Entry, Any]] = {}
    published = manifest.get("qdrant", {})  # how rag/qdrant/publish.py wrote the version
    idf_in = published.get("bm25_idf", "qdrant")
    for row in manifest["components"]:
        entry = Entry.from_json(row)
        if entry.kind == "bm25":
            entry = Entry(entry.name, entry.kind, entry.files,
                          {**entry.params, "idf_in": idf_in, "sequences": bool(published.get("bm25_sequences"))})
        loader = LOADERS.get(entry.kind)
        if loader is None:
            raise IndexCorruptError(f"component {entry.name!r} has an unknown kind {entry.kind!r}")
        parts[entry.name] = (entry, loader(entry, conn, live, n, files))
    # where it was published and how, not the local build's FAISS kind it never uses
    summary = {"faiss_kind": "qdrant", "store": {"kind": "qdrant", "shards": published.get("shards", 1),
                                                 "replicas": published.get("replicas", 1), "bm25_idf": idf_in}}
    index = LoadedIndex({**manifest, "store": where}, passages, docs, parts, store_summary=summary)
    logger.info("loaded index %s from %s (%d passages) in %.3fs", index.version, where, n, time.perf_counter() - t0)
    return index


def _scroll(conn: Connection, collection: str, **kwargs: Any) -> Iterator[Any]:
    offset = None
    while True:
        points, offset = conn.call(conn.client.scroll, collection, limit=PAGE, offset=offset, with_vectors=False,
                                   **kwargs)
        yield from points
        if offset is None:
            return


def _meta(conn: Connection, collection: str, where: str
          ) -> tuple[dict[str, Any], dict[str, DocRecord], dict[str, bytes], dict[str, Any]]:
    """The version's manifest, documents, stored files, and its push's completion mark ({} if none)."""
    manifest, docs, chunks, mark = None, {}, {}, {}
    for p in _scroll(conn, collection, with_payload=True):
        kind = p.payload.get("kind")
        if kind == "complete":
            mark = p.payload
        elif kind == "manifest":
            manifest = p.payload["manifest"]
        elif kind == "document":
            row = p.payload["document"]
            arts = tuple(records.article_from_json(row["doc_id"], a, row["raw"]) for a in row["articles"])
            docs[row["doc_id"]] = DocRecord(row["doc_id"], row["source_file"], row["sha256"], row["raw"], arts,
                                            row["excluded"])
        elif kind == "file":
            chunks.setdefault(p.payload["name"], {})[p.payload["part"]] = (p.payload["parts"], p.payload["data"])
    if manifest is None:
        raise IndexCorruptError(f"index at {where!r} has no manifest in {collection}")
    files = {}
    for name, parts in chunks.items():
        total = next(iter(parts.values()))[0]
        if sorted(parts) != list(range(total)):
            raise IndexCorruptError(f"index at {where!r}: file {name!r} lacks parts ({len(parts)} of {total})")
        files[name] = b"".join(base64.b64decode(parts[i][1]) for i in range(total))
    return manifest, docs, files, mark


def _passages(conn: Connection, collection: str) -> list[Passage]:
    fields = ["row", "passage_id", "doc_id", "article", "title", "start", "end", "text", "tokens"]
    rows = sorted(((p.payload["row"], p.payload) for p in _scroll(conn, collection, with_payload=fields)),
                  key=lambda rp: rp[0])
    if [r for r, _ in rows] != list(range(len(rows))):
        raise IndexCorruptError(f"{collection}: passage rows are not 0..{len(rows) - 1}")
    return [Passage(**{k: v for k, v in payload.items() if k != "row"}) for _, payload in rows]


def _bm25(entry: Entry, conn: Connection, live: str, n: int, files: dict[str, bytes]) -> tuple[QdrantBM25, Bridge]:
    from ..components.lexical import BRIDGE_FILE

    try:
        vocab = json.loads(files[BM25_VOCAB])
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / BRIDGE_FILE).write_bytes(files[BRIDGE_FILE])
            bridge = Bridge.load(Path(tmp) / BRIDGE_FILE)
    except (KeyError, ValueError, OSError) as exc:
        raise IndexCorruptError(f"bm25 cannot be read from {live} ({exc.__class__.__name__}: {exc})") from None
    return QdrantBM25(conn, live, n, vocab["terms"], vocab["df"], entry.params.get("idf_in", "qdrant"),
                      entry.params.get("sequences", False)), bridge


def _sentences(entry: Entry, conn: Connection, live: str, n: int, files: dict[str, bytes]) -> Any:
    """The answers' sentence store, loaded whole by the local loader from the files stored in the meta collection."""
    from ..components.sentences import load_sentences
    from ..stores.segments import LAYOUT_FILE

    missing = [f for f in (*entry.files, LAYOUT_FILE) if f not in files]
    if missing:
        raise IndexCorruptError(f"the sentence store's {missing!r} are missing from {live}-meta")
    with tempfile.TemporaryDirectory() as tmp:
        for name in (*entry.files, LAYOUT_FILE):
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_bytes(files[name])
        store = load_sentences(entry, Path(tmp))
    if len(store) != n:
        raise IndexCorruptError(f"the sentence store holds {len(store)} passages, {live} {n}")
    return store


LOADERS: dict[str, Callable[[Entry, Connection, str, int, dict[str, bytes]], Any]] = {
    "dense": lambda e, c, live, n, f: QdrantDense(c, live, n, e.name, int(e.params["dim"])),
    "sparse": lambda e, c, live, n, f: QdrantSparse(c, live, n, e.name),
    "bm25": _bm25,
    "align": lambda e, c, live, n, f: QdrantAligner(c, f"{live}-terms", e.name,
                                                    c.call(c.client.count, f"{live}-terms").count),
    "sentences": _sentences,
}
