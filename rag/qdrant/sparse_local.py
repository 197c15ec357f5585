"""qdrant-client's local mode scoring a sparse query against every stored vector at once, in numpy.

The local mode (a folder, or `:memory:`) scores a sparse query with a Python loop per stored vector and per index
(its `sparse_distances.calculate_distance_sparse`): ~0.02 ms a vector, and a hybrid search asks several, so that one
over the 245 seed passages spent ~39 of its 55 ms there (encodings cached), growing with the corpus (docs/qdrant.md,
benchmarks/qdrant_local_sparse.py). This gives the same scores: each stored vector's products are summed in float64
in its index order, as the loop sums them, and cast to float32; a vector that shares no index with the query scores
-inf (0 where the caller asks `empty_is_zero`). The stored vectors are read into flat arrays once per list of
vectors and used again while every one of them is alive and in place; a value other than a Python float (which
the client's loop would add in its own type) is scored by the client's function.

This relies on qdrant-client's local mode, which is not an API (the version is pinned in .ci/constraints.txt);
`tests/qdrant/test_qdrant_ranking.py` checks the scores against the client's own, bit for bit."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from itertools import chain
from typing import Any, NamedTuple

import numpy as np

_KEPT = 8  # lists of stored vectors kept flat: a serving version's sparse signals, the next one's, and spares
_SMALL = 32  # fewer stored vectors than this (MMR's candidates, one by one) are flattened per call, not kept
_MAX_INDEX = 2**32 - 1  # the client's (and the server's) bound for a sparse index: it fits a uint32


class _Flat(NamedTuple):
    """Stored sparse vectors as one row-major run of (row, index, value), each row in its own index order; `exact`
    when every value is a Python float, as the client's loop must see them to sum as float64 does here."""

    rows: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    exact: bool


_kept: OrderedDict[tuple[int, int, int], tuple[list[weakref.ref], _Flat]] = OrderedDict()
_lock = threading.Lock()


def _flatten(vectors: Sequence[Any]) -> _Flat:
    lengths = np.fromiter((len(v.indices) for v in vectors), np.intp, len(vectors))
    total = int(lengths.sum())
    values = list(chain.from_iterable(v.values for v in vectors))
    indices = np.fromiter(chain.from_iterable(v.indices for v in vectors), np.int64, total)
    exact = set(map(type, values)) <= {float} and (not total or (indices.min() >= 0 and indices.max() <= _MAX_INDEX))
    flat = _Flat(np.repeat(np.arange(len(vectors), dtype=np.int32), lengths), indices.astype(np.uint32),
                 np.array(values, dtype=np.float64).reshape(total), exact)
    for array in flat[:3]:
        array.flags.writeable = False
    return flat


def _flat(vectors: Sequence[Any]) -> _Flat:
    """The flat form of `vectors`, used again while each of the same objects stands at the same place.

    The client replaces a stored vector by a new object on upsert and never changes one in place; a weak reference
    per vector tells a kept form from one whose vectors were replaced, even where a new object takes an old address.
    At most _KEPT are kept, the least recently used dropped first, and any whose first or last vector is gone (a
    version unloaded, a collection dropped) at the next one kept."""
    if len(vectors) < _SMALL:
        return _flatten(vectors)
    key = (len(vectors), id(vectors[0]), id(vectors[-1]))
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is not None and all(ref() is v for ref, v in zip(kept[0], vectors)):
        return kept[1]
    flat = _flatten(vectors)
    refs = [weakref.ref(v) for v in vectors]
    with _lock:
        _kept.pop(key, None)
        for gone in [k for k, (rs, _) in _kept.items() if rs[0]() is None or rs[-1]() is None]:
            del _kept[gone]
        while len(_kept) >= _KEPT:
            _kept.popitem(last=False)
        _kept[key] = (refs, flat)
    return flat


def calculate_distance_sparse(query: Any, vectors: Sequence[Any], empty_is_zero: bool = False) -> np.ndarray:
    """float32 dot products of `query` with each of `vectors` (sparse, unique indices), as the client scores them."""
    scores = np.full(len(vectors), 0.0 if empty_is_zero else -np.inf, dtype=np.float32)
    if not len(vectors) or not len(query.indices):
        return scores
    flat = _flat(vectors)
    q_indices = np.asarray(query.indices, dtype=np.int64)
    if not (flat.exact and set(map(type, query.values)) <= {float} and q_indices.min() >= 0
            and q_indices.max() <= _MAX_INDEX):
        from qdrant_client.local.sparse_distances import calculate_distance_sparse as clients_own

        return clients_own(query, vectors, empty_is_zero)
    order = np.argsort(q_indices, kind="stable")
    q_indices, q_values = q_indices[order].astype(np.uint32), np.asarray(query.values, dtype=np.float64)[order]
    at = np.minimum(np.searchsorted(q_indices, flat.indices), len(q_indices) - 1)
    shared = q_indices[at] == flat.indices
    rows = flat.rows[shared]
    with np.errstate(over="ignore", invalid="ignore"):  # as Python's float arithmetic in the client's loop: silent
        sums = np.bincount(rows, weights=flat.values[shared] * q_values[at[shared]], minlength=len(vectors))
        overlap = np.bincount(rows, minlength=len(vectors)) > 0
        scores[overlap] = sums[overlap].astype(np.float32)
    return scores


def install() -> None:
    """Put `calculate_distance_sparse` in the local mode's place of the client's own (another's patch is left)."""
    from qdrant_client.local import local_collection, sparse_distances

    if local_collection.calculate_distance_sparse is sparse_distances.calculate_distance_sparse:
        local_collection.calculate_distance_sparse = calculate_distance_sparse
