"""Loading an index: manifest first, refuse mismatches and checksum failures before reading any big file."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..stores.align import TermAligner
from ..stores.bm25 import BM25Store
from ..stores.bridge import Bridge
from ..stores.dense import DenseStore
from ..stores.sparse import SparseStore
from ..stores.sentences import FILE as SENTENCES, SentenceStore
from ..types import Article, Citation, Passage
from . import records
from .manifest import check_compatible, read_manifest, verify_files

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DocRecord:
    """A document as indexed: raw text (citations index into it), articles, exclusion report."""

    doc_id: str
    source_file: str
    sha256: str
    raw: str
    articles: tuple[Article, ...]
    excluded: dict[str, int]

    def article(self, index: int) -> Article:
        return self.articles[index]


class LoadedIndex:
    """An immutable, fully loaded index version; queries in flight keep using it after a reload swaps it out."""

    def __init__(self, manifest: dict[str, Any], passages: list[Passage], docs: dict[str, DocRecord],
                 dense: dict[str, DenseStore], bm25: BM25Store, bridge: Bridge | None = None,
                 sparse: dict[str, SparseStore] | None = None, align: dict[str, TermAligner] | None = None,
                 sentences: SentenceStore | None = None) -> None:
        self.manifest = manifest
        self.version: str = manifest["build"]
        self.passages = passages
        self.docs = docs
        self.dense = dense
        self.bm25 = bm25
        self.bridge = bridge or Bridge({})
        self.sparse = sparse or {}
        self.align = align or {}
        self.sentences = sentences  # None for an index built before sentences were stored: answers encode them live
        self.row_doc = np.array([p.doc_id for p in passages], dtype=object)
        self.row_published = [docs[p.doc_id].article(p.article).published for p in passages]
        self._citations = [self._make_citation(p) for p in passages]

    def _make_citation(self, p: Passage) -> Citation:
        doc = self.docs[p.doc_id]
        art = doc.article(p.article)
        return Citation(doc_id=p.doc_id, title=art.title, published=art.published, source_file=doc.source_file,
                        start=p.start, end=p.end, url=art.url, sources=art.sources)

    def citation(self, row: int) -> Citation:
        return self._citations[row]

    def summary(self) -> dict[str, Any]:
        """Manifest summary for /readyz, /v1/index and the CLI."""
        m = self.manifest
        return {"index_version": self.version, "created_at": m["created_at"], "package_version": m["package_version"],
                "format_version": m["format_version"], "counts": m["counts"], "chunker": m["chunker"],
                "faiss_kind": m.get("faiss_kind", "flat"),
                "embedders": [{k: e[k] for k in ("spec", "dim", "fingerprint")} for e in m["embedders"]]}


def load_index(index_dir: Path, embedder_specs: tuple[str, ...]) -> LoadedIndex:
    """Read, verify and load the index at `index_dir` for the configured embedders."""
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, embedder_specs, index_dir)
    build_dir = verify_files(index_dir, manifest)
    try:
        passages, _ = records.read_passages(build_dir / records.PASSAGES)
        docs = {}
        for row in records.read_documents(build_dir / records.DOCUMENTS):
            arts = tuple(records.article_from_json(row["doc_id"], a) for a in row["articles"])
            docs[row["doc_id"]] = DocRecord(row["doc_id"], row["source_file"], row["sha256"], row["raw"], arts, row["excluded"])
        kind = manifest.get("faiss_kind", "flat")
        dense = {e["spec"]: DenseStore.load(build_dir / e["vectors"], build_dir / e["faiss"], kind) for e in manifest["embedders"]}
        sparse = {e["spec"]: SparseStore.load(build_dir / e["sparse"]) for e in manifest["embedders"] if e.get("sparse")}
        align = {e["spec"]: TermAligner.load(build_dir / e["align"]) for e in manifest["embedders"] if e.get("align")}
        sentences = SentenceStore.load(build_dir / SENTENCES, len(passages)) if SENTENCES in manifest["files"] else None
    except IndexCorruptError as exc:
        raise IndexCorruptError(f"{exc} (index at {str(index_dir)!r}: rag index build --full --index {index_dir})") from None
    try:
        bm25 = BM25Store.load(build_dir / "bm25", len(passages))
        bridge = Bridge.load(build_dir / records.BRIDGE) if records.BRIDGE in manifest["files"] else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(f"index at {str(index_dir)!r} cannot be read ({exc.__class__.__name__}: {exc}); "
                                f"rebuild with: rag index build --full --index {index_dir}") from None
    for spec, store in sparse.items():
        if len(store) != len(passages):
            raise IndexCorruptError(f"{spec} sparse vectors hold {len(store)} rows for {len(passages)} passages; "
                                    f"rebuild with: rag index build --full --index {index_dir}")
    for spec, store in dense.items():
        if store.vectors.shape[0] != len(passages):
            raise IndexCorruptError(f"{spec} vectors hold {store.vectors.shape[0]} rows for {len(passages)} passages; "
                                    f"rebuild with: rag index build --full --index {index_dir}")
    for spec, aligner in align.items():
        width = dense[spec].vectors.shape[1]
        if aligner.vectors.shape[1] != width:
            raise IndexCorruptError(f"{spec} term vectors are {aligner.vectors.shape[1]} wide, its passage vectors {width}; "
                                    f"rebuild with: rag index build --full --index {index_dir}")
    index = LoadedIndex(manifest, passages, docs, dense, bm25, bridge, sparse, align, sentences)
    logger.info("loaded index %s (%d passages) in %.3fs", index.version, len(passages), time.perf_counter() - t0)
    return index
