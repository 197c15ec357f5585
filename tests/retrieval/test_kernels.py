"""The indexes' compiled loops (rag/stores/kernels.c through rag/stores/kernels.py) against the numba kernels they
replaced (rag/stores/kernels_numba.py, still the loops of a machine without a C compiler): the same results, bit for
bit, on arrays of the shapes and types the stores hold; and a process that searches no longer loads numba."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import native
from rag.stores import kernels as C
from rag.stores import kernels_numba as N

REPO = Path(__file__).resolve().parents[2]


def _sparse(rng, stored, feature, n=3000, dim=300):
    """Rows of a sparse head's store and their postings in impact order, as rag/stores/sparse.py writes them."""
    lengths = rng.integers(0, 40, n)
    row_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=row_ptr[1:])
    row_feat = rng.integers(0, dim, row_ptr[-1]).astype(feature)
    row_val = (rng.random(row_ptr[-1]) * 5).astype(stored)
    order = np.lexsort((-row_val.astype(np.float32), row_feat))
    post_ptr = np.zeros(dim + 1, np.int64)
    np.cumsum(np.bincount(row_feat, minlength=dim), out=post_ptr[1:])
    post_row = np.repeat(np.arange(n, dtype=np.int32), lengths)[order]
    return row_ptr, row_feat, row_val, post_ptr, post_row, row_val[order]


@pytest.mark.parametrize("stored, feature", [(np.float16, np.uint16), (np.float32, np.int32)])
def test_the_sparse_heads_loops_give_the_numba_kernels_bits(stored, feature, compiled_for) -> None:
    rng = np.random.default_rng(7)
    row_ptr, row_feat, row_val, post_ptr, post_row, post_val = _sparse(rng, stored, feature)
    n, dim = row_ptr.shape[0] - 1, post_ptr.shape[0] - 1
    features = rng.choice(dim, 64, replace=False).astype(np.int64)
    weights = (rng.random(64) * 2).astype(np.float32)
    weights[3] = 0  # a feature of weight 0 contributes nothing to the impact loops

    def each(name, *args, out=None):  # the same call on both modules, each reading the activations its own way
        return [getattr(m, name)(post_ptr, *args[:1], *m.values(post_val), *args[1:],
                                 *([] if out is None else [out.copy()])) for m in (C, N)]

    a, b = each("accumulate_postings", post_row, features, weights, out=np.zeros(n, np.float32))
    assert np.array_equal(a, b) and a.any()
    for tau in (0.0, 0.5, 2.0, 7.5):
        c_count, n_count = (m.impact_count(post_ptr, *m.values(post_val), features, weights, tau) for m in (C, N))
        assert c_count == n_count
        a, b = each("accumulate_impacts", post_row, features, weights, tau, out=np.zeros(n, np.float32))
        assert np.array_equal(a, b)
    position = np.full(dim, -1, np.int64)
    position[features] = np.arange(features.size)
    rows = rng.choice(n, 500, replace=False).astype(np.int64)
    a, b = (m.rescore_rows(row_ptr, row_feat, *m.values(row_val), rows, position, weights,
                           np.zeros(features.size, np.float32), np.zeros(rows.size, np.float32)) for m in (C, N))
    assert np.array_equal(a, b) and a.any()


def _bm25_segment(rng, n_terms: int, slots: int):
    """(post_ptr, post_row, post_tf) of a BM25 segment of `slots` passages, as rag/stores/bm25.py writes them."""
    lengths = rng.integers(1, 30, slots)
    row_term = rng.integers(0, n_terms, lengths.sum()).astype(np.int32)
    row_tf = rng.integers(1, 6, lengths.sum()).astype(np.int32)
    order = np.argsort(row_term, kind="stable")
    post_ptr = np.zeros(n_terms + 1, np.int64)
    np.cumsum(np.bincount(row_term, minlength=n_terms), out=post_ptr[1:])
    return post_ptr, np.repeat(np.arange(slots, dtype=np.int32), lengths)[order], row_tf[order]


@pytest.mark.parametrize("group", [False, True])
def test_bm25s_loops_give_the_numba_kernels_bits(group) -> None:
    rng = np.random.default_rng(11)
    n_terms, slots = 400, 3000
    post_ptr, post_row, post_tf = _bm25_segment(rng, n_terms, slots)
    slot_row = np.arange(slots + 100, dtype=np.int64)
    slot_row[rng.choice(slots, 200)] = -1  # removed passages
    norm = rng.random(slots + 100) + 0.5
    tids = rng.choice(n_terms + 20, 30, replace=False).astype(np.int64)  # a few terms past this segment's
    idfs = rng.random(30).astype(np.float32).astype(np.float64)
    results = []
    for m in (C, N):
        out = np.zeros(slots + 100, np.float32)
        best = np.zeros(slots + 100 if group else 0, np.float32)
        m.bm25_term_weights(post_ptr, post_row, post_tf, 50, slot_row, norm, tids, idfs, out, best)
        if group:
            m.add_best(post_ptr, post_row, 50, slot_row, tids, best, out)
        results.append((out, best))
    assert np.array_equal(results[0][0], results[1][0]) and results[0][0].any()
    assert np.array_equal(results[0][1], results[1][1])


