"""Filtered search at scale: a date range or a document list, through the hybrid Searcher, on a synthetic corpus.

    .venv/bin/python benchmarks/bench_filters.py --passages 40000 [--queries 100] [--kinds flat,ivf]
    .venv/bin/python benchmarks/bench_filters.py --passages 1000000 --kinds ivf    # what `auto` serves at 1M

Builds (once) a dated synthetic corpus of about N passages (benchmarks/scale_synth.py `write_seeds(dated=True)`:
headlines carry a publication time, days spread over 2015–2025; the synthesiser replaces only the embedders) with
exact dense stores and, in a second work directory, with IVF (`--faiss ivf`), under benchmarks/out/scale/. Then,
per store kind, ranks every question (encodings cached first, so only ranking is timed) with no filter, a date range
allowing ~all, ~half and ~1/10 of the rows, and one document; each filter twice, alternating per question: the
dense stores' own search restricted to the filter's rows (rag/stores/dense.py BROAD_FILTER, the product) and a copy
of every allowed row's vector scored on its own (the path every filter took before). Prints ranking p50 / p95 and the
dense components' p50 per cell, and how many questions got the same top 10 (rows) both ways.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import bench_scale  # noqa: E402
from rag.indexing.build import build_index  # noqa: E402
from rag.indexing.load import load_index  # noqa: E402
from rag.retrieval.engine import Filters  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.stores import dense  # noqa: E402
from scale_rank_profile import set_to  # noqa: E402
from scale_synth import RealStats, write_seeds  # noqa: E402


def dated_index(passages: int, kind: str) -> Path:
    work = bench_scale.OUT / (f"n{passages}-dated" + ("" if kind == "flat" else f"-{kind}"))
    if (work / "index" / "manifest.json").is_file():
        return work / "index"
    stats = RealStats(load_index(bench_scale.real_index(), ("e5", "use")))
    seeds = bench_scale.OUT / f"n{passages}-dated" / "seeds"
    if not seeds.is_dir():
        write_seeds(seeds, passages, stats, dated=True)
    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=work / "index", faiss_kind=kind)
    t = time.perf_counter()
    report = build_index(settings, list(bench_scale.embedders(stats).values()), full=True)
    print(f"built {work.name}: {report.passages} passages, {report.documents} documents in "
          f"{time.perf_counter() - t:.0f}s", flush=True)
    return work / "index"


def pct(values: list[float]) -> str:
    values = sorted(values)
    return f"{statistics.median(values):.1f} / {values[int(0.95 * (len(values) - 1))]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--kinds", default="flat,ivf", help="store kinds to build and measure (flat, ivf)")
    ap.add_argument("--filters", default="none,all dates,half,a tenth,one document",
                    help="which filters to measure (comma-separated names from the table)")
    args = ap.parse_args()
    qs = bench_scale.question_list(args.queries)
    for kind in args.kinds.split(","):
        index, searcher, _ = bench_scale.serving(dated_index(args.passages, kind))
        days = [f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in sorted(index.row_day.tolist()) if d]
        doc = index.passages[len(index.passages) // 2].doc_id
        filters = {"none": Filters(), "all dates": Filters(published_from=days[0]),
                   "half": Filters(published_from=days[len(days) // 2]),
                   "a tenth": Filters(published_from=days[len(days) * 9 // 10]), "one document": Filters(doc_ids=(doc,))}
        print(f"\n{kind}: {len(index.passages)} passages, {len(days)} dated, {days[0]} to {days[-1]}", flush=True)
        print("| filter | rows allowed | ranking p50 / p95 ms: own search | copy of the rows | dense p50 ms (e5, USE): "
              "own | copy | same top 10 |\n|---|---:|---|---|---|---|---:|")
        # the copy: no filter counts as broad (BROAD_FILTER 0, GATHER_MAX beyond any store)
        variants = (("own", (dense.BROAD_FILTER, dense.GATHER_MAX)), ("copy", (0, 1 << 62)))
        bench_scale.rank_times(searcher, qs)  # encodings cached, kernels warm
        for label, f in filters.items():
            if label not in args.filters.split(","):
                continue
            allowed = searcher._allowed(f)
            times = {v: [] for v, _ in variants}
            comp = {v: {"e5": [], "use": []} for v, _ in variants}
            tops = {v: [] for v, _ in variants}
            for q in qs:
                for v, value in variants:
                    with set_to(dense, "BROAD_FILTER", value[0]), set_to(dense, "GATHER_MAX", value[1]):
                        r = searcher.search(q, 10, "hybrid", f)
                    times[v].append(r.took_ms - sum(t for k, t in r.timings.items() if k.startswith("encode:")))
                    for c in comp[v]:
                        comp[v][c].append(r.timings.get(c, 0.0))
                    tops[v].append([h.passage.passage_id for h in r.hits])
            same = sum(a == b for a, b in zip(tops["own"], tops["copy"]))
            dense_p50 = {v: ", ".join(f"{statistics.median(comp[v][c]):.1f}" for c in ("e5", "use")) for v in comp}
            print(f"| {label} | {'all' if allowed is None else allowed.size} | {pct(times['own'])} | "
                  f"{pct(times['copy'])} | {dense_p50['own']} | {dense_p50['copy']} | {same} of {len(qs)} |",
                  flush=True)


if __name__ == "__main__":
    main()
