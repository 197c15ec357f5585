"""The passages the coverage check reads: the top PASSAGES hits by rank (`top`), and the CLOSEST a not-covered answer
lists."""

from __future__ import annotations

from collections.abc import Sequence

from ...types import Hit

PASSAGES = 5  # the top passages read, as the extractive answer reads them
CLOSEST = 3  # the passages a not-covered answer lists, for a reader who knows better than the check


def top(hits: Sequence[Hit], n: int = PASSAGES) -> list[Hit]:
    """The first `n` hits by rank: the passages read, or (CLOSEST) those a not-covered answer lists."""
    return sorted(hits, key=lambda h: h.rank)[:n]
