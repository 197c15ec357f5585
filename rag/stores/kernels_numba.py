"""The inner loops of the inverted indexes in numba, for a machine where kernels.c cannot be compiled (no C
compiler): rag/stores/kernels.py runs these then, with the same arguments and the same results (numba compiles them
on first use and caches them on disk).

Each loop does in one pass what numpy needs several array copies for, in the same float32 arithmetic and the same
order, so scores are bit-identical to the numpy/scipy code they replaced (tests compare them). They release the GIL.
The exceptions: `dot_rows` replaces a BLAS product, and `dot_codes` scores 8-bit codes that only choose candidates;
each says why.

The sparse head's activations are stored as float16, which numba cannot read: those arrays arrive as their uint16
bits with `F16`, the float32 value of every bit pattern (256 KB, cache-resident), and `value` reads either kind.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

F16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
NO_TABLE = np.zeros(0, np.float32)


def values(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(array, table) as the kernels take stored activations: float16 as its bits and F16, float32 as it is."""
    if array.dtype == np.float16:
        return array.view(np.uint16), F16
    return array, NO_TABLE


def value(vals, table, p):  # pragma: no cover - replaced by the overload inside compiled code
    raise NotImplementedError


@overload(value, inline="always")
def _value(vals, table, p):  # pragma: no cover - compiled
    if vals.dtype == types.uint16:
        return lambda vals, table, p: table[vals[p]]
    return lambda vals, table, p: vals[p]


@njit(cache=True, nogil=True)
def accumulate_postings(post_ptr, post_row, post_val, table, features, weights, out):  # pragma: no cover - compiled
    """out[row] += post_val · weight over each query feature's postings, feature after feature (float32), as scipy's
    column-by-column sparse matrix-vector product adds them."""
    for j in range(features.shape[0]):
        f = features[j]
        w = weights[j]
        for p in range(post_ptr[f], post_ptr[f + 1]):
            out[post_row[p]] += value(post_val, table, p) * w
    return out


