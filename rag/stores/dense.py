"""A FAISS inner-product index over normalised vectors: exact (flat) for small corpora, approximate above a size.

An exact store of `CODED_MIN` slots or more scans 8-bit codes of its vectors first and scores exactly only the rows
the codes cannot rule out (`Codes`): the same k best, a quarter of the bytes read.

`ivf` is an inverted file whose codes are the vectors in float16 (half of float32's memory), held in memory: its
scores rank as the float32 vectors do (recall@10 0.9995–1.00 against exact at a million passages), so a search reads
no stored vector. The float32 vectors stay on disk for exact search, filters and the next build (so a passage's
score from a filtered search can differ from its unfiltered one by float16's rounding, ~1e-4). An index written
before holds 8-bit codes (recall@10 0.95 at a million): its candidates are re-scored against the stored vectors, and
the next build trains it again in float16 (docs/results.md, "Dense codes").
Vectors are stored by slot in segments (rag/stores/segments.py). The approximate index covers the slots up to
`indexed` (a prefix); the slots appended since, at most `exact_tail(indexed)` of them, are scored exactly next to
it, so an incremental build that adds a document hard-links the index file instead of reading, extending and
rewriting it (~2 GB of e5 + USE index at a million passages). Once the tail outgrows its bound, the build adds the
tail to the previous trained index instead of training and filling a new one. Removed passages' slots stay in the
index and are skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from ..errors import ConfigError, IndexCorruptError
from .ann import NPROBE, new_index, scores_exact, training_sample
from .kernels import dot_codes, dot_codes_rows, dot_rows, warm_dense
from .ranking import Ranking
from .segments import Layout

BROAD_FILTER = 8  # a filter that allows 1/8 of an exact store's rows or more is scanned as the whole store is
GATHER_MAX = 32_768  # and so is one that allows this many rows or more, whatever their share: gathering them to score
# costs as many rows (a tenth of 1M: ~90 ms a dense store), the store's own search what an unfiltered one does
REFINE = 4  # an index with 8-bit codes fetches k × REFINE candidates, then re-scores them exactly
MMAP_ROWS = 50_000  # vectors of larger stores stay on disk, memory-mapped
EXACT_TAIL = 4096  # slots past the approximate index that a search scores exactly (at most; see exact_tail)
CODED_MIN = 16_384  # an exact store of this many slots or more (and under MMAP_ROWS) scans 8-bit codes first


def exact_tail(indexed: int) -> int:
    """How many slots past an approximate index over `indexed` slots may be scored exactly before a build extends
    the index: 4,096 (e5 + USE at 1M passages: 0.15 + 0.20 ms per question, benchmarks/exact_tail_cost.py), or a
    sixteenth of a small index."""
    return min(EXACT_TAIL, indexed // 16)


class SlotVectors:
    """Vectors by slot over several segment arrays (memory-mapped when large), read only where asked."""

    def __init__(self, parts: Sequence[np.ndarray], dim: int) -> None:
        self.parts = list(parts)
        self.dim = dim
        self.starts = np.cumsum([0] + [p.shape[0] for p in self.parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def take(self, slots: np.ndarray) -> np.ndarray:
        if len(self.parts) == 1:
            return np.asarray(self.parts[0][slots], np.float32)
        out = np.empty((len(slots), self.dim), np.float32)
        which = np.searchsorted(self.starts, slots, side="right") - 1
        for p in np.unique(which).tolist():
            sel = np.flatnonzero(which == p)
            out[sel] = self.parts[p][slots[sel] - self.starts[p]]
        return out

    def products(self, query: np.ndarray) -> np.ndarray:
        """The inner product of every slot's vector with `query`, segment after segment."""
        return np.concatenate([np.asarray(p) @ query for p in self.parts]) if self.parts else np.zeros(0, np.float32)

    def products_from(self, start: int, queries: np.ndarray) -> np.ndarray:
        """(queries × slots start…) inner products: the slots from `start` on, for several queries at once."""
        out = [np.asarray(p[max(start - int(lo), 0):]) @ queries.T
               for p, lo, hi in zip(self.parts, self.starts[:-1], self.starts[1:]) if hi > start]
        return np.concatenate(out).T if out else np.zeros((len(queries), 0), np.float32)


