"""Where a hybrid question's ranking time goes on a bench_scale index: in-process, cProfile on, encodings excluded.

    .venv/bin/python benchmarks/scale_rank_profile.py --passages 100000 [--queries 200] [--compare-parallel | --compare-top]

Needs the index of an earlier `bench_scale.py --passages N` run. Prints hybrid ranking p50/p95 and each component's
p50/p95, then the 40 most expensive calls. --compare-parallel instead runs all questions three times with the
components ranked side by side and one after the other, alternating (no profiler), to compare the two in one run;
--compare-top likewise alternates Ranking.top's sampled threshold with the plain choice over the whole vector.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import bench_scale  # noqa: E402
from rag.retrieval import engine  # noqa: E402
from rag.stores import ranking  # noqa: E402


def pct(values: list[float]) -> str:
    return f"{np.percentile(values, 50):.2f} / {np.percentile(values, 95):.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--compare-parallel", action="store_true")
    ap.add_argument("--compare-top", action="store_true")
    args = ap.parse_args()
    _, searcher, _ = bench_scale.serving(bench_scale.OUT / f"n{args.passages}" / "index")
    qs = bench_scale.question_list(args.queries)
    bench_scale.rank_times(searcher, qs[:20])  # warm: compiled kernels, caches
    if args.compare_top:
        bench_scale.rank_times(searcher, qs)  # every encoding cached: what follows is ranking only
        for rnd in range(3):
            for name, limit in (("plain top", 10**12), ("sampled top", ranking.SAMPLED)):
                before, ranking.SAMPLED = ranking.SAMPLED, limit
                rank, per = bench_scale.rank_times(searcher, qs)
                ranking.SAMPLED = before
                print(f"round {rnd}: {name}: hybrid ranking p50 / p95 {pct(rank)}; bm25 {pct(per['bm25'])}; "
                      f"e5-sparse {pct(per['e5-sparse'])}", flush=True)
        return
    if args.compare_parallel:
        bench_scale.rank_times(searcher, qs)  # every encoding cached: what follows is ranking only
        for rnd in range(3):
            for name, rows in (("side by side", engine.PARALLEL_ROWS), ("one after another", 10**12)):
                before, engine.PARALLEL_ROWS = engine.PARALLEL_ROWS, rows
                rank, _ = bench_scale.rank_times(searcher, qs)
                engine.PARALLEL_ROWS = before
                print(f"round {rnd}: {name}: hybrid ranking p50 / p95 {pct(rank)}", flush=True)
        return
    profile = cProfile.Profile()
    rank, per = bench_scale.rank_times(searcher, qs, profile)
    print(f"hybrid ranking p50 / p95: {pct(rank)}")
    for k, v in per.items():
        print(f"  {k}: {pct(v)}")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
