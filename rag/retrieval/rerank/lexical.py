"""Sentence-level lexical evidence: BM25 of a passage's best sentence over the question's term groups, the share of
the question a sentence covers, and the proximity of the question's terms inside a window.

A question's terms come as groups of alternatives (one group per question word: its bridge or aligned Japanese
terms); a group counts once, through its best term, as in the BM25 store's group scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from ...stores.bm25 import B, K1

Groups = Sequence[Sequence[str]]


def group_weights(groups: Groups, idfs: Mapping[str, float]) -> list[float]:
    """A group weighs as much as its rarest known term; a group the corpus never uses weighs 0."""
    return [max((idfs.get(t, 0.0) for t in g), default=0.0) for g in groups]


def bm25(terms: Sequence[str], groups: Groups, idfs: Mapping[str, float], avg_len: float, k1: float = K1,
         b: float = B) -> float:
    """BM25 of one sentence: per group the best-scoring term, summed over groups."""
    if not terms:
        return 0.0
    counts = Counter(terms)
    norm = k1 * (1.0 - b + b * len(terms) / max(avg_len, 1e-9))
    total = 0.0
    for group in groups:
        best = 0.0
        for t in group:
            tf = counts.get(t, 0)
            if tf:
                best = max(best, idfs.get(t, 0.0) * tf * (k1 + 1.0) / (tf + norm))
        total += best
    return total


def coverage(terms: Sequence[str], groups: Groups, weights: Sequence[float]) -> float:
    """The IDF-weighted share of the question's groups that occur among `terms` (0 when no group is known)."""
    total = sum(weights)
    if total <= 0:
        return 0.0
    present = set(terms)
    return sum(w for g, w in zip(groups, weights) if any(t in present for t in g)) / total


def proximity(terms: Sequence[str], groups: Groups, weights: Sequence[float], window: int) -> float:
    """The largest IDF-weighted share of the question's groups found together within `window` consecutive terms."""
    total = sum(weights)
    if total <= 0 or not terms:
        return 0.0
    owner: dict[str, list[int]] = {}
    for gi, g in enumerate(groups):
        if weights[gi] > 0:
            for t in g:
                owner.setdefault(t, []).append(gi)
    matches = [(pos, gi) for pos, t in enumerate(terms) for gi in owner.get(t, ())]
    best = 0.0
    for i, (start, _) in enumerate(matches):
        seen: set[int] = set()
        for pos, gi in matches[i:]:
            if pos >= start + window:
                break
            seen.add(gi)
        best = max(best, sum(weights[gi] for gi in seen))
    return best / total
