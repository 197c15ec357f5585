"""Term alignment as a BM25 query expander: English question words reach their nearest Japanese BM25 terms in an
embedder's space. Its builder embeds the BM25 vocabulary, reusing the previous build's term vectors by term."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import faiss
import numpy as np

from ..embedders import Embedder, slug
from ..errors import IndexCorruptError
from ..stores.align import ANN_TERMS, TermAligner, ann_index
from ..stores.segments import MAX_DEAD, MAX_SEGMENTS, SEG_DIR, link
from ..stores.bridge import content_words
from ..stores.dense import SlotVectors, exact_tail, scores_exact
from . import Corpus, Entry, Need, Previous, Progress, Question
from .lexical import BM25Builder

logger = logging.getLogger(__name__)


class AlignExpander:
    """One group per English content word: its `terms` nearest vocabulary terms at cosine ≥ `min_similarity`."""

    def __init__(self, embedder: str, aligner: TermAligner, terms: int, min_similarity: float, max_words: int) -> None:
        self.embedder = embedder
        self.aligner = aligner
        self.terms = terms
        self.min_similarity = min_similarity
        self.max_words = max_words

    def words(self, text: str) -> list[str]:
        return content_words(text)[: self.max_words]

    def needs(self, text: str) -> list[Need]:
        return [Need(self.embedder, "query", w) for w in self.words(text)]

    def groups(self, question: Question) -> list[list[str]]:
        words = self.words(question.text)
        if not words:
            return []
        vectors = np.stack([question.vector(self.embedder, "query", w) for w in words])
        return self.aligner.groups(vectors, self.terms, self.min_similarity)


class AlignBuilder:
    """Embeds every term of the BM25 vocabulary that `bm25` produced in this build."""

    kind = "align"

    def __init__(self, embedder: Embedder, bm25: BM25Builder) -> None:
        self.embedder = embedder
        self.bm25 = bm25
        self.name = f"{embedder.name}-align"

    def _params(self) -> dict[str, object]:
        return {"embedder": self.embedder.name, "fingerprint": self.embedder.fingerprint, "dim": self.embedder.dim}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        """Terms are appended in segments like passages: the previous build's term segments are shared, this
        build's new terms form one more, and terms no passage holds any more are flagged dead until a merge."""
        t0 = time.perf_counter()
        s = slug(self.embedder.name)
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        before = None
        if old is not None:
            try:
                before = align_terms(old, previous.build_dir)
            except IndexCorruptError as exc:
                logger.warning("cannot reuse %s term vectors: %s", self.embedder.name, exc)
        vocabulary = self.bm25.vocabulary
        segments = list(old.params.get("segments", ())) if before is not None else []
        known = {t: i for i, t in enumerate(before)} if before is not None else {}
        new_terms = sorted(t for t in vocabulary if t not in known)
        total = len(known) + len(new_terms)
        dead = total - len(vocabulary)
        merge = before is None or len(segments) + bool(new_terms) > MAX_SEGMENTS or (total and dead / total > MAX_DEAD)
        files: list[str] = []
        if merge:
            stored = load_align(old, previous.build_dir) if before is not None else None
            aligner, fresh = TermAligner.build(vocabulary, self.embedder.encode_queries, stored, self.embedder.dim)
            name = out.name.removeprefix(".tmp-")
            segments = [{"name": name, "terms": len(aligner)}]
            terms, vectors, live = aligner.terms, aligner.vectors, None
            rel = f"{SEG_DIR}/{name}/align.{s}.npz"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            aligner.save(out / rel)
            files.append(rel)
        else:
            for seg in segments:
                rel = f"{SEG_DIR}/{seg['name']}/align.{s}.npz"
                link(previous.build_dir, out, rel)
                files.append(rel)
            terms, vectors = list(before), np.zeros((0, self.embedder.dim), np.float32)
            fresh = len(new_terms)
            if new_terms:
                added, _ = TermAligner.build(new_terms, self.embedder.encode_queries, None, self.embedder.dim)
                name = out.name.removeprefix(".tmp-")
                rel = f"{SEG_DIR}/{name}/align.{s}.npz"
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                added.save(out / rel)
                files.append(rel)
                segments.append({"name": name, "terms": len(new_terms)})
                terms, vectors = terms + new_terms, added.vectors  # only the new rows: the ANN index has the rest
            live = np.fromiter((t in vocabulary for t in terms), bool, len(terms))
        live_rel = f"align.{s}.live.npy"
        np.save(out / live_rel, np.ones(len(terms), bool) if live is None else live, allow_pickle=False)
        files.append(live_rel)
        params = {**self._params(), "segments": segments}
        if len(terms) >= ANN_TERMS:
            ivf = f"align.{s}.ivf"
            covered = None if merge else old.params.get("ann_terms")  # None: no index, or one covering every term
            if covered is not None and covered <= len(terms) and len(terms) - covered <= exact_tail(covered):
                link(previous.build_dir, out, ivf)  # the terms added since are scored exactly beside it
                params["ann_terms"] = covered
            else:
                ann = None
                if not merge and (previous.build_dir / ivf).is_file():
                    ann = faiss.read_index(str(previous.build_dir / ivf))
                    if ann.ntotal > len(terms) or not scores_exact(ann):  # 8-bit codes: trained again
                        ann = None
                if ann is None:
                    every = vectors if merge else load_align(
                        Entry(self.name, self.kind, tuple(files)), out).vectors  # the previous index was unusable
                    ann = ann_index(every)
                elif ann.ntotal < len(terms):  # the terms added since the index was last extended
                    stored = load_align(Entry(self.name, self.kind, tuple(files)), out)
                    for b in range(ann.ntotal, len(terms), 65536):
                        ann.add(stored.slot_vectors(np.arange(b, min(b + 65536, len(terms)))))
                faiss.write_index(ann, str(out / ivf))
                params["ann_terms"] = len(terms)
            files.append(ivf)
        logger.info("%s: embedded %d, reused %d vocabulary terms in %.2fs", self.embedder.name, fresh,
                    len(terms) - fresh, time.perf_counter() - t0)
        return Entry(self.name, self.kind, tuple(files), params), fresh


