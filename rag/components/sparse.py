"""e5's sparse "latent terms" head as a component: rows reused by key, scored through per-feature postings."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..embedders import Embedder, slug, vectors_id
from ..errors import IndexCorruptError
from ..stores.segments import Layout, carried, link, reads_previous
from ..stores.sparse import SparseSegments, SparseStore
from . import Corpus, Entry, Language, Need, Previous, Progress, Question, Ranking
from .dense import EMBED_BATCH, reuse_by_key

logger = logging.getLogger(__name__)
SUFFIX = "-sparse"  # a sparse component is named after its embedder: "e5-sparse"


class SparseComponent:
    """Dot product of the question's sparse vector with every passage's, over the question's postings only."""

    # a crowded service may skip it (RAG_SHED_SPARSE_ABOVE): its question encoding is the SAE projection on e5's fused
    # engine, a second e5 pass on the wheel's library
    sheddable = True

    def __init__(self, embedder: str, store: SparseSegments, weight: float,
                 read: Callable[[str], str] | None = None) -> None:
        self.name = embedder + SUFFIX
        self.embedder = embedder
        self.store = store
        self._weight = weight
        self.read = read or str  # as the dense component's: one e5 pass gives both

    def needs(self, text: str, lang: Language) -> list[Need]:
        return [Need(self.embedder, "sparse", self.read(text))]

    def weight(self, lang: Language) -> float:
        return self._weight

    def warm(self) -> None:
        """Work the store would otherwise do in its first question (a local store's kernels; Qdrant's: none)."""
        getattr(self.store, "warm", lambda: None)()

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        return self.store.top(question.vector(self.embedder, "sparse", self.read(question.text)), k, allowed,
                              question.scope)


class SparseBuilder:
    """Encodes the passages the previous build lacks with the sparse head and indexes every row."""

    kind = "sparse"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name = embedder.name + SUFFIX

    def _params(self) -> dict[str, object]:
        # "text": the sparse head reads the prefixed text ("passage: …"), as the dense pass does, so that one forward
        # pass can make both; rows of an older index (raw text) are encoded again by its next build
        return {"embedder": self.embedder.name, "fingerprint": vectors_id(self.embedder),
                "sparse_dim": self.embedder.sparse_dim, "text": "prefixed"}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        layout = corpus.slots()
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        carry = carried(layout, old.params if old else None)
        stored = None
        files, computed = [], 0
        for seg in layout.segments:
            prefix = seg.path(f"sparse.{slug(self.embedder.name)}")
            names = SparseStore.files(prefix)
            files += names
            if carry and seg.name != layout.fresh:
                for rel in names:
                    link(previous.build_dir, out, rel)
                continue
            # a fresh segment beside carried ones holds only new keys, unless it merges
            if stored is None and old is not None and reads_previous(layout, carry):
                try:
                    stored = load_sparse(old, previous.build_dir)
                except IndexCorruptError as exc:
                    logger.warning("cannot reuse %s rows: %s", self.name, exc)
            rows, n = self._segment(corpus, layout.segment_rows(seg), previous if stored else None, stored, progress)
            SparseStore.build(rows, self.embedder.sparse_dim).save(out / prefix)
            computed += n
        return Entry(self.name, self.kind, tuple(files), {**self._params(), "segments": layout.segments_json()}), computed

    def _segment(self, corpus: Corpus, slot_rows: np.ndarray, previous: Previous | None, stored: SparseSegments | None,
                 progress: Progress) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
        empty = (np.zeros(0, np.int32), np.zeros(0, np.float32))
        rows: list[tuple[np.ndarray, np.ndarray] | None] = [None if r >= 0 else empty for r in slot_rows.tolist()]
        live = np.flatnonzero(slot_rows >= 0)
        at, slots = reuse_by_key(previous, stored is not None, [corpus.keys[r] for r in slot_rows[live].tolist()])
        for i, slot in zip(live[at].tolist(), slots.tolist()):
            rows[i] = stored.slot_row(slot)
        need = [i for i, r in enumerate(rows) if r is None]
        t0 = time.perf_counter()
        for b in range(0, len(need), EMBED_BATCH):
            batch = need[b : b + EMBED_BATCH]
            texts = [corpus.texts[int(slot_rows[i])] for i in batch]
            for i, row in zip(batch, self.embedder.encode_sparse_passages(texts)):
                rows[i] = row
            progress(f"sparse {self.embedder.name}", min(b + EMBED_BATCH, len(need)), len(need))
        logger.info("%s: encoded %d, reused %d passages in %.2fs", self.name, len(need), at.size,
                    time.perf_counter() - t0)
        return rows, len(need)


def check_recipe(entry: Entry) -> None:
    """Warn about an index whose sparse rows were encoded from the raw text (before the stop of Dec 2): questions are
    encoded from the prefixed text now, so it serves, a little off, until its next build encodes the rows again."""
    if entry.params.get("text") != "prefixed":
        logger.warning("%s: this index's passages were encoded from the raw text, questions now from the prefixed "
                       "text; it serves as it is, and `rag index build` encodes its sparse rows again", entry.name)


def load_sparse(entry: Entry, build_dir: Path) -> SparseSegments:
    """A sparse component's segments over its build's layout."""
    layout = Layout.load(build_dir, entry.params.get("segments", ()))
    prefixes = sorted({str(Path(f).parent) for f in entry.files}, key=[str(Path(f).parent) for f in entry.files].index)
    return SparseSegments.load(build_dir, prefixes, layout)
