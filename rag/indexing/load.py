"""Loading an index: manifest first, refuse mismatches and checksum failures before reading any big file."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..chunking import CHUNKING_ID
from ..components import Entry
from ..components.registry import PASSAGE_ROWS, load_part
from ..errors import IndexCorruptError
from ..stores.align import TermAligner
from ..stores.bm25 import BM25Store
from ..stores.bridge import Bridge
from ..stores.dense import DenseStore
from ..stores.sentences import SentenceStore
from ..stores.sparse import SparseStore
from ..types import Article, Citation, Passage
from . import records
from .manifest import check_compatible, read_manifest, rebuild_hint, verify_files
from .columns import PASSAGE_COLUMNS, PassageColumns
from .passages import PassageTable

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


def day_number(published: str | None) -> int:
    """An ISO date or time as the number YYYYMMDD, which orders as the dates do; 0 for none (or not a date)."""
    text = (published or "")[:10]
    digits = text[0:4] + text[5:7] + text[8:10]
    return int(digits) if len(text) == 10 and digits.isascii() and digits.isdigit() else 0


class LoadedIndex:
    """An immutable, fully loaded index version; queries in flight keep using it after a reload swaps it out."""

    def __init__(self, manifest: dict[str, Any], passages: PassageTable | Sequence[Passage],
                 docs: dict[str, DocRecord], parts: dict[str, tuple[Entry, Any]],
                 store_summary: dict[str, Any] | None = None) -> None:
        self.manifest = manifest
        # the entries of `summary()` that the store which opened this version writes over a build directory's (its
        # kind and layout; Qdrant's search for the FAISS kind): only that store's loader knows how it published
        self.store_summary = store_summary or {}
        self.version: str = manifest["build"]
        self.passages = passages if isinstance(passages, PassageTable) else PassageTable.of(passages, docs)
        self.docs = docs
        self.parts = parts  # component name → (manifest entry, its loaded data), in build order
        table = self.passages
        # for filters, as arrays: each row's document ordinal, and its article's day as the number YYYYMMDD (0 when
        # undated): a date filter was a Python loop over every row (~0.1 s a search at a million), then a comparison
        # of 10-character strings (8 ms at a million), now of integers
        self.doc_ordinal = {d: i for i, d in enumerate(table.doc_ids)}
        day = {(d, i): day_number(a.published) for d, doc in enumerate(table.documents)
               for i, a in enumerate(doc.articles)}
        self.row_day = np.array([day[d, a] for d, a in zip(table.doc.tolist(), table.article.tolist())], dtype=np.int32)

    # views by kind, for tools and tests that look inside one signal
    def _of(self, kind: str) -> dict[str, Any]:
        return {e.params.get("embedder", name): data for name, (e, data) in self.parts.items() if e.kind == kind}

    @property
    def dense(self) -> dict[str, DenseStore]:
        return self._of("dense")

    @property
    def sparse(self) -> dict[str, SparseStore]:
        return self._of("sparse")

    @property
    def align(self) -> dict[str, TermAligner]:
        return self._of("align")

    @property
    def sentences(self) -> SentenceStore | None:
        """Every passage's sentences for extractive answers; None in an index built without them."""
        return next((data for e, data in self.parts.values() if e.kind == "sentences"), None)

    @property
    def bm25(self) -> BM25Store:
        return self.parts["bm25"][1][0]

    @property
    def bridge(self) -> Bridge:
        return self.parts["bm25"][1][1]

    def _make_citation(self, p: Passage) -> Citation:
        doc = self.docs[p.doc_id]
        art = doc.article(p.article)
        return Citation(doc_id=p.doc_id, title=art.title, published=art.published, source_file=doc.source_file,
                        start=p.start, end=p.end, url=art.url, sources=art.sources)

    def citation(self, row: int) -> Citation:
        return self._make_citation(self.passages[row])

    def is_source(self, p: Passage) -> bool:
        """Whether a passage is one of its article's source rows (who wrote it, where it appeared: rag/types.py), as
        the Searcher reads its rows (PassageTable.is_source)."""
        row = self.passages.row_of(p.passage_id)
        return row is not None and self.passages.is_source(row)

    def summary(self) -> dict[str, Any]:
        """Manifest summary for /readyz, /v1/index and the CLI."""
        m = self.manifest
        kinds = [e.params.get("faiss_kind") for e, _ in self.parts.values() if e.kind == "dense"]
        return {"index_version": self.version, "created_at": m["created_at"], "package_version": m["package_version"],
                "format_version": m["format_version"], "counts": m["counts"], "chunker": m["chunker"],
                "faiss_kind": kinds[0] if kinds else None, "store": {"kind": "local"},
                "embedders": [{**{k: e[k] for k in ("spec", "dim", "fingerprint")}, "vectors": e.get("vectors")}
                              for e in m["embedders"]]} | self.store_summary


def load_index(index_dir: Path, embedder_specs: tuple[str, ...]) -> LoadedIndex:
    """Read, verify and load the index at `index_dir` for the configured embedders."""
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, embedder_specs, index_dir)
    chunked_by = manifest.get("chunker", {}).get("chunking")
    if chunked_by != CHUNKING_ID:  # it serves as it is; its next build chunks every document again
        logger.warning("index %s was cleaned and chunked by other code (CHUNKING_ID %r, this code %r): it serves as "
                       "built; `rag index build` brings its passages up to date", index_dir, chunked_by, CHUNKING_ID)
    build_dir = verify_files(index_dir, manifest)
    try:
        docs = {}
        for row in records.read_documents(build_dir / records.DOCUMENTS):
            arts = tuple(records.article_from_json(row["doc_id"], a, row["raw"]) for a in row["articles"])
            docs[row["doc_id"]] = DocRecord(row["doc_id"], row["source_file"], row["sha256"], row["raw"], arts, row["excluded"])
        passages = PassageTable.from_columns(PassageColumns.load(build_dir / PASSAGE_COLUMNS), docs)
        parts = {}
        for row in manifest["components"]:
            entry = Entry.from_json(row)
            parts[entry.name] = (entry, load_part(entry, build_dir))
    except IndexCorruptError as exc:
        raise IndexCorruptError(f"{exc} (index at {str(index_dir)!r}); {rebuild_hint(index_dir)}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"index at {str(index_dir)!r} cannot be read ({exc.__class__.__name__}: {exc}); "
                                f"{rebuild_hint(index_dir)}") from None
    index = LoadedIndex(manifest, passages, docs, parts)
    _check_rows(index, index_dir)
    logger.info("loaded index %s (%d passages) in %.3fs", index.version, len(passages), time.perf_counter() - t0)
    return index


def _check_rows(index: LoadedIndex, index_dir: Path) -> None:
    """Every per-passage signal must hold one row per passage, and term vectors the width of their passage vectors."""
    n = len(index.passages)
    for name, (entry, data) in index.parts.items():
        rows = PASSAGE_ROWS.get(entry.kind)
        if rows is not None and rows(data) != n:
            raise IndexCorruptError(f"{name} holds {rows(data)} passage rows for {n} passages; {rebuild_hint(index_dir)}")
    for spec, aligner in index.align.items():
        width = index.dense[spec].dim if spec in index.dense else aligner.dim
        if aligner.dim != width:
            raise IndexCorruptError(f"{spec} term vectors are {aligner.dim} wide, its passage vectors "
                                    f"{width}; {rebuild_hint(index_dir)}")