@njit(cache=True, nogil=True)
def _impact_end(post_ptr, post_val, table, f, cut):  # pragma: no cover - compiled
    """The end of feature f's postings (impact order: activations descending) that hold at least `cut`."""
    lo, hi = post_ptr[f], post_ptr[f + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if value(post_val, table, mid) >= cut:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def impact_count(post_ptr, post_val, table, features, weights, tau):  # pragma: no cover - compiled
    """How many postings contribute at least `tau` (activation · weight): a binary search per feature."""
    total = 0
    for j in range(features.shape[0]):
        if weights[j] > 0:
            f = features[j]
            total += _impact_end(post_ptr, post_val, table, f, tau / weights[j]) - post_ptr[f]
    return total


@njit(cache=True, nogil=True)
def accumulate_impacts(post_ptr, post_row, post_val, table, features, weights, tau, out):  # pragma: no cover
    """accumulate_postings over only the postings that contribute at least `tau`: each feature's prefix."""
    for j in range(features.shape[0]):
        w = weights[j]
        if w > 0:
            f = features[j]
            for p in range(post_ptr[f], _impact_end(post_ptr, post_val, table, f, tau / w)):
                out[post_row[p]] += value(post_val, table, p) * w
    return out


@njit(cache=True, nogil=True)
def rescore_rows(row_ptr, row_feat, row_val, table, rows, position, weights, scratch, out):  # pragma: no cover
    """The exact score of each of `rows`, added in the question's feature order as accumulate_postings adds it, so
    it is bit-identical to a full pass (`position[f]`: the question's index of feature f, or -1)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(row_ptr[r], row_ptr[r + 1]):
            j = position[row_feat[p]]
            if j >= 0:
                scratch[j] = value(row_val, table, p) * weights[j]
        s = np.float32(0.0)
        for j in range(scratch.shape[0]):
            s += scratch[j]
            scratch[j] = 0
        out[i] = s
    return out


@njit(cache=True, nogil=True)
def bm25_term_weights(post_ptr, post_row, post_tf, start, slot_row, norm, tids, idfs, out, best):  # pragma: no cover
    """BM25 weights of one segment's postings for the terms `tids` (`idfs`: each term's float32 idf, as float64).

    A posting weighs float32(idf · tf / (norm + tf)), computed in float64 as the numpy code before it (and bm25s) did.
    With an empty `best`, each weight is added to out[row], term after term (a Japanese question's terms); otherwise
    best[row] keeps the row's largest weight (one group of alternatives), which `add_best` then adds to `out` once."""
    group = best.shape[0] > 0
    terms = post_ptr.shape[0] - 1
    for j in range(tids.shape[0]):
        t = tids[j]
        if t >= terms:
            continue
        idf = idfs[j]
        for p in range(post_ptr[t], post_ptr[t + 1]):
            slot = post_row[p] + start
            r = slot_row[slot]
            if r < 0:
                continue
            tf = np.float64(post_tf[p])
            w = np.float32(idf * (tf / (norm[slot] + tf)))
            if group:
                if w > best[r]:
                    best[r] = w
            else:
                out[r] += w


@njit(cache=True, nogil=True)
def add_best(post_ptr, post_row, start, slot_row, tids, best, out):  # pragma: no cover - compiled
    """out[row] += best[row] for every row one of the group's terms holds in this segment, once (then best[row] = 0)."""
    terms = post_ptr.shape[0] - 1
    for j in range(tids.shape[0]):
        t = tids[j]
        if t >= terms:
            continue
        for p in range(post_ptr[t], post_ptr[t + 1]):
            r = slot_row[post_row[p] + start]
            if r >= 0 and best[r] != 0:
                out[r] += best[r]
                best[r] = 0


@njit(cache=True, nogil=True, fastmath=True)
def dot_rows(vectors, words, out):  # pragma: no cover - compiled
    """out[w, r] = vectors[r] · words[w] (float32), every row read once for all the words.

    Unlike the loops above, this one replaces a BLAS product, not numpy code of the same order: a product of a few
    words with every term vector is bound by memory, and OpenBLAS takes about twice as long as one streaming pass
    (docs/results.md, "The term alignment's exact product: one compiled pass instead of BLAS"). `fastmath` lets the
    compiler vectorise the sum, in an order fixed at compilation; each word's row depends only on that word, not on
    the others in the call (BLAS's rows moved in the last bits with the batch)."""
    n, d = vectors.shape
    for r in range(n):
        for w in range(words.shape[0]):
            acc = np.float32(0.0)
            for j in range(d):
                acc += vectors[r, j] * words[w, j]
            out[w, r] = acc


@njit(cache=True, nogil=True, fastmath=True)
def dot_codes(codes, scaled, out):  # pragma: no cover - compiled
    """out[r] = codes[r] · scaled (int8 codes, float32 sum): the dense stores' first pass over 8-bit codes, a quarter
    of float32's bytes (rag/stores/dense.py `Codes`); its scores only choose which rows are scored exactly."""
    n, d = codes.shape
    for r in range(n):
        acc = np.float32(0.0)
        for j in range(d):
            acc += scaled[j] * np.float32(codes[r, j])
        out[r] = acc


@njit(cache=True, nogil=True, fastmath=True)
def dot_codes_rows(codes, scaled, out):  # pragma: no cover - compiled
    """out[w, r] = codes[r] · scaled[w]: dot_codes for several words, every row's codes read once for all of them
    (the term alignment's first pass, rag/stores/align.py)."""
    n, d = codes.shape
    for r in range(n):
        for w in range(scaled.shape[0]):
            acc = np.float32(0.0)
            for j in range(d):
                acc += scaled[w, j] * np.float32(codes[r, j])
            out[w, r] = acc


# kernels.py's warm() functions compile these (or load them from numba's cache) when a Searcher is made, so that the
# first question does not pay for it: the sparse store's for the arrays a store written now holds (float16
# activations, uint16 features) and those of one written before (float32, int32).

def warm_sparse() -> None:
    """The sparse head's kernels (rag/stores/sparse.py)."""
    out, ptr, tids = np.zeros(1, np.float32), np.zeros(2, np.int64), np.zeros(1, np.int64)
    for stored, feature in ((np.float16, np.uint16), (np.float32, np.int32)):  # now, and a store written before
        val, table = values(np.zeros(0, stored))
        accumulate_postings(ptr, np.zeros(0, np.int32), val, table, tids, np.ones(1, np.float32), out)
        impact_count(ptr, val, table, tids, np.ones(1, np.float32), 1.0)
        accumulate_impacts(ptr, np.zeros(0, np.int32), val, table, tids, np.ones(1, np.float32), 1.0, out)
        rescore_rows(ptr, np.zeros(0, feature), val, table, np.zeros(1, np.int64), np.zeros(1, np.int64),
                     np.ones(1, np.float32), np.zeros(1, np.float32), out)


def warm_bm25() -> None:
    """BM25's kernels (rag/stores/bm25.py)."""
    out, ptr, tids = np.zeros(1, np.float32), np.zeros(2, np.int64), np.zeros(1, np.int64)
    slot_row, norm = np.zeros(1, np.int64), np.ones(1, np.float64)
    for best in (np.zeros(0, np.float32), np.zeros(1, np.float32)):
        bm25_term_weights(ptr, np.zeros(0, np.int32), np.zeros(0, np.int32), 0, slot_row, norm, tids, np.ones(1),
                          out, best)
    add_best(ptr, np.zeros(0, np.int32), 0, slot_row, tids, np.zeros(1, np.float32), out)


def warm_dense() -> None:
    """The dense stores' and the term aligner's kernels (rag/stores/dense.py, rag/stores/align.py)."""
    dot_rows(np.zeros((1, 2), np.float32), np.zeros((1, 2), np.float32), np.zeros((1, 1), np.float32))
    dot_codes(np.zeros((1, 2), np.int8), np.zeros(2, np.float32), np.zeros(1, np.float32))
    dot_codes_rows(np.zeros((1, 2), np.int8), np.zeros((1, 2), np.float32), np.zeros((1, 1), np.float32))
