"""Where a hybrid question's ranking time goes on a bench_scale index: in-process, cProfile on, encodings excluded.

    .venv/bin/python benchmarks/scale_rank_profile.py --passages 100000 [--queries 200] [--compare-parallel | --compare-top
                                                      | --compare-codes | --compare-align-codes]

Needs the index of an earlier `bench_scale.py --passages N` run. Prints hybrid ranking p50/p95 and each component's
p50/p95, then the 40 most expensive calls. --compare-parallel instead runs all questions three times with the
components ranked side by side and one after the other, alternating (no profiler), to compare the two in one run;
--compare-top likewise alternates Ranking.top's sampled threshold with the plain choice over the whole vector;
--compare-codes alternates the exact dense stores' 8-bit first pass (rag/stores/dense.py `Codes`) with the float32 scan
of every vector, and checks that every question's hybrid top 10 (rows and scores) is the same with both;
--compare-align-codes alternates the term alignment's 8-bit first pass (rag/stores/align.py CODED_TERMS) with its
float32 product, and checks that every English question's term groups are the same with both.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import bench_scale  # noqa: E402
from rag.retrieval import engine  # noqa: E402
from rag.stores import align, dense, ranking  # noqa: E402


@contextmanager
def set_to(module, name: str, value):
    """module.name = value inside the block, restored after it."""
    before = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, before)


def alternate(searcher, qs, module, name: str, variants, components=()) -> None:
    """Three rounds of ranking every question once per variant (label, value of module.name), alternating, every
    encoding cached first so that only ranking is timed; prints hybrid and `components` p50 / p95 per round."""
    bench_scale.rank_times(searcher, qs)
    for rnd in range(3):
        for label, value in variants:
            with set_to(module, name, value):
                rank, per = bench_scale.rank_times(searcher, qs)
            parts = "".join(f"; {c} {pct(per[c])}" for c in components)
            print(f"round {rnd}: {label}: hybrid ranking p50 / p95 {pct(rank)}{parts}", flush=True)


def pct(values: list[float]) -> str:
    return f"{np.percentile(values, 50):.2f} / {np.percentile(values, 95):.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--compare-parallel", action="store_true")
    ap.add_argument("--compare-top", action="store_true")
    ap.add_argument("--compare-codes", action="store_true")
    ap.add_argument("--compare-align-codes", action="store_true")
    args = ap.parse_args()
    _, searcher, _ = bench_scale.serving(bench_scale.OUT / f"n{args.passages}" / "index")
    qs = bench_scale.question_list(args.queries)
    bench_scale.rank_times(searcher, qs[:20])  # warm: compiled kernels, caches
    if args.compare_top:
        alternate(searcher, qs, ranking, "SAMPLED", (("plain top", 10**12), ("sampled top", ranking.SAMPLED)),
                  ("bm25", "e5-sparse"))
        return
    if args.compare_codes:
        variants = (("8-bit codes first", dense.CODED_MIN), ("float32 scan", 10**12))
        tops = {}
        for label, limit in variants:
            with set_to(dense, "CODED_MIN", limit):
                tops[label] = [[(h.passage.passage_id, h.score) for h in searcher.search(q, 10, "hybrid").hits]
                               for q in qs]
        pairs = list(zip(*tops.values()))
        same = sum([p for p, _ in a] == [p for p, _ in b] for a, b in pairs)
        worst = max(abs(x - y) for a, b in pairs for (_, x), (_, y) in zip(a, b))
        print(f"hybrid top 10: the same passages in the same order for {same} of {len(qs)} questions; the largest "
              f"difference of a fused score {worst:.2e} (float32 sums in another order)", flush=True)
        for name, store in searcher.index.dense.items():  # each exact store's own 100 best, rows in order
            vectors = searcher.embedders[name].encode_queries(qs)
            found = {}
            for label, limit in variants:
                with set_to(dense, "CODED_MIN", limit):
                    found[label] = [store.exact(v, engine.POOL) for v in vectors]
            pairs = list(zip(*found.values()))
            in_order = sum(a[0].tolist() == b[0].tolist() for a, b in pairs)
            as_set = sum(set(a[0].tolist()) == set(b[0].tolist()) for a, b in pairs)
            worst = max(float(np.abs(np.sort(a[1]) - np.sort(b[1])).max()) for a, b in pairs)
            print(f"{name}: the same {engine.POOL} best rows for {as_set} of {len(qs)} questions, in the same order for "
                  f"{in_order} (the others: near-ties ordered by float32 sums in another order; the largest score "
                  f"difference {worst:.1e})", flush=True)
        alternate(searcher, qs, dense, "CODED_MIN", variants, ("e5", "use"))
        return
    if args.compare_align_codes:
        variants = (("8-bit codes first", align.CODED_TERMS), ("float32 product", 10**12))
        expanders = [e for c in searcher.components for e in getattr(c, "expanders", ()) if hasattr(e, "aligner")]
        for e in expanders:
            words = [w for q in qs for w in e.words(q)]
            vectors = searcher.embedders[e.embedder].encode_queries(words)
            found = {}
            for label, limit in variants:
                with set_to(align, "CODED_TERMS", limit):
                    found[label] = [e.aligner.groups(v.reshape(1, -1), e.terms, e.min_similarity) for v in vectors]
            same = sum(a == b for a, b in zip(*found.values()))
            print(f"{e.embedder} alignment over {len(e.aligner)} terms ({e.aligner.coded() is not None and 'coded'}): "
                  f"the same groups for {same} of {len(words)} question words", flush=True)
        alternate(searcher, qs, align, "CODED_TERMS", variants, ("bm25",))
        return
    if args.compare_parallel:
        alternate(searcher, qs, engine, "PARALLEL_ROWS",
                  (("side by side", engine.PARALLEL_ROWS), ("one after another", 10**12)))
        return
    profile = cProfile.Profile()
    rank, per = bench_scale.rank_times(searcher, qs, profile)
    print(f"hybrid ranking p50 / p95: {pct(rank)}")
    for k, v in per.items():
        print(f"  {k}: {pct(v)}")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
