"""Dense retrieval, one component per embedder: passage vectors reused by key, a FAISS index chosen by size."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import faiss
import numpy as np

from ..embedders import Embedder, slug, vectors_id
from ..stores.ann import choose_kind, new_index, training_sample, why_train_again
from ..stores.dense import DenseStore, SlotVectors, exact_tail
from ..stores.segments import Layout, carried, link, reads_previous
from . import Corpus, Entry, Language, Need, Previous, Progress, Question, Ranking

logger = logging.getLogger(__name__)
EMBED_BATCH = 32


def reuse_by_key(previous: Previous | None, ok: bool, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(positions in `keys`, previous slots) of the keys whose passage the previous build holds; empty when its data
    is not reusable (`ok` false) or there is none."""
    if previous is None or not ok:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    by_key = previous.slots_by_key()
    pairs = [(i, by_key[k]) for i, k in enumerate(keys) if k in by_key]
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    new, old = zip(*pairs)
    return np.asarray(new, np.int64), np.asarray(old, np.int64)


class DenseComponent:
    """Ranks passages by inner product of normalised vectors with the question's."""

    sheddable = False

    def __init__(self, name: str, store: DenseStore, weight: float, read: Callable[[str], str] | None = None) -> None:
        self.name = name
        self.store = store
        self._weight = weight
        # how the encoder reads a question: with the acronyms the passages define written out (defined.Glosser)
        self.read = read or str

    def needs(self, text: str, lang: Language) -> list[Need]:
        return [Need(self.name, "query", self.read(text))]

    def weight(self, lang: Language) -> float:
        return self._weight

    def warm(self) -> None:
        """Work the store would otherwise do in its first question (a local store's 8-bit codes; Qdrant's: none)."""
        getattr(self.store, "warm", lambda: None)()

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        return self.store.search(question.vector(self.name, "query", self.read(question.text)), k, allowed,
                                 question.scope)


class DenseBuilder:
    """Embeds the passages that the previous build lacks and indexes all of them."""

    kind = "dense"

    def __init__(self, embedder: Embedder, faiss_kind: str, ann_threshold: int) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.faiss_kind = faiss_kind
        self.ann_threshold = ann_threshold

    def _params(self) -> dict[str, object]:
        return {"embedder": self.embedder.name, "fingerprint": vectors_id(self.embedder), "dim": self.embedder.dim}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        layout = corpus.slots()
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        carry = carried(layout, old.params if old else None)
        s = slug(self.name)
        files, computed = [], 0
        for seg in layout.segments:
            rel = seg.path(f"vectors.{s}.npy")
            files.append(rel)
            if carry and seg.name != layout.fresh:
                link(previous.build_dir, out, rel)
                continue
            # a fresh segment next to carried ones holds only keys the previous build lacks, unless it merges
            vectors, n = self._segment(corpus, layout.segment_rows(seg), previous,
                                       old if reads_previous(layout, carry) else None, progress)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            np.save(out / rel, vectors, allow_pickle=False)
            computed += n
        kind = choose_kind(self.faiss_kind, layout.rows, self.ann_threshold)
        params = {**self._params(), "faiss_kind": kind, "segments": layout.segments_json()}
        if kind != "flat":
            index_file = f"faiss.{s}.index"
            same = carry and old.params.get("faiss_kind") == kind
            params["index_slots"] = self._index(kind, [out / f for f in files], layout,
                                                old.params if same else None, previous.build_dir if same else None,
                                                out, index_file)
            files.append(index_file)
        return Entry(self.name, self.kind, tuple(files), params), computed

    def _segment(self, corpus: Corpus, rows: np.ndarray, previous: Previous | None, old: Entry | None,
                 progress: Progress) -> tuple[np.ndarray, int]:
        """One segment's vectors by slot: reused by key from the previous build, else embedded (zeros for a removed
        passage's slot, which nothing ranks); (vectors, passages embedded)."""
        emb = self.embedder
        vectors = np.zeros((rows.size, emb.dim), np.float32)
        live = np.flatnonzero(rows >= 0)
        keys = [corpus.keys[r] for r in rows[live].tolist()]
        at, slots = reuse_by_key(previous, old is not None, keys)
        if at.size:
            try:
                stored = SlotVectors([np.load(previous.build_dir / f, mmap_mode="r", allow_pickle=False)
                                      for f in old.files if f.endswith(".npy")], emb.dim)
                vectors[live[at]] = stored.take(slots)
            except (OSError, ValueError, IndexError) as exc:
                logger.warning("cannot reuse %s vectors: %s", self.name, exc)
                at = np.zeros(0, np.int64)
        reused = np.zeros(live.size, bool)
        reused[at] = True
        need = live[~reused]
        t0 = time.perf_counter()
        for b in range(0, need.size, EMBED_BATCH):
            part = need[b : b + EMBED_BATCH]
            vectors[part] = emb.encode_passages([corpus.texts[r] for r in rows[part].tolist()])
            progress(f"embedding {self.name}", min(b + EMBED_BATCH, need.size), need.size)
        logger.info("%s: embedded %d, reused %d passages in %.2fs", self.name, need.size, at.size,
                    time.perf_counter() - t0)
        return vectors, int(need.size)

    def _index(self, kind: str, paths: list[Path], layout, old: dict | None, previous_dir: Path | None, out: Path,
               index_file: str) -> int:
        """The approximate index, over the slots it covers (returned): the previous build's file, shared, while it
        covers only stable slots and the slots after them fit the exact tail; else that index cut back to the stable
        slots (after a delta merge) and extended, unless it has outgrown its training (or holds 8-bit codes), when
        one is trained on the live vectors and filled."""
        t0 = time.perf_counter()
        covered = old.get("index_slots") if old else None  # None: written before the exact tail, or none to share
        if covered is not None and covered <= layout.stable and layout.slots - covered <= exact_tail(covered):
            link(previous_dir, out, index_file)
            logger.info("%s: the %s index over %d slots is shared; %d slots after it are scored exactly", self.name,
                        kind, covered, layout.slots - covered)
            return int(covered)
        index = None
        live = np.flatnonzero(layout.slot_row >= 0)
        if old is not None:
            try:
                index = faiss.read_index(str(previous_dir / index_file))
                reason = why_train_again(index, layout.stable, live.size)
                if reason:
                    logger.info("%s: training the %s index again: %s", self.name, kind, reason)
                    index = None
            except RuntimeError as exc:
                logger.warning("cannot extend the previous %s index: %s", self.name, exc)
                index = None
        slots = SlotVectors([np.load(p, mmap_mode="r", allow_pickle=False) for p in paths], self.embedder.dim)
        if index is None:
            index = new_index(slots.take(training_sample(live)), kind, live.size)
        for b in range(index.ntotal, layout.slots, 65536):
            index.add(slots.take(np.arange(b, min(b + 65536, layout.slots))))
        faiss.write_index(index, str(out / index_file))
        logger.info("%s: %s index over %d slots in %.2fs", self.name, kind, layout.slots, time.perf_counter() - t0)
        return layout.slots


def load_dense(entry: Entry, build_dir: Path) -> DenseStore:
    """A dense component's vector segments and (approximate kinds) its FAISS index, over its build's layout."""
    layout = Layout.load(build_dir, entry.params.get("segments", ()))
    vectors = [build_dir / f for f in entry.files if f.endswith(".npy")]
    index = next((build_dir / f for f in entry.files if f.endswith(".index")), None)
    return DenseStore.load_segments(vectors, layout, index, entry.params.get("faiss_kind", "flat"),
                                    entry.params.get("index_slots"))
