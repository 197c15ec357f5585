"""Compiled inner loops of the inverted indexes and the dense stores' first passes (kernels.c).

Each loop does in one pass what numpy needs several array copies for, in the same float32 arithmetic and the same
order, so scores are bit-identical to the numpy/scipy code they replaced (tests compare them). They release the GIL.
The exceptions: `dot_rows` replaces a BLAS product, and `dot_codes` scores 8-bit codes that only choose candidates;
each says why.

kernels.c is compiled once per machine and cached (rag/native.py), as the e5 engine is: a process loads it in a few
milliseconds. They were numba functions, whose import and cache cost every process that searched ~0.75 s of CPU
(docs/operations.md, "The kernels in C"). Where no C compiler is found, or the compile fails, a warning says so and
the same loops run in numba (kernels_numba.py), with the same results.

The sparse head's activations are stored as float16: those arrays arrive as their uint16 bits with `F16`, the
float32 value of every bit pattern (256 KB, cache-resident), and each kernel reads either kind.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from pathlib import Path
from types import ModuleType

import numpy as np

from .. import native

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("kernels.c")
# No fast math, and no product and sum fused by the compiler (-ffp-contract=off): the sparse and BM25 sums are the
# numba kernels' and numpy's, bit for bit. AVX2 and FMA where the CPU has them, which the dense products use by name.
FLAGS = ("-O3", "-fPIC", "-fno-fast-math", "-ffp-contract=off")
ABI = 1
F16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
NO_TABLE = np.zeros(0, np.float32)

_lock = threading.Lock()
_UNSET = object()
_loaded: dict[str, object] = {"lib": _UNSET}  # this process's library, or None for numba's kernels, once known
_I64, _F64, _VP = ctypes.c_int64, ctypes.c_double, ctypes.c_void_p


def values(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(array, table) as the kernels take stored activations: float16 as its bits and F16, float32 as it is."""
    if array.dtype == np.float16:
        return array.view(np.uint16), F16
    return array, NO_TABLE


def library() -> ctypes.CDLL | None:
    """kernels.c's library for this process, compiled on first use or taken from the cache; None (and a warning,
    once) when it cannot be built or loaded: the numba kernels run instead."""
    lib = _loaded["lib"]
    if lib is _UNSET:
        with _lock:
            if _loaded["lib"] is _UNSET:
                _loaded["lib"] = _load(native.cache_dir())
            lib = _loaded["lib"]
    return lib  # type: ignore[return-value]


def _load(where: Path) -> ctypes.CDLL | None:
    cc, version = native.compiler()
    why = version
    if cc is not None:
        flags = (*FLAGS, *(f"-m{isa}" for isa in ("avx2", "fma") if native.cpu_has(isa)))
        source = SOURCE.read_bytes()
        target = where / f"kernels-{native.library_id([source, ' '.join(flags).encode(), version.encode()])}.so"
        failed = None if native.intact(target) else native.compile_library(
            where, target, ".kernels-", {SOURCE.name: source}, SOURCE.name,
            [[cc, *flags, "-c", "-o", "{obj}", "{src}"], [cc, "-shared", "-o", "{lib}", "{obj}"]])
        if failed is None:
            try:
                lib = ctypes.CDLL(str(target))
                if lib.kernels_abi() == ABI:
                    _bind(lib)
                    return lib
                why = f"{target} has ABI {lib.kernels_abi()}, expected {ABI}"
            except (OSError, AttributeError) as exc:
                why = f"cannot load {target}: {exc}"
        else:
            why = failed
    logger.warning("the indexes' compiled loops run in numba, which costs each process ~0.75 s to load: %s", why)
    return None


