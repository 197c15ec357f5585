"""Rank fusion (RRF and normalised weighted sum) and removal of overlapping or near-identical passages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..types import Passage


def rrf(rankings: Mapping[str, Sequence[int]], weights: Mapping[str, float], k: int = 60) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank) over the rankings a row appears in (rank from 1)."""
    fused: dict[int, float] = {}
    for name, rows in rankings.items():
        w = weights.get(name, 1.0)
        if w <= 0:
            continue
        for rank, row in enumerate(rows, start=1):
            fused[row] = fused.get(row, 0.0) + w / (k + rank)
    return fused


def weighted_sum(scores: Mapping[str, Mapping[int, float]], weights: Mapping[str, float]) -> dict[int, float]:
    """Sum of w * min-max-normalised score; a row missing from a ranking contributes 0 there."""
    fused: dict[int, float] = {}
    for name, by_row in scores.items():
        w = weights.get(name, 1.0)
        if w <= 0 or not by_row:
            continue
        vals = np.fromiter(by_row.values(), dtype=np.float64)
        lo, hi = float(vals.min()), float(vals.max())
        for row, s in by_row.items():
            # one hit (or a tie) has no spread: it is still a match, so it scores like the best of a list
            norm = (s - lo) / (hi - lo) if hi > lo else 1.0
            fused[row] = fused.get(row, 0.0) + w * norm
    return fused


def _shingles(text: str, n: int = 3) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}


def diversify(ranked: Sequence[int], passages: Sequence[Passage], limit: int, max_overlap: float = 0.5,
              max_similarity: float = 0.8) -> list[int]:
    """Walk the ranking, skipping a row whose span overlaps a kept one by more than `max_overlap` of the shorter,
    or whose text is near-identical (character-trigram Jaccard above `max_similarity`) to a kept one."""
    kept: list[int] = []
    grams: list[set[str]] = []
    seen: dict[int, Passage] = {}  # each row's passage read once (a loaded index makes it on access)
    for row in ranked:
        p = seen[row] = passages[row]
        dup = False
        for other in kept:
            q = seen[other]
            if p.doc_id == q.doc_id:
                inter = min(p.end, q.end) - max(p.start, q.start)
                if inter > max_overlap * min(p.end - p.start, q.end - q.start):
                    dup = True
                    break
        g: set[str] = set()
        if not dup:
            g = _shingles(p.text)
            for og in grams:
                if len(g & og) / max(1, len(g | og)) > max_similarity:
                    dup = True
                    break
        if dup:
            continue
        kept.append(row)
        grams.append(g)  # the kept row's trigrams, made once
        if len(kept) >= limit:
            break
    return kept
