"""Ranking.top over a long score vector narrows it by a sampled threshold first (rag/stores/ranking.py); the rows and
scores must be exactly those of the plain choice: the k best, ties at the boundary to the lower row, positive only
when asked, within the allowed rows."""

from __future__ import annotations

import numpy as np
import pytest

from rag.stores import ranking
from rag.stores.ranking import Ranking


def vectors(rng: np.random.Generator, n: int, k: int):
    sparse = rng.random(n).astype(np.float32)
    sparse[sparse < 0.7] = 0  # most rows unmatched, as in BM25 and the sparse head
    ties = rng.integers(0, 4, n).astype(np.float32)  # many equal scores at the boundary
    few = np.zeros(n, np.float32)
    few[rng.choice(n, min(n, k // 2 + 1), replace=False)] = 1.5  # fewer positives than k
    signed = rng.standard_normal(n).astype(np.float32)
    return {"sparse": sparse, "ties": ties, "few": few, "signed": signed}


@pytest.mark.parametrize("n", [70_000, 300_000])
@pytest.mark.parametrize("k", [1, 10, 100, 1000])
def test_the_sampled_choice_equals_the_plain_one(n: int, k: int, monkeypatch) -> None:
    rng = np.random.default_rng(n + k)
    for name, scores in vectors(rng, n, k).items():
        for allowed in (None, np.sort(rng.choice(n, n // 3, replace=False))):
            for positive in (True, False):
                monkeypatch.setattr(ranking, "SAMPLED", 10**12)
                plain = Ranking.top(scores, k, allowed, positive)
                monkeypatch.setattr(ranking, "SAMPLED", 65_536)
                sampled = Ranking.top(scores, k, allowed, positive)
                assert np.array_equal(sampled.rows, plain.rows), (name, positive)
                assert np.array_equal(sampled.scores, plain.scores), (name, positive)
                eligible = scores if allowed is None else scores[allowed]
                assert sampled.rows.size == min(k, int((eligible > 0).sum()) if positive else eligible.size)
