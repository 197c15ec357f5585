"""Atomic, incremental index builds: unchanged passages reuse their stored vectors; nothing half-written is ever live."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..chunking import ChunkParams, chunk_corpus
from ..corpus import load_corpus
from ..embedders import Embedder, slug, sparse_capable
from ..errors import IndexError_, RagError
from ..settings import Settings
from ..stores.align import TermAligner
from ..stores.bm25 import BM25Store
from ..stores.bridge import BRIDGE_ID, Bridge, build_bridge
from ..stores.dense import DenseStore
from ..stores.sparse import SparseStore
from ..stores import sentences
from ..stores.japanese import ANALYZER_ID, default_analyzer
from ..types import Passage
from . import records
from .manifest import BUILDS, FORMAT, FORMAT_VERSION, file_entries, read_manifest, verify_files, write_manifest

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
EMBED_BATCH = 32


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did; `as_json()` is the `rag index build --json` object."""

    added: int
    changed: int
    removed: int
    unchanged: int
    passages: int
    seconds: float
    index_version: str
    embedded: dict[str, int] = field(default_factory=dict)
    embed_seconds: dict[str, float] = field(default_factory=dict)
    documents: int = 0
    articles: int = 0
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed, "unchanged": self.unchanged,
                "passages": self.passages, "seconds": round(self.seconds, 3), "index_version": self.index_version,
                "documents": self.documents, "articles": self.articles, "embedded": self.embedded,
                "embed_seconds": {k: round(v, 3) for k, v in self.embed_seconds.items()},
                "warnings": list(self.warnings)}


