"""A ranking as every store and component returns it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SAMPLED = 65_536  # above this many scores, a sampled threshold narrows the vector before the exact choice


class Ranking(NamedTuple):
    """Passage rows, best first, with their scores (the way bm25s returns `Results`)."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float32

    @classmethod
    def empty(cls) -> Ranking:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))

    @classmethod
    def top(cls, scores: np.ndarray, k: int, allowed: np.ndarray | None = None, positive: bool = True) -> Ranking:
        """The k best rows of a full score vector, restricted to `allowed` rows, optionally only positive scores
        (a lexical or sparse match); ties broken by row."""
        if allowed is not None:
            sub = scores[allowed]
            cand = allowed
        else:
            sub = scores
            cand = None
        if k > 0 and sub.shape[0] > SAMPLED:
            # a long vector: keep only the entries at or above a threshold that a strided sample puts a few times k of
            # them above (the k best are among them whenever at least k are), then choose among those exactly
            step = sub.shape[0] // (SAMPLED // 4)
            sample = sub[::step]
            above = min(sample.shape[0], 4 * -(-k // step) + 4)
            floor = np.partition(sample, sample.shape[0] - above)[sample.shape[0] - above]
            keep = np.flatnonzero((sub >= floor) & (sub > 0)) if positive else np.flatnonzero(sub >= floor)
            if keep.shape[0] >= k:
                sub, cand, positive = sub[keep], (keep if cand is None else cand[keep]), False
        if positive:
            keep = np.flatnonzero(sub > 0)
            sub, cand = sub[keep], (keep if cand is None else cand[keep])
        n = sub.shape[0]
        if n == 0 or k <= 0:
            return cls.empty()
        if n > k:
            # the k best, ties at the boundary going to the lower rows, as a stable sort would choose them
            kth = np.partition(-sub, k - 1)[k - 1]
            better = np.flatnonzero(-sub < kth)
            ties = np.flatnonzero(-sub == kth)
            part = np.concatenate([better, ties[: k - better.size]])
        else:
            part = np.arange(n)
        rows = part if cand is None else cand[part]
        order = np.lexsort((rows, -sub[part]))
        return cls(rows[order].astype(np.int64), sub[part][order].astype(np.float32))

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.rows.tolist(), self.scores.tolist()))