class Codes:
    """The slot vectors as 8-bit codes, one scale per dimension (a quarter of float32's bytes), for a first pass of
    an exact search that only chooses which rows to score exactly.

    A code is the vector's value over its dimension's scale, rounded: each value is off by at most half a scale, so a
    code score is off from the exact one by at most `bound(query)` = Σ |q_j| · scale_j / 2 (plus float32's rounding of
    both sums). If the k-th best code score is A, every row of the exact k best scores at least A − 2 × bound in codes
    (it scores ≥ S_k exactly, and S_k ≥ A − bound since k rows score ≥ A in codes), so scoring exactly the rows at or
    above that line gives the exact k best, ties included. Why: an exact scan of every float32 vector is bound by
    memory, 3.5–4.5 ms for 40k e5 or USE vectors on one core here against ~1 ms for the codes (docs/results.md)."""

    def __init__(self, parts: Sequence[np.ndarray], dim: int) -> None:
        top = np.zeros(dim, np.float32)
        for part in parts:
            if len(part):
                np.maximum(top, np.abs(part).max(axis=0), out=top)
        self.scale = np.where(top > 0, top / 127, 1).astype(np.float32)
        self.parts = [np.rint(np.asarray(part) / self.scale).astype(np.int8) for part in parts]
        self.dim = dim

    def products(self, query: np.ndarray) -> np.ndarray:
        """Every slot's code score with `query`."""
        scaled = np.ascontiguousarray(query * self.scale, dtype=np.float32)
        out = np.empty(sum(len(p) for p in self.parts), np.float32)
        start = 0
        for part in self.parts:
            dot_codes(part, scaled, out[start:start + len(part)])
            start += len(part)
        return out

    def products_rows(self, words: np.ndarray) -> np.ndarray:
        """[words × slots] code scores, every code read once for all the words (one part only: the term alignment's)."""
        (part,) = self.parts
        scaled = np.ascontiguousarray(np.asarray(words, np.float32) * self.scale, dtype=np.float32)
        out = np.empty((len(scaled), len(part)), np.float32)
        dot_codes_rows(part, scaled, out)
        return out

    def bound(self, query: np.ndarray) -> float:
        """How far a code score can be from the exact score, for any slot: the rounding of the codes, plus float32's
        rounding of the two sums (at most d × 2⁻²⁴ of the sum of the terms' sizes each, ≤ 1 + the first part for
        unit vectors; counted twice over, for safety)."""
        q = np.abs(np.asarray(query, np.float64))
        rounding = float(q @ (self.scale.astype(np.float64) / 2))
        norm = float(np.sqrt((q * q).sum()))
        return rounding + 4 * self.dim * 2.0 ** -24 * (norm + rounding)