AVX2_FMA = native.cpu_has("avx2", "fma")
AVX512 = native.cpu_has("avx512f")


@pytest.fixture(params=["this CPU", "no AVX2"])
def compiled_for(request, tmp_path, monkeypatch):
    """The library as compiled for this machine, and as compiled for a CPU without AVX2 or FMA (the dense products'
    plain C sums), from a cache of the test's own."""
    if request.param == "no AVX2":
        monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
        monkeypatch.setattr(native, "cpu_has", lambda *flags: False)
        monkeypatch.setitem(C._loaded, "lib", C._UNSET)
        assert C.library() is not None
    return request.param


@pytest.mark.parametrize("dim", [384, 512, 13])
def test_the_dense_products_give_the_numba_kernels_bits_at_the_models_widths(dim, compiled_for) -> None:
    # e5's 384 and USE's 512 values: with AVX2 and FMA, the same 32 partial sums as numba's vectorised loop, so the
    # same bits; a width that is no multiple of 32, or a CPU without them, adds in another order, within float32's
    # rounding (the sparse and BM25 loops give the same bits either way: no vector instruction is used there). On a
    # CPU with AVX-512 (the AMD EPYC of Dec 6), numba's LLVM vectorises for that CPU's wider registers and adds in
    # another order; the C loop keeps its 32 sums there too, so it gives the same bits on every AVX2 machine.
    exact_bits = compiled_for == "this CPU" and AVX2_FMA and not AVX512 and dim % 32 == 0
    rng = np.random.default_rng(dim)
    vectors = rng.standard_normal((2000, dim)).astype(np.float32)
    words = rng.standard_normal((3, dim)).astype(np.float32)
    codes = rng.integers(-127, 128, (2000, dim)).astype(np.int8)
    scaled = rng.standard_normal((4, dim)).astype(np.float32)
    got = {}
    for m in (C, N):
        rows, one, many = np.zeros((3, 2000), np.float32), np.zeros(2000, np.float32), np.zeros((4, 2000), np.float32)
        m.dot_rows(vectors, words, rows)
        m.dot_codes(codes, scaled[0], one)
        m.dot_codes_rows(codes, scaled, many)
        got[m] = rows, one, many
    exact = (vectors.astype(np.float64) @ words.astype(np.float64).T).T
    assert np.abs(got[C][0] - exact).max() < 1e-4
    for a, b in zip(got[C], got[N]):
        assert np.array_equal(a, b) if exact_bits else np.allclose(a, b, rtol=1e-5, atol=1e-3)
    rows, one, many = got[C]
    alone = np.zeros((1, 2000), np.float32)
    C.dot_rows(vectors, words[1:2], alone)
    assert np.array_equal(alone[0], rows[1])  # a word's row does not depend on the other words of the call
    assert np.array_equal(one, many[0])  # one word or several, the same sums


def test_a_table_that_must_be_copied_is_read_from_its_copy_and_a_short_one_is_refused() -> None:
    rng = np.random.default_rng(9)
    _, _, _, post_ptr, post_row, post_val = _sparse(rng, np.float16, np.uint16, n=500, dim=50)
    bits, table = C.values(post_val)
    features, weights = np.arange(10, dtype=np.int64), np.ones(10, np.float32)
    expected = C.accumulate_postings(post_ptr, post_row, bits, table, features, weights, np.zeros(500, np.float32))
    # a strided view of the table: copied, and the copy kept alive while the loop reads it
    strided = np.repeat(table, 2)[::2]
    assert not strided.flags.c_contiguous
    got = C.accumulate_postings(post_ptr, post_row, bits, strided, features, weights, np.zeros(500, np.float32))
    assert np.array_equal(got, expected) and expected.any()
    with pytest.raises(ValueError, match="table of 65536"):
        C.accumulate_postings(post_ptr, post_row, bits, table[:100], features, weights, np.zeros(500, np.float32))


def test_a_kernel_refuses_an_output_it_cannot_write_in_place_and_a_product_of_mismatched_widths() -> None:
    ptr, rows = np.zeros(2, np.int64), np.zeros(0, np.int32)
    with pytest.raises(TypeError, match="float32"):
        C.accumulate_postings(ptr, rows, *C.values(np.zeros(0, np.float16)), np.zeros(1, np.int64),
                              np.ones(1, np.float32), np.zeros(1, np.float64))
    with pytest.raises(ValueError, match="rows of 4 with words of 3"):
        C.dot_rows(np.zeros((2, 4), np.float32), np.zeros((1, 3), np.float32), np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match="into"):
        C.dot_codes(np.zeros((2, 4), np.int8), np.zeros(4, np.float32), np.zeros(3, np.float32))