def align_terms(entry: Entry, build_dir: Path) -> list[str]:
    """An alignment's terms in slot order, without their vectors."""
    out: list[str] = []
    for f in entry.files:
        if f.endswith(".npz"):
            try:
                with np.load(build_dir / f, allow_pickle=False) as data:
                    out += data["terms"].tolist()
            except (OSError, ValueError, KeyError) as exc:
                raise IndexCorruptError(f"term alignment {f!r} cannot be read: {exc}") from None
    return out


def load_align(entry: Entry, build_dir: Path) -> TermAligner:
    """An alignment's term segments, live flags and (for a large vocabulary) its stored ANN index."""
    parts = [TermAligner.load(build_dir / f) for f in entry.files if f.endswith(".npz")]
    terms = [t for p in parts for t in p.terms]
    vectors = SlotVectors([p.vectors for p in parts], parts[0].dim) if parts else np.zeros((0, 0), np.float32)
    live_file = next((f for f in entry.files if f.endswith(".live.npy")), None)
    try:
        live = np.load(build_dir / live_file, allow_pickle=False) if live_file else None
        ann_file = next((f for f in entry.files if f.endswith(".ivf")), None)
        ann = faiss.read_index(str(build_dir / ann_file)) if ann_file else None
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexCorruptError(f"term alignment cannot be read: {exc}") from None
    if ann is not None and ann.ntotal != entry.params.get("ann_terms", len(terms)):
        raise IndexCorruptError(f"term alignment: its ANN index holds {ann.ntotal} terms, the build recorded "
                                f"{entry.params.get('ann_terms', len(terms))}")
    return TermAligner(terms, vectors, live, ann)