def _bind(lib: ctypes.CDLL) -> None:
    for suffix in ("f32", "f16"):
        getattr(lib, f"accumulate_postings_{suffix}").argtypes = [_VP, _VP, _VP, _VP, _VP, _I64, _VP, _VP]
        count = getattr(lib, f"impact_count_{suffix}")
        count.argtypes, count.restype = [_VP, _VP, _VP, _VP, _I64, _VP, _F64], _I64
        getattr(lib, f"accumulate_impacts_{suffix}").argtypes = [_VP, _VP, _VP, _VP, _VP, _I64, _VP, _F64, _VP]
    for suffix in ("u16_f16", "u16_f32", "i32_f16", "i32_f32"):
        getattr(lib, f"rescore_rows_{suffix}").argtypes = [_VP, _VP, _VP, _VP, _VP, _I64, _VP, _VP, _VP, _I64, _VP]
    lib.bm25_term_weights.argtypes = [_VP, _I64, _VP, _VP, _I64, _VP, _VP, _VP, _I64, _VP, _VP, _VP, _I64]
    lib.add_best.argtypes = [_VP, _I64, _VP, _I64, _VP, _VP, _I64, _VP, _VP]
    lib.bm25_groups.argtypes = [_VP, _I64, _VP, _VP, _I64, _VP, _VP, _VP, _I64, _VP, _VP, _VP, _VP, _I64]
    lib.dot_rows.argtypes = [_VP, _I64, _I64, _VP, _I64, _VP]
    lib.dot_codes_rows.argtypes = [_VP, _I64, _I64, _VP, _I64, _VP]


def _numba() -> ModuleType:
    from . import kernels_numba

    return kernels_numba


def _c(array: np.ndarray, dtype) -> np.ndarray:
    """`array` as the C loops read it: contiguous, of `dtype` (a copy only when it is not already)."""
    return array if array.dtype == dtype and array.flags.c_contiguous else np.ascontiguousarray(array, dtype)


def _out(array: np.ndarray, dtype=np.float32) -> np.ndarray:
    """An array the C loops write into: it must already be what they write, since a copy would not be the caller's."""
    if array.dtype != dtype or not array.flags.c_contiguous or not array.flags.writeable:
        raise TypeError(f"a kernel writes into a contiguous, writeable {np.dtype(dtype).name} array, not {array.dtype}")
    return array


def _vals(vals: np.ndarray, table: np.ndarray) -> tuple[str, np.ndarray, np.ndarray | None]:
    """(the kernel variant, the values, the table) for stored activations as `values` gives them; the caller keeps
    both arrays while the C loop reads them (a converted copy must not be freed before)."""
    if vals.dtype == np.uint16:
        if table.shape != F16.shape:
            raise ValueError(f"float16 activations are read through a table of {F16.shape[0]} values, not {table.shape}")
        return "f16", _c(vals, np.uint16), _c(table, np.float32)
    return "f32", _c(vals, np.float32), None


def _at(array: np.ndarray | None) -> int | None:
    return None if array is None else array.ctypes.data


def _shapes(out: np.ndarray, expected: tuple[int, ...], rows_d: int, words_d: int) -> None:
    if rows_d != words_d or out.shape != expected:
        raise ValueError(f"a product of rows of {rows_d} with words of {words_d} values into {out.shape}, "
                         f"not {expected}")


def accumulate_postings(post_ptr, post_row, post_val, table, features, weights, out):
    """out[row] += post_val · weight over each query feature's postings, feature after feature (float32), as scipy's
    column-by-column sparse matrix-vector product adds them."""
    lib = library()
    if lib is None:
        return _numba().accumulate_postings(post_ptr, post_row, post_val, table, features, weights, out)
    kind, vals, tab = _vals(post_val, table)
    ptr, rows = _c(post_ptr, np.int64), _c(post_row, np.int32)
    feats, w = _c(features, np.int64), _c(weights, np.float32)
    getattr(lib, f"accumulate_postings_{kind}")(ptr.ctypes.data, rows.ctypes.data, vals.ctypes.data, _at(tab),
                                                feats.ctypes.data, feats.shape[0], w.ctypes.data, _out(out).ctypes.data)
    return out


def impact_count(post_ptr, post_val, table, features, weights, tau) -> int:
    """How many postings contribute at least `tau` (activation · weight): a binary search per feature."""
    lib = library()
    if lib is None:
        return _numba().impact_count(post_ptr, post_val, table, features, weights, tau)
    kind, vals, tab = _vals(post_val, table)
    ptr, feats, w = _c(post_ptr, np.int64), _c(features, np.int64), _c(weights, np.float32)
    return getattr(lib, f"impact_count_{kind}")(ptr.ctypes.data, vals.ctypes.data, _at(tab), feats.ctypes.data,
                                                feats.shape[0], w.ctypes.data, float(tau))