def test_without_a_compiler_the_numba_kernels_run_and_a_warning_says_why(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path / "engines"))
    monkeypatch.setenv("CC", "no-such-compiler")
    monkeypatch.setitem(C._loaded, "lib", C._UNSET)  # a new process: the library not loaded yet
    rng = np.random.default_rng(3)
    _, _, _, post_ptr, post_row, post_val = _sparse(rng, np.float16, np.uint16, n=500, dim=50)
    features, weights = np.arange(10, dtype=np.int64), np.ones(10, np.float32)
    with caplog.at_level(logging.WARNING, logger="rag.stores.kernels"):
        got = C.accumulate_postings(post_ptr, post_row, *C.values(post_val), features, weights,
                                    np.zeros(500, np.float32))
    assert C.library() is None and "run in numba" in caplog.text and "no C compiler" in caplog.text
    assert not (tmp_path / "engines").exists()
    assert np.array_equal(got, N.accumulate_postings(post_ptr, post_row, *N.values(post_val), features, weights,
                                                     np.zeros(500, np.float32)))


def test_the_library_is_compiled_once_into_the_cache_with_its_checksum_and_then_loaded(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    monkeypatch.setitem(C._loaded, "lib", C._UNSET)
    assert C.library() is not None
    built = sorted(p.name for p in tmp_path.iterdir())
    assert len(built) == 2 and built[0].startswith("kernels-") and built[1] == built[0] + ".sha256"
    library = tmp_path / built[0]
    assert native.intact(library)
    before = library.stat().st_mtime_ns
    monkeypatch.setitem(C._loaded, "lib", C._UNSET)  # another process: loaded from the cache, not compiled again
    assert C.library() is not None and library.stat().st_mtime_ns == before
    damaged = tmp_path / "damaged"
    damaged.write_bytes(library.read_bytes()[:1000])  # loading it could crash the process
    os.replace(damaged, library)  # a new file: the library this process loaded above stays whole in its memory
    monkeypatch.setitem(C._loaded, "lib", C._UNSET)
    assert C.library() is not None and native.intact(library)


def test_a_process_that_runs_every_kernel_does_not_load_numba() -> None:
    # numba's import and cache cost each process that searched ~0.75 s of CPU: the server, every CLI command, a build
    code = """
import sys
import numpy as np
from rag.stores import kernels as k
k.warm_sparse(); k.warm_bm25(); k.warm_dense()
out = np.zeros(4, np.float32)
k.accumulate_postings(np.zeros(2, np.int64), np.zeros(0, np.int32), *k.values(np.zeros(0, np.float16)),
                      np.zeros(1, np.int64), np.ones(1, np.float32), out)
k.dot_codes(np.ones((4, 8), np.int8), np.ones(8, np.float32), out)
assert out.tolist() == [8.0] * 4, out
print("numba" in sys.modules)
"""
    env = {k: v for k, v in os.environ.items() if k != "CC"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_bm25s_term_groups_in_one_call_per_segment_give_the_group_by_group_bits(monkeypatch) -> None:
    # rag/stores/bm25.py group_scores: every group of one segment in one call, segment after segment, against the
    # numba kernels group after group over every segment (as it was); a row's one live slot is in one segment
    rng = np.random.default_rng(5)
    n_terms, rows = 300, 2500
    slot_of_row = rng.permutation(3000)[:rows]  # each row's live slot; the other slots removed
    slot_row = np.full(3000, -1, np.int64)
    slot_row[slot_of_row] = np.arange(rows)
    norm = rng.random(3000) + 0.5
    segments = []
    for start, size in ((0, 1200), (1200, 1000), (2200, 800)):
        segments.append((*_bm25_segment(rng, n_terms, size), start))
    groups = [rng.choice(n_terms + 10, k, replace=False).astype(np.int64) for k in (1, 3, 6, 2, 4)]
    group_idfs = [rng.random(g.size).astype(np.float32).astype(np.float64) for g in groups]
    before, best = np.zeros(rows, np.float32), np.zeros(rows, np.float32)
    for tids, idfs in zip(groups, group_idfs):
        for ptr, post_row, post_tf, start in segments:
            N.bm25_term_weights(ptr, post_row, post_tf, start, slot_row, norm, tids, idfs, before, best)
        for ptr, post_row, post_tf, start in segments:
            N.add_best(ptr, post_row, start, slot_row, tids, best, before)
    group_ptr = np.cumsum([0, *(g.size for g in groups)])
    tids, idfs = np.concatenate(groups), np.concatenate(group_idfs)
    for compiled in (True, False):
        if not compiled:  # a machine without a C compiler: the numba kernels, group after group
            monkeypatch.setitem(C._loaded, "lib", None)
        total, best = np.zeros(rows, np.float32), np.zeros(rows, np.float32)
        for ptr, post_row, post_tf, start in segments:
            C.bm25_groups(ptr, post_row, post_tf, start, slot_row, norm, group_ptr, tids, idfs, total, best)
        assert np.array_equal(total, before) and before.any() and not best.any()
