"""Compiled inner loops of the inverted indexes (numba, cached on disk after the first compilation).

Each loop does in one pass what numpy needs several array copies for, in the same float32 arithmetic and the same
order, so scores are bit-identical to the numpy/scipy code they replaced (tests compare them). They release the GIL.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def accumulate_postings(post_ptr, post_row, post_val, features, weights, out):  # pragma: no cover - compiled
    """out[row] += post_val · weight over each query feature's postings, feature after feature (float32), as scipy's
    column-by-column sparse matrix-vector product adds them."""
    for j in range(features.shape[0]):
        f = features[j]
        w = weights[j]
        for p in range(post_ptr[f], post_ptr[f + 1]):
            out[post_row[p]] += post_val[p] * w
    return out


def warm() -> None:
    """Compile (or load from the cache) every kernel, so that the first question does not pay for it."""
    out = np.zeros(1, np.float32)
    accumulate_postings(np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32),
                        np.zeros(1, np.int64), np.ones(1, np.float32), out)