def accumulate_impacts(post_ptr, post_row, post_val, table, features, weights, tau, out):
    """accumulate_postings over only the postings that contribute at least `tau`: each feature's prefix."""
    lib = library()
    if lib is None:
        return _numba().accumulate_impacts(post_ptr, post_row, post_val, table, features, weights, tau, out)
    kind, vals, tab = _vals(post_val, table)
    ptr, rows = _c(post_ptr, np.int64), _c(post_row, np.int32)
    feats, w = _c(features, np.int64), _c(weights, np.float32)
    getattr(lib, f"accumulate_impacts_{kind}")(ptr.ctypes.data, rows.ctypes.data, vals.ctypes.data, _at(tab),
                                               feats.ctypes.data, feats.shape[0], w.ctypes.data, float(tau),
                                               _out(out).ctypes.data)
    return out


def rescore_rows(row_ptr, row_feat, row_val, table, rows, position, weights, scratch, out):
    """The exact score of each of `rows`, added in the question's feature order as accumulate_postings adds it, so
    it is bit-identical to a full pass (`position[f]`: the question's index of feature f, or -1)."""
    lib = library()
    if lib is None:
        return _numba().rescore_rows(row_ptr, row_feat, row_val, table, rows, position, weights, scratch, out)
    kind, vals, tab = _vals(row_val, table)
    feature = "u16" if row_feat.dtype == np.uint16 else "i32"
    feats = _c(row_feat, np.uint16 if feature == "u16" else np.int32)
    ptr, which, pos, w = _c(row_ptr, np.int64), _c(rows, np.int64), _c(position, np.int64), _c(weights, np.float32)
    scratch = _out(scratch)
    getattr(lib, f"rescore_rows_{feature}_{kind}")(ptr.ctypes.data, feats.ctypes.data, vals.ctypes.data, _at(tab),
                                                   which.ctypes.data, which.shape[0], pos.ctypes.data, w.ctypes.data,
                                                   scratch.ctypes.data, scratch.shape[0], _out(out).ctypes.data)
    return out


def bm25_term_weights(post_ptr, post_row, post_tf, start, slot_row, norm, tids, idfs, out, best) -> None:
    """BM25 weights of one segment's postings for the terms `tids` (`idfs`: each term's float32 idf, as float64).

    A posting weighs float32(idf · tf / (norm + tf)), computed in float64 as the numpy code before it (and bm25s) did.
    With an empty `best`, each weight is added to out[row], term after term (a Japanese question's terms); otherwise
    best[row] keeps the row's largest weight (one group of alternatives), which `add_best` then adds to `out` once."""
    lib = library()
    if lib is None:
        return _numba().bm25_term_weights(post_ptr, post_row, post_tf, start, slot_row, norm, tids, idfs, out, best)
    ptr, rows, tfs = _c(post_ptr, np.int64), _c(post_row, np.int32), _c(post_tf, np.int32)
    slots, norms, terms, idf = _c(slot_row, np.int64), _c(norm, np.float64), _c(tids, np.int64), _c(idfs, np.float64)
    best = _out(best)
    lib.bm25_term_weights(ptr.ctypes.data, ptr.shape[0], rows.ctypes.data, tfs.ctypes.data, int(start),
                          slots.ctypes.data, norms.ctypes.data, terms.ctypes.data, terms.shape[0], idf.ctypes.data,
                          _out(out).ctypes.data, best.ctypes.data, best.shape[0])


def add_best(post_ptr, post_row, start, slot_row, tids, best, out) -> None:
    """out[row] += best[row] for every row one of the group's terms holds in this segment, once (then best[row] = 0)."""
    lib = library()
    if lib is None:
        return _numba().add_best(post_ptr, post_row, start, slot_row, tids, best, out)
    ptr, rows, slots, terms = _c(post_ptr, np.int64), _c(post_row, np.int32), _c(slot_row, np.int64), _c(tids, np.int64)
    lib.add_best(ptr.ctypes.data, ptr.shape[0], rows.ctypes.data, int(start), slots.ctypes.data, terms.ctypes.data,
                 terms.shape[0], _out(best).ctypes.data, _out(out).ctypes.data)


