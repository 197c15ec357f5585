"""e5's sparse "latent terms" head as a component: rows reused by key, scored through per-feature postings."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..embedders import Embedder, slug
from ..errors import IndexCorruptError
from ..stores.sparse import SparseStore
from . import Corpus, Entry, Language, Need, Previous, Progress, Question, Ranking
from .dense import EMBED_BATCH, reused_rows

logger = logging.getLogger(__name__)
SUFFIX = "-sparse"  # a sparse component is named after its embedder: "e5-sparse"


class SparseComponent:
    """Dot product of the question's sparse vector with every passage's, over the question's postings only."""

    def __init__(self, embedder: str, store: SparseStore, weight: float) -> None:
        self.name = embedder + SUFFIX
        self.embedder = embedder
        self.store = store
        self._weight = weight

    def needs(self, text: str, lang: Language) -> list[Need]:
        return [Need(self.embedder, "sparse", text)]

    def weight(self, lang: Language) -> float:
        return self._weight

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        return self.store.top(question.vector(self.embedder, "sparse"), k, allowed, question.scope)


class SparseBuilder:
    """Encodes the passages the previous build lacks with the sparse head and indexes every row."""

    kind = "sparse"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name = embedder.name + SUFFIX

    def _params(self) -> dict[str, object]:
        return {"embedder": self.embedder.name, "fingerprint": self.embedder.fingerprint,
                "sparse_dim": self.embedder.sparse_dim}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        n = len(corpus.keys)
        rows: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        new_rows, old_rows = reused_rows(previous, old, corpus.keys)
        if new_rows.size:
            try:
                stored = SparseStore.load(previous.build_dir / Path(old.files[0]).parent)
                for i, j in zip(new_rows.tolist(), old_rows.tolist()):
                    rows[i] = stored.row(j)
            except (IndexCorruptError, IndexError) as exc:
                logger.warning("cannot reuse %s rows: %s", self.name, exc)
                rows = [None] * n
        need = [i for i, r in enumerate(rows) if r is None]
        t0 = time.perf_counter()
        for b in range(0, len(need), EMBED_BATCH):
            batch = need[b : b + EMBED_BATCH]
            for i, row in zip(batch, self.embedder.encode_sparse([corpus.texts[i] for i in batch])):
                rows[i] = row
            progress(f"sparse {self.embedder.name}", min(b + EMBED_BATCH, len(need)), len(need))
        logger.info("%s: encoded %d, reused %d passages in %.2fs", self.name, len(need), n - len(need),
                    time.perf_counter() - t0)
        prefix = f"sparse.{slug(self.embedder.name)}"
        SparseStore.build(rows, self.embedder.sparse_dim).save(out / prefix)
        return Entry(self.name, self.kind, SparseStore.files(prefix), self._params()), len(need)
