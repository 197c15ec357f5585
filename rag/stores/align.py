"""Embedding alignment: English question words → the nearest Japanese terms of the BM25 vocabulary.

The dictionary bridge only knows words JMdict glosses exactly ("treasuries" and most inflections miss it). A
multilingual embedder places a single English word near the Japanese words that mean it (alliance → 同盟, oil → 原油),
so each English content word of a question also gets a group of its nearest corpus terms. Built per index from the
index's own vocabulary; nothing in it is specific to a question or a document.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import faiss
import numpy as np

from ..errors import IndexCorruptError
from . import npz
from .kernels import dot_rows, warm_dense
from .ann import new_index, training_sample
from .dense import Codes, DenseStore, SlotVectors
from .segments import Layout, Segment

Encode = Callable[[Sequence[str]], np.ndarray]
ANN_TERMS = 50_000
# from this many terms up to ANN_TERMS, the exact search scores 8-bit codes of every term first, and exactly only
# the terms the codes cannot rule out (rag/stores/dense.py `Codes`): the same groups, a quarter of the bytes read
CODED_TERMS = 8192
# IVF lists searched per word (a word needs only its 5 nearest terms, re-scored from 4× as many candidates). On the
# 100k-passage benchmark's synthetic vectors, 16 lists found every term exact search finds (2.5 ms per English
# question against 5.4 at 48). On real USE vectors they do not: English words are out of the distribution of the
# Japanese terms the lists were trained on, and 16 lists find 88-91 % of the exact groups' terms (the nearest term of
# 91-93 % of words) at 50k-300k JMdict terms; 64 lists find 96 %, at 3x the time. benchmarks/align_ann.py,
# docs/results.md ("The term alignment's IVF on real vectors").
ALIGN_NPROBE = 16
MMAP_BYTES = 16 << 20  # term vectors larger than this stay on disk, memory-mapped
ENCODE_CHUNK = 8192  # terms encoded per call at build time


class TermAligner:
    """Row i of `vectors` is the L2-normalised embedding of `terms[i]`; rows whose `live` flag is off (terms no
    passage holds any more, kept until the next merge) are never proposed."""

    def __init__(self, terms: Sequence[str], vectors: np.ndarray | SlotVectors, live: np.ndarray | None = None,
                 ann: faiss.Index | None = None) -> None:
        """`vectors`: one array, or the term segments' arrays (memory-mapped when large) as SlotVectors."""
        slots = vectors if isinstance(vectors, SlotVectors) else None
        if slots is None and vectors.ndim != 2:
            raise IndexCorruptError(f"term alignment: {vectors.shape} vectors for {len(terms)} terms")
        rows, self.dim = (len(slots), slots.dim) if slots is not None else vectors.shape
        if rows != len(terms):
            raise IndexCorruptError(f"term alignment: {rows}x{self.dim} vectors for {len(terms)} terms")
        self.terms = list(terms)
        self._slots = slots if slots is not None else SlotVectors([vectors], self.dim)
        self.live = np.ones(len(terms), bool) if live is None else np.asarray(live, bool)
        if self.live.shape != (len(terms),):
            raise IndexCorruptError(f"term alignment: {self.live.shape} live flags for {len(terms)} terms")
        if ann is not None and (ann.ntotal > len(terms) or ann.d != self.dim):  # the terms after its own: exactly
            raise IndexCorruptError(f"term alignment: its ANN index holds {ann.ntotal}x{ann.d}, the terms {rows}x{self.dim}")
        self._ann_index = ann
        self._ann: DenseStore | None = None
        self._rank: np.ndarray | None = None
        self._codes: Codes | None = None
        self._codes_lock = threading.Lock()

    @property
    def vectors(self) -> np.ndarray:
        """Every term's vector in one array (read whole: for a small vocabulary's exact search, builds and tools)."""
        parts = self._slots.parts
        if len(parts) != 1:
            self._slots = SlotVectors([np.concatenate([np.asarray(p) for p in parts])], self.dim)
        return self._slots.parts[0]

    def _approximate(self) -> DenseStore | None:
        """A large vocabulary (hundreds of thousands of terms at a million passages) is searched through an
        approximate index instead of a product with every term per word; the build stores it, else it is made once."""
        if self._ann is None and len(self.terms) >= ANN_TERMS:
            index = self._ann_index if self._ann_index is not None else ann_index(self.vectors)
            slot_row = np.full(len(self.terms), -1, np.int64)
            slot_row[self.live] = np.arange(int(self.live.sum()))
            layout = Layout(slot_row, [Segment("-", 0, len(self.terms))])
            self._ann = DenseStore(self._slots, layout, index, "ivf", nprobe=ALIGN_NPROBE)
        return self._ann

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def build(cls, vocabulary: Sequence[str], encode: Encode, previous: TermAligner | None = None,
              dim: int = 0) -> tuple[TermAligner, int]:
        """Embed every vocabulary term, taking the vectors of the terms `previous` holds from it (read in chunks
        through its slots, so a merge at a million passages does not load every stored vector); (aligner, terms
        embedded)."""
        terms = sorted(vocabulary)
        at = previous.index_of() if previous is not None else {}
        need = [i for i, t in enumerate(terms) if t not in at]
        width = dim or (previous.dim if previous is not None else 0)
        vectors: np.ndarray | None = np.zeros((len(terms), width), np.float32) if width or not need else None
        for b in range(0, len(need), ENCODE_CHUNK):  # in chunks: a million terms at once held several copies
            rows = need[b : b + ENCODE_CHUNK]
            got = np.asarray(encode([terms[i] for i in rows]), np.float32)
            if vectors is None:
                vectors = np.zeros((len(terms), got.shape[1]), np.float32)
            vectors[rows] = got
        kept = np.array([(i, at[t]) for i, t in enumerate(terms) if t in at], np.int64).reshape(-1, 2)
        for b in range(0, len(kept), ENCODE_CHUNK):
            vectors[kept[b : b + ENCODE_CHUNK, 0]] = previous._slots.take(kept[b : b + ENCODE_CHUNK, 1])
        return cls(terms, vectors), len(need)

    def slot_vectors(self, slots: np.ndarray) -> np.ndarray:
        """The vectors of these term slots (read from the segments where asked)."""
        return self._slots.take(slots)

    def index_of(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.terms)}

    def groups(self, word_vectors: np.ndarray, k: int, min_similarity: float) -> list[list[str]]:
        """Per word vector, its `k` most similar terms at cosine ≥ `min_similarity`, best first (empty groups dropped)."""
        return [g for g in self.per_word(word_vectors, k, min_similarity) if g]

    def per_word(self, word_vectors: np.ndarray, k: int, min_similarity: float) -> list[list[str]]:
        """`groups`, one per word vector, empty where no term is similar enough."""
        if not len(self.terms) or k <= 0 or not len(word_vectors):
            return [[] for _ in word_vectors]
        ann = self._approximate()
        if ann is not None:
            # every word in one FAISS call (the terms after the index's, exactly), dead terms skipped
            fetch = min(len(self.terms), (k + 8) * 4)
            found = ann.candidates(word_vectors, fetch)
            out = []
            for vec, (slots, sims) in zip(word_vectors, found):
                keep = self.live[slots]
                slots, sims = slots[keep], sims[keep]
                if ann.refine > 1:  # 8-bit codes only propose (an index built before float16 codes)
                    sims = self._slots.take(slots) @ vec
                order = np.lexsort((slots, -sims))[:k]
                out.append([self.terms[i] for i, s in zip(slots[order].tolist(), sims[order].tolist())
                            if s >= min_similarity])
            return out
        words = self._words(word_vectors)
        codes = self.coded()
        sims = self.similarities(words) if codes is None else codes.products_rows(words)
        if not self.live.all():
            sims[:, ~self.live] = -np.inf
        if self._rank is None:  # ties go to the alphabetically first term, whatever order the terms were added in
            self._rank = np.empty(len(self.terms), np.int64)
            self._rank[np.argsort(np.array(self.terms, dtype=str), kind="stable")] = np.arange(len(self.terms))
        k = min(k, int(self.live.sum()))
        out: list[list[str]] = []
        for word, row in zip(words, sims):
            if k <= 0:
                out.append([])
                continue
            kth = np.partition(row, row.size - k)[row.size - k]
            if codes is None:
                top = np.flatnonzero(row >= kth)  # every term tied at the boundary, so the tie-break decides
                exact = row[top]
            else:  # the terms that can be among the k best, scored exactly as `similarities` scores them
                top = np.flatnonzero(row >= kth - 2 * codes.bound(word))
                exact = np.empty((1, top.size), np.float32)
                dot_rows(np.ascontiguousarray(self._slots.take(top), np.float32), word.reshape(1, -1), exact)
                exact = exact[0]
                tied = exact >= np.partition(exact, exact.size - k)[exact.size - k]
                top, exact = top[tied], exact[tied]
            order = np.lexsort((self._rank[top], -exact))[:k]
            out.append([self.terms[i] for i, sim in zip(top[order].tolist(), exact[order].tolist())
                        if sim >= min_similarity])
        return out

    def coded(self) -> Codes | None:
        """The terms' 8-bit codes, for a vocabulary of CODED_TERMS to ANN_TERMS terms; made once, when a searcher is
        created or at the first English question (45–63 ms and 17.8 MB at 34,688 terms: one read of the vectors,
        which the exact search read per question before)."""
        if not CODED_TERMS <= len(self.terms) < ANN_TERMS:
            return None
        with self._codes_lock:
            if self._codes is None:
                self._codes = Codes([np.asarray(self.vectors)], self.dim)
        return self._codes

    def warm(self) -> None:
        """Load its kernels and make the codes now, rather than in the first English question."""
        warm_dense()
        self.coded()

    def similarities(self, word_vectors: np.ndarray) -> np.ndarray:
        """[words × terms] cosine of each word with every term: one compiled pass over the term vectors for all the
        words (twice as fast as BLAS's product, which is bound by memory here), and each word's row independent of
        the other words asked with it."""
        vectors = self.vectors
        words = self._words(word_vectors)
        out = np.empty((len(words), len(vectors)), np.float32)
        dot_rows(np.ascontiguousarray(vectors.view(np.ndarray), np.float32), words, out)
        return out

    def _words(self, word_vectors: np.ndarray) -> np.ndarray:
        """Word vectors as the compiled passes take them (C-ordered float32 rows: each word's sum in one fixed
        order, so a term's exact score is the same bits in the product with every term and in the re-scoring)."""
        words = np.ascontiguousarray(word_vectors, np.float32)
        if words.ndim != 2 or words.shape[1] != self.dim:
            raise ValueError(f"word vectors of shape {words.shape} for {self.dim}-dim terms")
        return words

    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, terms=np.array(self.terms, dtype=str), vectors=self.vectors)

    @classmethod
    def load(cls, path: Path) -> TermAligner:
        """A stored term segment; its vectors stay on disk, memory-mapped, when large (only candidates are read)."""
        try:
            data = npz.read(path, ("vectors",), MMAP_BYTES)
            return cls(data["terms"].tolist(), data["vectors"])
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(f"term alignment {path.name!r} cannot be read: {exc}") from None


def ann_index(vectors: np.ndarray) -> faiss.Index:
    """A newly trained IVF index over term vectors (an incremental build extends the previous one itself:
    rag/components/align.py)."""
    index = new_index(vectors[training_sample(np.arange(len(vectors)))], "ivf", len(vectors))
    index.add(np.ascontiguousarray(vectors, np.float32))
    return index
