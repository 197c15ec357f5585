"""Dense retrieval, one component per embedder: passage vectors reused by key, a FAISS index chosen by size."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..embedders import Embedder, slug
from ..stores.dense import DenseStore, choose_kind
from . import Corpus, Entry, Language, Need, Previous, Progress, Question, Ranking

logger = logging.getLogger(__name__)
EMBED_BATCH = 32


def reused_rows(previous: Previous | None, entry: Entry | None, keys: list[str] | tuple[str, ...],
                ) -> tuple[np.ndarray, np.ndarray]:
    """(new rows, previous rows) of the passages whose key the previous build holds; empty without one."""
    if previous is None or entry is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    by_key = previous.rows_by_key()
    pairs = [(i, by_key[k]) for i, k in enumerate(keys) if k in by_key]
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    new, old = zip(*pairs)
    return np.asarray(new, np.int64), np.asarray(old, np.int64)


class DenseComponent:
    """Ranks passages by inner product of normalised vectors with the question's."""

    def __init__(self, name: str, store: DenseStore, weight: float) -> None:
        self.name = name
        self.store = store
        self._weight = weight

    def needs(self, text: str, lang: Language) -> list[Need]:
        return [Need(self.name, "query", text)]

    def weight(self, lang: Language) -> float:
        return self._weight

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        rows, scores = self.store.search(question.vector(self.name), k, allowed, question.scope)
        return Ranking(rows, scores)


class DenseBuilder:
    """Embeds the passages that the previous build lacks and indexes all of them."""

    kind = "dense"

    def __init__(self, embedder: Embedder, faiss_kind: str, ann_threshold: int) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.faiss_kind = faiss_kind
        self.ann_threshold = ann_threshold

    def _params(self) -> dict[str, object]:
        return {"embedder": self.embedder.name, "fingerprint": self.embedder.fingerprint, "dim": self.embedder.dim}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        emb, n = self.embedder, len(corpus.keys)
        vectors = np.zeros((n, emb.dim), np.float32)
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        new_rows, old_rows = reused_rows(previous, old, corpus.keys)
        if new_rows.size:
            try:
                stored = np.load(previous.build_dir / old.files[0], mmap_mode="r", allow_pickle=False)
                vectors[new_rows] = stored[old_rows]
            except (OSError, ValueError, IndexError) as exc:
                logger.warning("cannot reuse %s vectors: %s", self.name, exc)
                new_rows = np.zeros(0, np.int64)
        reused = np.zeros(n, bool)
        reused[new_rows] = True
        need = np.flatnonzero(~reused)
        t0 = time.perf_counter()
        for b in range(0, need.size, EMBED_BATCH):
            rows = need[b : b + EMBED_BATCH]
            vectors[rows] = emb.encode_passages([corpus.texts[i] for i in rows])
            progress(f"embedding {self.name}", min(b + EMBED_BATCH, need.size), need.size)
        logger.info("%s: embedded %d, reused %d passages in %.2fs", self.name, need.size, new_rows.size,
                    time.perf_counter() - t0)
        kind = choose_kind(self.faiss_kind, n, self.ann_threshold)
        s = slug(self.name)
        files = (f"vectors.{s}.npy", f"faiss.{s}.index")
        DenseStore.build(vectors, kind).save(out / files[0], out / files[1])
        return Entry(self.name, self.kind, files, {**self._params(), "faiss_kind": kind}), int(need.size)