def bm25_groups(post_ptr, post_row, post_tf, start, slot_row, norm, group_ptr, tids, idfs, out, best) -> None:
    """A question's groups of alternative terms over one segment (group g: tids[group_ptr[g]:group_ptr[g + 1]], idfs
    alike): for each group, bm25_term_weights into `best` (as long as `out`, zeros), then add_best, in one call. A row
    is held by one segment, so a question's scores are those of group after group over every segment, bit for bit."""
    lib = library()
    if lib is None:
        kernels = _numba()
        for g in range(len(group_ptr) - 1):
            part = slice(int(group_ptr[g]), int(group_ptr[g + 1]))
            kernels.bm25_term_weights(post_ptr, post_row, post_tf, start, slot_row, norm, tids[part], idfs[part], out,
                                      best)
            kernels.add_best(post_ptr, post_row, start, slot_row, tids[part], best, out)
        return
    ptr, rows, tfs = _c(post_ptr, np.int64), _c(post_row, np.int32), _c(post_tf, np.int32)
    slots, norms, groups = _c(slot_row, np.int64), _c(norm, np.float64), _c(group_ptr, np.int64)
    terms, idf, best = _c(tids, np.int64), _c(idfs, np.float64), _out(best)
    if best.shape[0] == 0 or groups.shape[0] == 0 or int(groups[-1]) > terms.shape[0] or terms.shape != idf.shape:
        raise ValueError("bm25_groups takes a `best` as long as `out`, and group bounds within tids and idfs")
    lib.bm25_groups(ptr.ctypes.data, ptr.shape[0], rows.ctypes.data, tfs.ctypes.data, int(start), slots.ctypes.data,
                    norms.ctypes.data, groups.ctypes.data, groups.shape[0] - 1, terms.ctypes.data, idf.ctypes.data,
                    _out(out).ctypes.data, best.ctypes.data, best.shape[0])


def dot_rows(vectors, words, out) -> None:
    """out[w, r] = vectors[r] · words[w] (float32), every row read once for all the words.

    Unlike the loops above, this one replaces a BLAS product, not numpy code of the same order: a product of a few
    words with every term vector is bound by memory, and OpenBLAS takes about twice as long as one streaming pass
    (docs/results.md, "The term alignment's exact product: one compiled pass instead of BLAS"). 32 partial sums
    per row, added in an order fixed in kernels.c: each word's row depends only on that word, not on the others in
    the call (BLAS's rows moved in the last bits with the batch)."""
    lib = library()
    if lib is None:
        return _numba().dot_rows(vectors, words, out)
    _product(lib.dot_rows, _c(vectors, np.float32), words, out)


def dot_codes(codes, scaled, out) -> None:
    """out[r] = codes[r] · scaled (int8 codes, float32 sum): the dense stores' first pass over 8-bit codes, a quarter
    of float32's bytes (rag/stores/dense.py `Codes`); its scores only choose which rows are scored exactly. It is
    dot_codes_rows for one word."""
    if library() is None:
        return _numba().dot_codes(codes, scaled, out)
    dot_codes_rows(codes, np.asarray(scaled).reshape(1, -1), _out(out).reshape(1, -1))


def dot_codes_rows(codes, scaled, out) -> None:
    """out[w, r] = codes[r] · scaled[w]: dot_codes for several words, every row's codes read once for all of them
    (the term alignment's first pass, rag/stores/align.py)."""
    lib = library()
    if lib is None:
        return _numba().dot_codes_rows(codes, scaled, out)
    _product(lib.dot_codes_rows, _c(codes, np.int8), scaled, out)


def _product(kernel, rows: np.ndarray, words, out: np.ndarray) -> None:
    """out[w, r] = rows[r] · words[w] by one of kernels.c's products (`rows` already of the type it reads)."""
    w = _c(words, np.float32)
    _shapes(out, (w.shape[0], rows.shape[0]), rows.shape[1], w.shape[1])
    kernel(rows.ctypes.data, rows.shape[0], rows.shape[1], w.ctypes.data, w.shape[0], _out(out).ctypes.data)


# Each store loads the library (or compiles it, or loads numba's kernels) when a Searcher is made over it, through its
# warm(), so that the first question does not pay for it.

def warm_sparse() -> None:
    """The sparse head's kernels (rag/stores/sparse.py)."""
    if library() is None:
        _numba().warm_sparse()


def warm_bm25() -> None:
    """BM25's kernels (rag/stores/bm25.py)."""
    if library() is None:
        _numba().warm_bm25()


def warm_dense() -> None:
    """The dense stores' and the term aligner's kernels (rag/stores/dense.py, rag/stores/align.py)."""
    if library() is None:
        _numba().warm_dense()
