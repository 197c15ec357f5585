"""BM25 over analyzer terms, stored as raw term frequencies so that an incremental build never re-indexes.

Each segment (rag/stores/segments.py) holds its slots' term frequencies twice: by slot (the analysis cache that a
merge reuses by key instead of running the analyzer again) and by term (postings). The global statistics — passage
count, average length, document frequencies over the live slots — are computed when the store loads, and the BM25
weight of a posting is computed at query time for the question's terms only. The arithmetic is bm25s's "lucene"
variant step for step (float32 idf, float64 length normalisation, float32 scores), so scores equal a bm25s index of
the same passages exactly.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from .ranking import Ranking
from .segments import Layout

EMPTY = "\u2205"  # the one term of a passage that has none, as bm25s counts it: its length is 1
K1, B = 1.2, 0.75  # the textbook values; a sweep found nothing better (docs/precision.md)
_ARRAYS = ("row_ptr", "row_term", "row_tf", "post_ptr", "post_row", "post_tf")
# each slot's terms in text order (term ids): the reranker's proximity reads them instead of running Sudachi again
_SEQUENCE = ("seq_ptr", "seq_term")
VOCAB = "vocab.json"
_NO_GROUP = np.zeros(0, np.float32)  # the kernels' "add every weight" mode
MMAP_ENTRIES = 5_000_000


def bm25_idf(df: int, n: int) -> np.float32:
    """BM25's (Lucene's) inverse document frequency of a term held by `df` of `n` passages, always positive.

    float32, computed in float64 by math.log as bm25s does: the local store's scores then equal bm25s's, and every
    other reader (Qdrant's stored values and group scores, the reranker, the answers) weighs a term by the very same
    number, so a near-tie between two passages is not decided by how one reader rounded an idf."""
    return np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))


def bm25_idfs(df: np.ndarray, n: int) -> np.ndarray:
    """bm25_idf of many terms at once (float32), equal to it term by term: np.log's float64 differs from math.log's
    in the last bit now and then (0.3 % of a million passages' counts), and no float32 after the cast differed, for
    every count of n = 999,999, 1,000,003 and 2,345,678 (a reviewer's exhaustive check, numpy 2.4's SIMD log: within
    one ulp of float64, which the cast to float32 absorbs but for a double rounding none of these met). The test
    checks every seventh count of a million passages; a numpy whose log strays further would fail it."""
    df = np.asarray(df, np.float64)
    return np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)


class TermSegment:
    """One segment's term frequencies: slot i's (term id, tf) pairs are row_term/row_tf[row_ptr[i]:row_ptr[i+1]];
    term t's (local slot, tf) postings are post_row/post_tf[post_ptr[t]:post_ptr[t+1]] for t < terms; slot i's terms
    in text order are seq_term[seq_ptr[i]:seq_ptr[i+1]] (None in an index built before they were stored)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        for name in _ARRAYS:
            setattr(self, name, arrays[name])
        self.seq_ptr, self.seq_term = arrays.get("seq_ptr"), arrays.get("seq_term")
        nnz = self.row_term.shape[0]
        if (int(self.row_ptr[-1]) != nnz or self.row_tf.shape[0] != nnz or self.post_row.shape[0] != nnz
                or self.post_tf.shape[0] != nnz or int(self.post_ptr[-1]) != nnz):
            raise IndexCorruptError(f"bm25 segment: arrays disagree ({nnz} term counts)")
        if self.seq_ptr is not None and (self.seq_ptr.shape[0] != self.row_ptr.shape[0]
                                         or int(self.seq_ptr[-1]) != self.seq_term.shape[0]):
            raise IndexCorruptError("bm25 segment: term sequences disagree with the term counts")
        self.doc_len = np.add.reduceat(self.row_tf, self.row_ptr[:-1]) if nnz else np.zeros(len(self), np.int64)
        self.doc_len[np.diff(self.row_ptr) == 0] = 0  # reduceat repeats the next value for an empty row

    def __len__(self) -> int:
        return int(self.row_ptr.shape[0] - 1)

    @property
    def terms(self) -> int:
        return int(self.post_ptr.shape[0] - 1)

    @property
    def has_sequences(self) -> bool:
        return self.seq_ptr is not None

    @classmethod
    def build(cls, rows: Sequence[tuple[np.ndarray, np.ndarray]], n_terms: int,
              sequences: Sequence[np.ndarray] | None = None) -> TermSegment:
        """A segment of slots' (term ids, tfs), with each slot's term ids in text order when `sequences` is given."""
        lengths = np.fromiter((len(t) for t, _ in rows), np.int64, len(rows))
        row_ptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=row_ptr[1:])
        row_term = np.concatenate([np.asarray(t, np.int32) for t, _ in rows]) if rows else np.zeros(0, np.int32)
        row_tf = np.concatenate([np.asarray(f, np.int32) for _, f in rows]) if rows else np.zeros(0, np.int32)
        order = np.argsort(row_term, kind="stable")  # each term's slots ascending
        post_ptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(np.bincount(row_term, minlength=n_terms), out=post_ptr[1:])
        slot_of = np.repeat(np.arange(len(rows), dtype=np.int32), lengths)
        arrays = {"row_ptr": row_ptr, "row_term": row_term.astype(np.int32), "row_tf": row_tf.astype(np.int32),
                  "post_ptr": post_ptr, "post_row": slot_of[order], "post_tf": row_tf[order].astype(np.int32)}
        if sequences is not None:
            seq_ptr = np.zeros(len(rows) + 1, np.int64)
            np.cumsum(np.fromiter((len(q) for q in sequences), np.int64, len(sequences)), out=seq_ptr[1:])
            arrays["seq_ptr"] = seq_ptr
            arrays["seq_term"] = (np.concatenate([np.asarray(q, np.int32) for q in sequences]) if len(sequences)
                                  else np.zeros(0, np.int32))
        return cls(arrays)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = int(self.row_ptr[i]), int(self.row_ptr[i + 1])
        return np.asarray(self.row_term[s:e]), np.asarray(self.row_tf[s:e])

    def sequence(self, i: int) -> np.ndarray | None:
        """Slot i's term ids in text order (None when this segment has no sequences)."""
        if self.seq_ptr is None:
            return None
        return np.asarray(self.seq_term[int(self.seq_ptr[i]) : int(self.seq_ptr[i + 1])])

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS + (_SEQUENCE if self.has_sequences else ()):
            np.save(directory / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @staticmethod
    def files(prefix: str, sequences: bool = True) -> tuple[str, ...]:
        return tuple(f"{prefix}/{name}.npy" for name in _ARRAYS + (_SEQUENCE if sequences else ()))

    @classmethod
    def load(cls, directory: Path, sequences: bool | None = None) -> TermSegment:
        """A saved segment; its term sequences when `sequences` (None: when the files are there)."""
        if sequences is None:
            sequences = (directory / "seq_ptr.npy").is_file()
        try:
            nnz = np.load(directory / "row_term.npy", mmap_mode="r").shape[0]
            mode = "r" if nnz > MMAP_ENTRIES else None
            return cls({name: np.load(directory / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
                        for name in _ARRAYS + (_SEQUENCE if sequences else ())})
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"bm25 segment {directory.parent.name!r} cannot be read: {exc}") from None


def count_terms(terms: Sequence[str], ids: dict[str, int], vocab: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A passage's (term ids, term frequencies), adding unseen terms to `vocab`; a passage without terms counts one
    EMPTY, as bm25s does."""
    counts = Counter(terms or [EMPTY])
    out = np.empty(len(counts), np.int32)
    for i, term in enumerate(counts):
        tid = ids.get(term)
        if tid is None:
            tid = ids[term] = len(vocab)
            vocab.append(term)
        out[i] = tid
    return out, np.fromiter(counts.values(), np.int32, len(counts))


def term_ids(terms: Sequence[str], ids: dict[str, int]) -> np.ndarray:
    """A passage's terms as ids, in text order (after count_terms has given every one an id)."""
    return np.fromiter((ids[t] for t in terms), np.int32, len(terms))


class BM25Store:
    """BM25 of passage rows over term-frequency segments with live-slot statistics."""

    def __init__(self, vocab: Sequence[str], parts: Sequence[TermSegment], layout: Layout, k1: float = K1,
                 b: float = B, df: np.ndarray | None = None) -> None:
        if sum(len(p) for p in parts) != layout.slots:
            raise IndexCorruptError(f"bm25 segments hold {sum(len(p) for p in parts)} rows for {layout.slots} slots")
        if any(p.terms > len(vocab) for p in parts):
            raise IndexCorruptError("bm25 segment names more terms than the vocabulary holds")
        self.vocab = list(vocab)
        self.parts = list(parts)
        self.layout = layout
        self.k1, self.b = k1, b
        self.size = layout.rows
        self.starts = np.cumsum([0] + [len(p) for p in parts]).tolist()
        self._dl = np.concatenate([p.doc_len for p in parts]) if parts else np.zeros(0, np.int64)
        live = layout.slot_row >= 0
        if df is not None:  # the build's own count over the live slots (saved beside the vocabulary)
            if df.shape != (len(self.vocab),):
                raise IndexCorruptError(f"bm25 document frequencies: {df.shape} for {len(self.vocab)} terms")
            self.df = np.asarray(df, np.int64)
        else:
            self.df = self._count_df(live)
        # exact: the integer lengths sum exactly in float64, as numpy's mean of bm25s's length array does
        self.avgdl = np.float64(int(self._dl[live].sum())) / self.size if self.size else np.float64(1.0)
        # each slot's length normalisation, as bm25s computes it per document (float64)
        self._norm = self.k1 * ((1 - self.b) + self.b * self._dl.astype(np.float64) / self.avgdl)
        self._ids = {t: i for i, t in enumerate(self.vocab) if self.df[i] > 0}
        self._slot_row = np.ascontiguousarray(layout.slot_row, np.int64)
        self._idf: dict[int, np.float32] = {}

    def _count_df(self, live: np.ndarray) -> np.ndarray:
        """Document frequencies over the live slots, from every segment's postings."""
        df = np.zeros(len(self.vocab), np.int64)
        for p, start in zip(self.parts, self.starts):
            term_of = np.repeat(np.arange(p.terms), np.diff(np.asarray(p.post_ptr)))
            alive = live[np.asarray(p.post_row, np.int64) + start]
            df[: p.terms] += np.bincount(term_of[alive], minlength=p.terms)
        return df

    @classmethod
    def build(cls, corpus_terms: Sequence[list[str]], k1: float = K1, b: float = B) -> BM25Store:
        """A single-segment store over passages' analyzer terms in row order."""
        vocab: list[str] = []
        ids: dict[str, int] = {}
        rows = [count_terms(t, ids, vocab) for t in corpus_terms]
        sequences = [term_ids(t, ids) for t in corpus_terms]
        return cls(vocab, [TermSegment.build(rows, len(vocab), sequences)], Layout.identity(len(rows), "-"), k1, b)

    def warm(self) -> None:
        """Load its kernels now (rag/stores/kernels.py: compiled once per machine), not in the first question."""
        from .kernels import warm_bm25

        warm_bm25()

    @property
    def vocabulary(self) -> set[str]:
        """The live passages' terms (without the empty-passage marker)."""
        return set(self._ids) - {EMPTY}

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        return [self._ids[t] for t in terms if t in self._ids and t != EMPTY]

    def idf(self, tid: int) -> np.float32:
        w = self._idf.get(tid)
        if w is None:
            w = self._idf[tid] = bm25_idf(int(self.df[tid]), self.size)
        return w

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query terms (zeros when no term is known), added term after term in
        float32 as bm25s's get_scores adds them (compiled, over the terms' postings only)."""
        from .kernels import bm25_term_weights

        total = np.zeros(self.size, np.float32)
        tids = np.asarray(self._term_ids(terms), np.int64)
        if tids.size:
            idfs = np.array([self.idf(t) for t in tids.tolist()], np.float64)
            for p, start in zip(self.parts, self.starts):
                bm25_term_weights(p.post_ptr, p.post_row, p.post_tf, start, self._slot_row, self._norm, tids, idfs,
                                  total, _NO_GROUP)
        return total

    def group_scores(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        """Sum over groups of the best-scoring alternative term in each group (one group per source word), from the
        groups' postings only: per group, each row keeps its best term's score (compiled; a row held by several of
        the group's terms is added once)."""
        from .kernels import bm25_groups

        total = np.zeros(self.size, np.float32)
        best = np.zeros(self.size, np.float32)  # a group's best score per row; zero again after each group
        known = [tids for group in groups if (tids := list(dict.fromkeys(self._term_ids(group))))]
        if not known:
            return total
        group_ptr = np.zeros(len(known) + 1, np.int64)
        np.cumsum([len(tids) for tids in known], out=group_ptr[1:])
        tids = np.fromiter((t for group in known for t in group), np.int64, int(group_ptr[-1]))
        idfs = np.array([self.idf(t) for t in tids.tolist()], np.float64)
        # each segment in one call: a row is held by one segment, so its sums are added group after group as before
        for p, start in zip(self.parts, self.starts):
            bm25_groups(p.post_ptr, p.post_row, p.post_tf, start, self._slot_row, self._norm, group_ptr, tids, idfs,
                        total, best)
        return total

    def top(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None, scope: object = None) -> Ranking:
        """The k best rows for the query terms (`scope` is for stores that filter server-side; `allowed` is its rows)."""
        return Ranking.top(self.scores(terms), k, allowed)

    def top_groups(self, groups: Sequence[Sequence[str]], k: int, allowed: np.ndarray | None = None,
                   scope: object = None) -> Ranking:
        return Ranking.top(self.group_scores(groups), k, allowed)

    def document_frequency(self, term: str) -> int:
        """How many live passages hold `term`."""
        tid = self._ids.get(term)
        return int(self.df[tid]) if tid is not None else 0

    def term_frequencies(self) -> tuple[Any, list[str], np.ndarray]:
        """(row-major CSR matrix of BM25's saturated term frequencies tf / (tf + k1·(1−b+b·dl/avgdl)), the vocabulary
        in column order, document frequencies): what a store that applies its own IDF (Qdrant's IDF modifier)
        indexes; times `idf`, they are exactly this store's scores."""
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for slot in self.layout.row_slot.tolist():
            tids, tf = self._slot(int(slot))
            tf = tf.astype(np.float32)
            indices.append(np.asarray(tids, np.int64))
            data.append(tf / (np.float32(self._norm[slot]) + tf))
            indptr.append(indptr[-1] + len(tids))
        matrix = csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                             np.concatenate(indices) if indices else np.zeros(0, np.int64), np.asarray(indptr)),
                            shape=(self.size, len(self.vocab)))
        return matrix, list(self.vocab), np.asarray(self.df, np.int64)

    def save(self, directory: Path) -> None:
        """A single-segment store's files (tools and tests; a build writes segments through the BM25 builder)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / VOCAB).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        order = self.layout.row_slot.tolist()
        rows = [self._slot(s) for s in order]
        sequences = [self.slot_sequence(s) for s in order] if self.has_sequences else None
        TermSegment.build(rows, len(self.vocab), sequences).save(directory / "seg")

    @property
    def has_sequences(self) -> bool:
        """Whether every segment stores its passages' terms in text order."""
        return bool(self.parts) and all(p.has_sequences for p in self.parts)

    def term_sequence(self, row: int) -> list[str] | None:
        """Passage row's BM25 terms in text order (what `analyzer.terms` gave at build time), or None when the index
        predates stored sequences."""
        ids = self.slot_sequence(int(self.layout.row_slot[row]))
        return None if ids is None else [self.vocab[t] for t in ids.tolist()]

    def term_sequences(self, rows: Sequence[int]) -> list[list[str] | None]:
        """`term_sequence` of each row (a store answered by a server reads them in one request)."""
        return [self.term_sequence(r) for r in rows]

    def row_sequence(self, row: int) -> np.ndarray | None:
        """Passage row's BM25 term ids (of `vocab`) in text order, or None (what a push stores beside its vector)."""
        return self.slot_sequence(int(self.layout.row_slot[row]))

    def slot_sequence(self, slot: int) -> np.ndarray | None:
        p = int(np.searchsorted(self.starts, slot, side="right") - 1)
        return self.parts[p].sequence(slot - self.starts[p])

    def slot_counts(self, slot: int) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, term frequencies) stored in a slot: the analysis a later build reuses by key."""
        return self._slot(slot)

    def _slot(self, slot: int) -> tuple[np.ndarray, np.ndarray]:
        p = int(np.searchsorted(self.starts, slot, side="right") - 1)
        return self.parts[p].row(slot - self.starts[p])

    @classmethod
    def load(cls, directory: Path, size: int | None = None) -> BM25Store:
        """A single-segment store saved by `save`."""
        vocab = read_vocab(directory / VOCAB)
        part = TermSegment.load(directory / "seg")
        return cls(vocab, [part], Layout.identity(len(part), "-"))


def read_vocab(path: Path) -> list[str]:
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"bm25 vocabulary cannot be read: {exc}") from None
    if not isinstance(vocab, list):
        raise IndexCorruptError("bm25 vocabulary is not a list of terms")
    return vocab