def embed_text(p: Passage, with_title: bool) -> str:
    """What the embedders see: the passage, optionally behind its article title (the citation stays the passage)."""
    return f"{p.title}\n{p.text}" if with_title and p.title and not p.text.startswith(p.title) else p.text


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def build_index(settings: Settings, embedders: Sequence[Embedder], *, full: bool = False,
                progress: Progress | None = None) -> BuildReport:
    """Build (or incrementally update) the index at settings.index_dir from settings.seeds_dir."""
    t0 = time.perf_counter()
    index_dir = Path(settings.index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(index_dir):
        return _build(settings, embedders, index_dir, full, progress or (lambda *_: None), t0)


def _build(settings: Settings, embedders: Sequence[Embedder], index_dir: Path, full: bool, progress: Progress,
           t0: float) -> BuildReport:
    corpus = load_corpus(settings.seeds_dir)
    chunker = {"max_tokens": settings.chunk_max_tokens, "overlap": settings.chunk_overlap,
               "embed_title": settings.embed_title, "analyzer": ANALYZER_ID,
               "bridge": BRIDGE_ID}
    passages = chunk_corpus(corpus.documents, ChunkParams(settings.chunk_max_tokens, settings.chunk_overlap))
    texts = [embed_text(p, settings.embed_title) for p in passages]
    keys = [_key(t) for t in texts]
    old, warnings = _previous(index_dir, full), [f"skipped {w.path}: {w.message}" for w in corpus.warnings]
    live_build = _live_build(index_dir)
    old_docs = old[0]["documents"] if old else {}
    new_docs = {d.doc_id: d.sha256 for d in corpus.documents}
    counts = {
        "added": sum(1 for d in new_docs if d not in old_docs),
        "removed": sum(1 for d in old_docs if d not in new_docs),
        "changed": sum(1 for d, h in new_docs.items() if d in old_docs and old_docs[d]["sha256"] != h),
    }
    counts["unchanged"] = len(new_docs) - counts["added"] - counts["changed"]

    builds = index_dir / BUILDS
    builds.mkdir(exist_ok=True)
    created = datetime.now(timezone.utc)
    build_id = created.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        embedded, embed_seconds, emb_meta = {}, {}, []
        for emb in embedders:
            cache = _cached_vectors(old, emb, chunker) if old else {}
            vectors = np.zeros((len(passages), emb.dim), np.float32)
            need = [i for i, k in enumerate(keys) if k not in cache]
            for i, k in enumerate(keys):
                if k in cache:
                    vectors[i] = cache[k]
            te = time.perf_counter()
            for b in range(0, len(need), EMBED_BATCH):
                rows = need[b : b + EMBED_BATCH]
                vectors[rows] = emb.encode_passages([texts[i] for i in rows])
                progress(f"embedding {emb.name}", min(b + EMBED_BATCH, len(need)), len(need))
            embed_seconds[emb.name] = time.perf_counter() - te
            embedded[emb.name] = len(need)
            logger.info("%s: embedded %d, reused %d passages in %.2fs", emb.name, len(need), len(passages) - len(need), embed_seconds[emb.name])
            s = slug(emb.name)
            DenseStore.build(vectors, settings.faiss_kind).save(tmp / f"vectors.{s}.npy", tmp / f"faiss.{s}.index")
            meta = {"spec": emb.name, "name": emb.name, "dim": emb.dim, "fingerprint": emb.fingerprint,
                    "vectors": f"vectors.{s}.npy", "faiss": f"faiss.{s}.index"}
            if settings.sparse and sparse_capable(emb):
                te = time.perf_counter()
                rows, fresh = _sparse_rows(old, emb, keys, texts, progress)
                SparseStore.build(rows, emb.sparse_dim).save(tmp / f"sparse.{s}.npz")
                meta |= {"sparse": f"sparse.{s}.npz", "sparse_dim": emb.sparse_dim}
                embedded[f"{emb.name}-sparse"] = fresh
                embed_seconds[f"{emb.name}-sparse"] = time.perf_counter() - te
            emb_meta.append(meta)
        tb = time.perf_counter()
        analyzer = default_analyzer()
        bm25 = BM25Store.build([analyzer.terms(t) for t in texts])
        bm25.save(tmp / "bm25")
        Bridge(build_bridge(bm25.vocabulary, cache_dir=index_dir / ".cache")).save(tmp / records.BRIDGE)
        logger.info("bm25: %d passages in %.2fs", len(passages), time.perf_counter() - tb)
        _align_terms(settings, embedders, bm25.vocabulary, old, tmp, emb_meta, embedded, embed_seconds)
        store, fresh, secs = sentences.build_for_index([p.text for p in passages], embedders, analyzer, old and old[1])
        store.save(tmp / sentences.FILE)  # the extractive answer's sentences, encoded once here instead of per request
        embedded |= {f"{k}-sentences": n for k, n in fresh.items()}
        embed_seconds["sentences"] = secs
        records.write_passages(tmp / records.PASSAGES, passages, keys)
        records.write_documents(tmp / records.DOCUMENTS, _document_rows(corpus, passages, settings))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "package_version": __version__,
            "created_at": created.isoformat().replace("+00:00", "Z"), "build": build_id,
            "embedders": emb_meta, "chunker": chunker, "faiss_kind": settings.faiss_kind,
            "documents": {d.doc_id: {"sha256": d.sha256, "source_file": _source_file(settings, d.doc_id),
                                     "passages": [p.passage_id for p in passages if p.doc_id == d.doc_id]}
                          for d in corpus.documents},
            "counts": {"documents": len(corpus.documents), "articles": sum(len(d.articles) for d in corpus.documents),
                       "passages": len(passages)},
            "files": file_entries(tmp),
        }
        os.replace(tmp, builds / build_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    write_manifest(index_dir, manifest)  # the atomic switch: before this line the old index is live
    _collect_garbage(builds, keep={build_id, live_build or ""})
    report = BuildReport(passages=len(passages), seconds=time.perf_counter() - t0, index_version=build_id,
                         embedded=embedded, embed_seconds=embed_seconds, documents=len(corpus.documents),
                         articles=manifest["counts"]["articles"], warnings=tuple(warnings), **counts)
    logger.info("index %s built: %s", build_id, report.as_json())
    return report


def _source_file(settings: Settings, doc_id: str) -> str:
    return (Path(settings.seeds_dir) / f"{doc_id}.txt").as_posix()


def _document_rows(corpus, passages: list[Passage], settings: Settings):
    for d in corpus.documents:
        yield {"doc_id": d.doc_id, "source_file": _source_file(settings, d.doc_id), "sha256": d.sha256,
               "raw": d.raw, "excluded": d.excluded_chars(),
               "articles": [records.article_to_json(a) for a in d.articles]}


def _previous(index_dir: Path, full: bool) -> tuple[dict[str, Any], Path] | None:
    """The live index (manifest, build dir) to reuse vectors from, or None; a broken one is ignored with a warning."""
    if full or not (index_dir / "manifest.json").exists():
        return None
    try:
        manifest = read_manifest(index_dir)
        return manifest, verify_files(index_dir, manifest)
    except IndexError_ as exc:
        logger.warning("previous index is not reusable, building from scratch: %s", exc)
        return None


def _live_build(index_dir: Path) -> str | None:
    """The build the current manifest points at (even when its vectors are not reused), to keep it for readers."""
    try:
        return read_manifest(index_dir)["build"]
    except IndexError_:
        return None


def _same_model(manifest: dict[str, Any], emb: Embedder) -> dict[str, Any] | None:
    """The previous build's entry for this embedder, if it was made by the very same model (spec and fingerprint)."""
    return next((e for e in manifest["embedders"] if e["spec"] == emb.name and e["fingerprint"] == emb.fingerprint), None)


def _cached_vectors(old: tuple[dict[str, Any], Path], emb: Embedder, chunker: dict[str, Any]) -> dict[str, np.ndarray]:
    manifest, build_dir = old
    meta = _same_model(manifest, emb)
    if meta is None or meta["dim"] != emb.dim:
        return {}
    try:
        _, keys = records.read_passages(build_dir / records.PASSAGES)
        vectors = np.load(build_dir / meta["vectors"], allow_pickle=False)
    except (OSError, ValueError) as exc:
        logger.warning("cannot reuse %s vectors: %s", emb.name, exc)
        return {}
    return {k: vectors[i] for i, k in enumerate(keys) if i < len(vectors)}


def _sparse_rows(old: tuple[dict[str, Any], Path] | None, emb: Embedder, keys: list[str], texts: list[str],
                 progress: Progress) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """Sparse vectors for every passage, reusing the previous build's rows for unchanged texts; (rows, computed)."""
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if old:
        manifest, build_dir = old
        meta = _same_model(manifest, emb)
        if meta is not None and meta.get("sparse") and meta.get("sparse_dim") == emb.sparse_dim:
            try:
                _, old_keys = records.read_passages(build_dir / records.PASSAGES)
                store = SparseStore.load(build_dir / meta["sparse"])
                cache = {k: store.row(i) for i, k in enumerate(old_keys) if i < len(store)}
            except (OSError, ValueError, IndexError_) as exc:
                logger.warning("cannot reuse %s sparse vectors: %s", emb.name, exc)
    need = [i for i, k in enumerate(keys) if k not in cache]
    fresh: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for b in range(0, len(need), EMBED_BATCH):
        rows = need[b : b + EMBED_BATCH]
        fresh.update(zip(rows, emb.encode_sparse([texts[i] for i in rows])))
        progress(f"sparse {emb.name}", min(b + EMBED_BATCH, len(need)), len(need))
    return [fresh[i] if i in fresh else cache[k] for i, k in enumerate(keys)], len(need)


def _align_terms(settings: Settings, embedders: Sequence[Embedder], vocabulary: set[str],
                 old: tuple[dict[str, Any], Path] | None, tmp: Path, emb_meta: list[dict[str, Any]],
                 embedded: dict[str, int], embed_seconds: dict[str, float]) -> None:
    """Embed the BM25 vocabulary with the alignment embedder (settings.align), reusing the previous build's term
    vectors for the same model; recorded as that embedder's `align` file."""
    emb = next((e for e in embedders if e.name == settings.align), None)
    if emb is None:
        if settings.align:
            logger.info("align=%r is not among the embedders: no term alignment in this index", settings.align)
        return
    te = time.perf_counter()
    reuse: dict[str, np.ndarray] = {}
    if old:
        manifest, build_dir = old
        meta = _same_model(manifest, emb)
        if meta is not None and meta.get("align"):
            try:
                reuse = TermAligner.load(build_dir / meta["align"]).by_term()
            except IndexError_ as exc:
                logger.warning("cannot reuse %s term vectors: %s", emb.name, exc)
    aligner, fresh = TermAligner.build(vocabulary, emb.encode_queries, reuse, emb.dim)
    name = f"align.{slug(emb.name)}.npz"
    aligner.save(tmp / name)
    next(m for m in emb_meta if m["spec"] == emb.name)["align"] = name
    embedded[f"{emb.name}-align"] = fresh
    embed_seconds[f"{emb.name}-align"] = time.perf_counter() - te
    logger.info("%s: embedded %d, reused %d vocabulary terms", emb.name, fresh, len(aligner) - fresh)


def _collect_garbage(builds: Path, keep: set[str]) -> None:
    """Keep the new and the previous build (a reader may still be opening it); drop the rest and dead temp dirs."""
    for path in builds.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


class _exclusive:
    """An advisory lock so two builds never write the same index at once."""

    def __init__(self, index_dir: Path) -> None:
        self._path = index_dir / ".build.lock"
        self._fh = None

    def __enter__(self) -> None:
        self._fh = open(self._path, "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            raise RagError(f"another build is already running on {str(self._path.parent)!r}; wait for it to finish") from None

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
