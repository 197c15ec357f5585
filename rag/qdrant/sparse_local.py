"""qdrant-client's local mode scoring a sparse query against every stored vector at once, in numpy.

The local mode (a folder, or `:memory:`) scores a sparse query with a Python loop per stored vector and per index
(its `sparse_distances.calculate_distance_sparse`): ~0.02 ms a vector, and a hybrid search asks several, so that one
over the 245 seed passages spent ~39 of its 55 ms there (encodings cached), growing with the corpus (docs/qdrant.md,
benchmarks/qdrant_local_sparse.py). This gives the same scores: each stored vector's products are summed in float64
in its index order, as the loop sums them, and cast to float32; a vector that shares no index with the query scores
-inf (0 where the caller asks `empty_is_zero`). The stored vectors are read into flat arrays once per list of
vectors and kept while every one of them is alive and in place.

This relies on qdrant-client's local mode, which is not an API (the version is pinned in .ci/constraints.txt);
`tests/qdrant/test_qdrant_ranking.py` checks the scores against the client's own, bit for bit."""

from __future__ import annotations

import threading
import weakref
from itertools import chain
from typing import Any, NamedTuple, Sequence

import numpy as np

_KEPT = 8  # lists of stored vectors kept flat: a serving version's two sparse signals, the next one's, and spares
_SMALL = 32  # fewer stored vectors than this (a recommendation's candidates) are flattened per call, not kept


class _Flat(NamedTuple):
    """Stored sparse vectors as one row-major run of (row, index, value), each row in its own index order."""

    rows: np.ndarray
    indices: np.ndarray
    values: np.ndarray


_kept: dict[tuple[int, int, int], tuple[list[weakref.ref], _Flat]] = {}
_lock = threading.Lock()


def _flatten(vectors: Sequence[Any]) -> _Flat:
    lengths = np.fromiter((len(v.indices) for v in vectors), np.intp, len(vectors))
    total = int(lengths.sum())
    return _Flat(np.repeat(np.arange(len(vectors), dtype=np.intp), lengths),
                 np.fromiter(chain.from_iterable(v.indices for v in vectors), np.int64, total),
                 np.fromiter(chain.from_iterable(v.values for v in vectors), np.float64, total))


def _flat(vectors: Sequence[Any]) -> _Flat:
    """The flat form of `vectors`, kept while each of the same objects stands at the same place.

    The client replaces a stored vector by a new object on upsert and never changes one in place; a weak reference
    per vector tells a kept form from one whose vectors were replaced, even where a new object takes an old address."""
    if len(vectors) < _SMALL:
        return _flatten(vectors)
    key = (len(vectors), id(vectors[0]), id(vectors[-1]))
    with _lock:
        kept = _kept.get(key)
    if kept is not None and all(ref() is v for ref, v in zip(kept[0], vectors)):
        return kept[1]
    flat = _flatten(vectors)
    refs = [weakref.ref(v) for v in vectors]
    with _lock:
        _kept.pop(key, None)
        while len(_kept) >= _KEPT:
            del _kept[next(iter(_kept))]  # the oldest
        _kept[key] = (refs, flat)
    return flat


def calculate_distance_sparse(query: Any, vectors: Sequence[Any], empty_is_zero: bool = False) -> np.ndarray:
    """float32 dot products of `query` with each of `vectors` (sparse, unique indices), as the client scores them."""
    scores = np.full(len(vectors), 0.0 if empty_is_zero else -np.inf, dtype=np.float32)
    if not len(vectors) or not len(query.indices):
        return scores
    flat = _flat(vectors)
    q_indices = np.asarray(query.indices, dtype=np.int64)
    order = np.argsort(q_indices, kind="stable")
    q_indices, q_values = q_indices[order], np.asarray(query.values, dtype=np.float64)[order]
    at = np.minimum(np.searchsorted(q_indices, flat.indices), len(q_indices) - 1)
    shared = q_indices[at] == flat.indices
    rows = flat.rows[shared]
    sums = np.bincount(rows, weights=flat.values[shared] * q_values[at[shared]], minlength=len(vectors))
    overlap = np.bincount(rows, minlength=len(vectors)) > 0
    scores[overlap] = sums[overlap].astype(np.float32)
    return scores


def install() -> None:
    """Score the local mode's sparse queries here (once per process; a client version without the function is left
    as it is)."""
    from qdrant_client.local import local_collection

    current = getattr(local_collection, "calculate_distance_sparse", None)
    if current is not None and current is not calculate_distance_sparse:
        local_collection.calculate_distance_sparse = calculate_distance_sparse
