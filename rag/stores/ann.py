"""The approximate FAISS indexes of the dense stores and the term alignment: which kind a store gets, how one is
made and trained, and when a build may extend the previous one instead of training again.

`ivf` is an inverted file with float16 codes (rag/stores/dense.py says why); `hnsw` a graph over the flat vectors;
`flat` needs no index (exact search over the stored vectors).
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from ..errors import ConfigError

KINDS = ("auto", "flat", "hnsw", "ivf")


def choose_kind(kind: str, n: int, threshold: int) -> str:
    """`auto` is exact below `threshold` passages and IVF above; any other kind is taken as asked."""
    if kind not in KINDS:
        raise ConfigError(f"faiss kind {kind!r}: allowed {', '.join(KINDS)}")
    if kind != "auto":
        return kind
    return "flat" if n < threshold else "ivf"


NPROBE = 48  # IVF lists searched per question: recall@10 1.00 against exact at 100k passages (docs/results.md)


def _nlist(n: int) -> int:
    return max(1, min(int(4 * math.sqrt(max(n, 1))), max(1, n // 39)))


def outgrown(index: faiss.Index, n: int) -> bool:
    """Whether an IVF index holds so many more vectors than it was trained for that it should be trained again: its
    list count is under half the count `n` vectors get (4× the vectors, at a million), so each list, and the share
    of the index a search scans, has grown that much. An index extended build after build is retrained this way, at
    geometrically spaced sizes, so the cost stays proportional to what was added."""
    try:
        return 2 * faiss.extract_index_ivf(index).nlist < _nlist(n)
    except RuntimeError:  # not an IVF index (HNSW): nothing was trained for a size
        return False


def scores_exact(index: faiss.Index) -> bool:
    """Whether the index's own scores rank as the stored float32 vectors do: float16 IVF codes, or HNSW's flat
    vectors. Those of 8-bit codes do not (recall@10 0.95 against exact at a million), and are re-scored."""
    if isinstance(index, faiss.IndexHNSWFlat):
        return True
    return isinstance(index, faiss.IndexIVFScalarQuantizer) and index.sq.qtype == faiss.ScalarQuantizer.QT_fp16


def cut_index(index: faiss.Index, slots: int) -> bool:
    """Remove an approximate index's entries for slots ≥ `slots` (a delta merge rewrote those slots), so that it
    can be extended from there; False when this kind cannot remove entries (HNSW) and must be built again."""
    if index.ntotal <= slots:
        return True
    try:
        index.remove_ids(faiss.IDSelectorRange(slots, index.ntotal))
    except RuntimeError:
        return False
    return index.ntotal == slots


def why_train_again(index: faiss.Index, stable: int, n: int) -> str | None:
    """Cut a previous approximate index back to its `stable` slots (`cut_index`) for extending to `n` vectors;
    the reason it must be trained again instead, or None: it cannot remove entries (HNSW), has outgrown its
    training, or holds 8-bit codes. The dense components and the term alignment share this rule."""
    if not cut_index(index, stable):
        return f"it cannot be cut back to {stable} slots"
    if outgrown(index, n):
        return f"it was trained for far fewer than {n} vectors"
    if not scores_exact(index):
        return "it holds 8-bit codes (trained again with float16 codes)"
    return None


def training_sample(slots: np.ndarray) -> np.ndarray:
    """The (sorted) slots an IVF index over `slots` trains on: all, or 100 per list."""
    cap = 100 * _nlist(slots.size)
    return slots if slots.size <= cap else np.sort(np.random.default_rng(0).choice(slots, cap, replace=False))


def new_index(sample: np.ndarray, kind: str, n: int | None = None) -> faiss.Index | None:
    """A trained, empty FAISS index of this kind for `n` vectors, trained on `sample` (None for flat: exact search
    needs none)."""
    n = sample.shape[0] if n is None else n
    dim = sample.shape[1]
    if kind == "flat":
        return None
    if kind == "hnsw":
        return faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    if kind == "ivf":
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, _nlist(n), faiss.ScalarQuantizer.QT_fp16,
                                              faiss.METRIC_INNER_PRODUCT)
        if n:
            index.train(np.ascontiguousarray(sample, dtype=np.float32))
        return index
    raise ConfigError(f"faiss kind {kind!r}: allowed flat, hnsw, ivf (or auto)")