class DenseStore:
    """Slot vectors (kept for exact search, re-scoring and incremental reuse), the slots' layout, and for the
    approximate kinds the FAISS index over the slots."""

    def __init__(self, vectors: SlotVectors, layout: Layout, index: faiss.Index | None, kind: str,
                 nprobe: int = NPROBE) -> None:
        self.slots = vectors
        self.layout = layout
        self.index = index
        self.kind = kind
        self._live = layout.slot_row >= 0
        self._rows: np.ndarray | None = None
        self.indexed = index.ntotal if index is not None else 0  # the slots after these are scored exactly
        self.refine = 1 if index is None or scores_exact(index) else REFINE
        self._codes: Codes | None = None  # made at the first exact search that uses them (`_coded`)
        self._codes_lock = threading.Lock()
        if kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = min(faiss.extract_index_ivf(index).nlist, nprobe)
        elif kind == "hnsw":
            index.hnsw.efSearch = 128

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> DenseStore:
        """A single-segment store over `vectors` in row order."""
        if kind not in ("flat", "hnsw", "ivf"):
            raise ConfigError(f"faiss kind {kind!r}: allowed flat, hnsw, ivf (or auto)")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = new_index(vectors[training_sample(np.arange(len(vectors)))], kind, len(vectors))
        if index is not None and len(vectors):
            index.add(vectors)
        return cls(SlotVectors([vectors], vectors.shape[1]), Layout.identity(len(vectors), "-"), index, kind)

    def __len__(self) -> int:
        return self.layout.rows

    @property
    def dim(self) -> int:
        return self.slots.dim

    @property
    def vectors(self) -> np.ndarray:
        """Every passage's vector in row order (a copy when the slots are not in row order; for tools and tests)."""
        if self._rows is None:
            self._rows = self.slots.take(self.layout.row_slot)
        return self._rows

    def row_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self.slots.take(self.layout.row_slot[np.asarray(rows, np.int64)])

    def _coded(self) -> Codes | None:
        """The store's 8-bit codes, if it is exact and large enough to gain from them, but under MMAP_ROWS (a larger
        store is read from disk as searches need it, and making codes would read every vector); made once, when a
        searcher is created or at the first exact search (~50 ms at 40k)."""
        if self.index is not None or not CODED_MIN <= self.layout.slots < MMAP_ROWS:
            return None
        with self._codes_lock:
            if self._codes is None:
                self._codes = Codes(self.slots.parts, self.dim)
        return self._codes

    def warm(self) -> None:
        """Load its kernels and make the codes now, if the store uses them, rather than in the first question after a
        load or a swap."""
        warm_dense()
        self._coded()

    def exact(self, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> Ranking:
        """The exact k best rows (of `rows` only, when given), ties broken by row. A large store scans
        its 8-bit codes first and scores exactly only the rows that can be among the k best (`Codes`)."""
        q = np.asarray(query, np.float32).reshape(-1)
        live = np.flatnonzero(self._live) if rows is None else np.sort(self.layout.row_slot[rows])
        codes = self._coded() if k > 0 else None
        if codes is None:
            sims = self.slots.products(q)[live]
        else:
            approx = codes.products(q)[live]
            if approx.size > k:
                line = np.partition(approx, approx.size - k)[approx.size - k] - 2 * codes.bound(q)
                live = live[approx >= line]
            sims = np.empty((1, live.size), np.float32)
            dot_rows(self.slots.take(live), q.reshape(1, -1), sims)
            sims = sims[0]
        rows = self.layout.slot_row[live]
        if not rows.size or k <= 0:
            return Ranking.empty()
        if rows.size > k:  # every row that ties the k-th best score, so that ties are broken by row below
            top = np.flatnonzero(sims >= np.partition(sims, rows.size - k)[rows.size - k])
        else:
            top = np.arange(rows.size)
        order = top[np.lexsort((rows[top], -sims[top]))][:k]
        return Ranking(rows[order].astype(np.int64), sims[order].astype(np.float32))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               scope: object = None) -> Ranking:
        """The k best rows; with `allowed` rows, an exact scan of just those rows (`scope`, the
        restriction they come from, is for stores that filter server-side)."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        n = len(self)
        if allowed is not None:
            if allowed.size == 0:
                return Ranking.empty()
            allowed = np.asarray(allowed, np.int64)
            if allowed.size * BROAD_FILTER >= n or allowed.size >= GATHER_MAX:
                # a broad filter (a date range): the store's own search restricted to its rows, not a copy of them all
                # to score (4–8× the unfiltered search at 40k, and 1.5 GB a request at a million; docs/results.md)
                found = None if self.index is None else self._approximate_among(q, min(k, allowed.size), allowed)
                # an exact store, HNSW, or an IVF search that met too few: the exact scan over the codes, not a gather
                # of every allowed row's vector below (half of a million rows is 0.8 GB a request)
                return found if found is not None else self.exact(q[0], min(k, allowed.size), allowed)
            sims = self.row_vectors(allowed) @ q[0]
            order = np.argsort(-sims, kind="stable")[:k]
            return Ranking(allowed[order].astype(np.int64), sims[order].astype(np.float32))
        k = min(k, n)
        if k == 0:
            return Ranking.empty()
        if self.index is None:
            return self.exact(q[0], k)
        want, fetch = min(n, k * self.refine), k * self.refine
        while True:  # removed passages' slots are skipped; fetch more in the rare case they crowd the candidates
            [(slots, sims)] = self.candidates(q, fetch)
            rows = self.layout.slot_row[slots]
            order = np.lexsort((rows, -sims))
            live = order[rows[order] >= 0][:want]
            slots, rows, sims = slots[live], rows[live], sims[live]
            if rows.size >= want or fetch >= self.layout.slots:
                break
            fetch *= 4
        if self.refine > 1:
            sims = self.slots.take(slots) @ q[0]  # 8-bit codes only propose: their candidates are scored exactly
        order = np.lexsort((rows, -sims))[:k]
        return Ranking(rows[order].astype(np.int64), sims[order].astype(np.float32))

    def _approximate_among(self, q: np.ndarray, k: int, allowed: np.ndarray) -> Ranking | None:
        """The k best of the `allowed` rows as the unfiltered search finds them: the IVF index searched with a FAISS
        selector of their slots (what Qdrant does with a filter), the slots past it scored exactly. None for HNSW, and
        when the index finds fewer than k (a filter whose rows sit outside the lists a search probes): the caller
        scans the rows exactly then."""
        slots = self.layout.row_slot[allowed]  # unsorted: a bitmap needs no order (sorting half of 1M: ~10 ms)
        inside, tail = slots[slots < self.indexed], np.sort(slots[slots >= self.indexed])
        fetch = min(inside.size, k * self.refine)
        found, scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        if fetch:
            member = np.zeros(self.indexed, bool)
            member[inside] = True
            bitmap = np.packbits(member, bitorder="little")  # FAISS reads slot i as bit i % 8 of byte i // 8
            selector = faiss.IDSelectorBitmap(self.indexed, faiss.swig_ptr(bitmap))
            if self.kind != "ivf":
                # HNSW walks its graph through the rows a selector refuses and returns the allowed ones it meets:
                # under a filter that goes against the question (the rows least like it) that was 10 rows, not their
                # best 10; an IVF search that meets too few (below) is scanned exactly instead
                return None
            params = faiss.SearchParametersIVF(sel=selector, nprobe=faiss.extract_index_ivf(self.index).nprobe)
            dist, cand = self.index.search(q, fetch, params=params)
            keep = cand[0] >= 0
            found, scores = cand[0][keep].astype(np.int64), dist[0][keep]
            if found.size < min(fetch, k):
                return None
        if tail.size:
            found = np.concatenate([found, tail])
            scores = np.concatenate([scores, (self.slots.take(tail) @ q[0]).astype(np.float32)])
        if self.refine > 1 and found.size:
            scores = (self.slots.take(found) @ q[0]).astype(np.float32)  # 8-bit codes only propose
        rows = self.layout.slot_row[found]
        order = np.lexsort((rows, -scores))[:k]
        return Ranking(rows[order].astype(np.int64), scores[order].astype(np.float32))

    def candidates(self, queries: np.ndarray, fetch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, (slots, scores): up to `fetch` from the approximate index over the first `indexed` slots, and
        the best `fetch` of the slots after them, scored exactly (removed passages' slots included)."""
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        none = np.zeros((len(q), 0), np.int64)
        cand, dist = none, none.astype(np.float32)
        if self.indexed and fetch > 0:
            dist, cand = self.index.search(q, min(self.indexed, fetch))
        tail = self.layout.slots - self.indexed
        sims = self.slots.products_from(self.indexed, q) if tail and fetch > 0 else None
        out = []
        for i in range(len(q)):
            found = cand[i] >= 0
            slots, scores = cand[i][found].astype(np.int64), dist[i][found]
            if sims is not None:
                top = np.argpartition(-sims[i], fetch - 1)[:fetch] if tail > fetch else np.arange(tail)
                slots = np.concatenate([slots, self.indexed + top])
                scores = np.concatenate([scores, sims[i][top].astype(np.float32)])
            out.append((slots, scores))
        return out

    def save(self, vectors_path: Path, index_path: Path) -> None:
        """A single-segment store's files (tools and tests; a build writes segments through the dense builder)."""
        np.save(vectors_path, self.vectors, allow_pickle=False)
        if self.index is not None:
            faiss.write_index(self.index, str(index_path))

    @classmethod
    def load(cls, vectors_path: Path, index_path: Path, kind: str) -> DenseStore:
        """A single-segment store saved by `save`."""
        vectors = np.load(vectors_path, allow_pickle=False, mmap_mode="r")
        n = vectors.shape[0]
        return cls.load_segments([vectors_path], Layout.identity(n, "-"), index_path, kind)

    @classmethod
    def load_segments(cls, paths: Sequence[Path], layout: Layout, index_path: Path | None, kind: str,
                      indexed: int | None = None) -> DenseStore:
        """`indexed`: the slots the index covers, as the build recorded (None: every slot, as builds before the
        exact tail wrote)."""
        parts = [np.load(p, allow_pickle=False, mmap_mode="r") for p in paths]
        if layout.slots < MMAP_ROWS:
            # small: read into memory (≤ 77 MB for e5 at 50k rows). An ascontiguousarray of the mapping was the
            # mapping itself, and a file cut short under a running server (an operator's `cp` over a served build)
            # then killed it with SIGBUS at the next search; a larger store stays mapped (docs/operations-live.md)
            parts = [np.array(p) for p in parts]
        dims = {p.shape[1] for p in parts if p.ndim == 2}
        if len(dims) > 1 or any(p.ndim != 2 for p in parts):
            raise IndexCorruptError(f"dense segments disagree in shape: {[p.shape for p in parts]}")
        vectors = SlotVectors(parts, dims.pop() if dims else 0)
        if len(vectors) != layout.slots:
            raise IndexCorruptError(f"dense segments hold {len(vectors)} vectors for {layout.slots} slots")
        index = None
        if kind != "flat":
            if index_path is None or not Path(index_path).is_file():
                raise IndexCorruptError(f"the {kind} FAISS index file is missing")
            index = faiss.read_index(str(index_path))
            covers = len(vectors) if indexed is None else indexed
            if index.ntotal != covers or covers > len(vectors) or index.d != vectors.dim:
                raise IndexCorruptError(
                    f"{Path(index_path).name}: FAISS index holds {index.ntotal}x{index.d} for {covers} of "
                    f"{len(vectors)}x{vectors.dim} vectors")
        return cls(vectors, layout, index, kind)
