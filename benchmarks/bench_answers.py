"""/v1/ask beside /v1/search on a real server, in the same run, on distinct questions (concurrency 1).

    .venv/bin/python benchmarks/bench_answers.py                      # serves benchmarks/out/api-index (built or updated first)
    .venv/bin/python benchmarks/bench_answers.py --index index --seeds seeds

The server caches query vectors by text, so a question already sent to one endpoint would be cheaper on the other.
Every question is therefore sent once per server: the questions are split in two halves, and two fresh servers each
get one half on /v1/search and the other on /v1/ask, requests alternating between the endpoints (so a load change
on the shared machine hits both alike). Over both servers every question is timed once on each endpoint, cold.
Prints a Markdown table (p50/p95 and the ask/search ratio of p50s) and writes benchmarks/out/answers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np

from api.process import ServerStartError, running_server

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
QUESTIONS = (REPO / "eval" / "questions" / "team.jsonl", Path("/work/shared/eval/dev-questions.jsonl"))


def load_questions(paths: Sequence[Path]) -> list[str]:
    """Distinct questions of the files that exist, in file order."""
    rows = [json.loads(line) for p in paths if p.is_file() for line in p.read_text("utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(r["question"] for r in rows))


def timed(client: httpx.Client, path: str, body: dict) -> float:
    t0 = time.perf_counter()
    r = client.post(path, json=body)
    elapsed = (time.perf_counter() - t0) * 1000
    r.raise_for_status()
    return elapsed


def one_server(seeds: Path, index: Path, search_qs: Sequence[str], ask_qs: Sequence[str], top_k: int,
               log: Path) -> tuple[list[float], list[float]]:
    """(search ms, ask ms) for the two question lists on a fresh server, requests alternating."""
    search, ask = [], []
    try:
        with running_server(seeds, index, log, timeout_s=900) as url, httpx.Client(base_url=url, timeout=300) as c:
            for warm in ("warm-up one: loads lazy state", "ウォームアップ"):
                c.post("/v1/search", json={"query": warm, "top_k": top_k})
                c.post("/v1/ask", json={"question": warm + "?", "top_k": top_k})
            for i in range(max(len(search_qs), len(ask_qs))):
                if i < len(search_qs):
                    search.append(timed(c, "/v1/search", {"query": search_qs[i], "top_k": top_k}))
                if i < len(ask_qs):
                    ask.append(timed(c, "/v1/ask", {"question": ask_qs[i], "top_k": top_k}))
    except ServerStartError as exc:
        sys.exit(f"{exc}\n(full log: {log})")
    return search, ask


def stats(ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=float)
    return {"n": int(a.size), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "mean": float(a.mean())}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=Path, default=REPO / "seeds")
    p.add_argument("--index", type=Path, default=OUT / "api-index", help="built by the server if missing")
    p.add_argument("--questions", type=Path, action="append", help="question files (default: team + shared dev)")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--out", type=Path, default=OUT / "answers.json")
    args = p.parse_args(argv)
    paths = args.questions or list(QUESTIONS)
    if any("holdout" in q.name or "heldout" in q.name for q in paths):
        return p.error("the held-out questions are for the final evaluation only")
    questions = load_questions(paths)
    a, b = questions[0::2], questions[1::2]
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    s1, k1 = one_server(args.seeds, args.index, a, b, args.top_k, OUT / "answers-server-1.log")
    s2, k2 = one_server(args.seeds, args.index, b, a, args.top_k, OUT / "answers-server-2.log")
    search, ask = stats(s1 + s2), stats(k1 + k2)
    results = {"created_at": datetime.now(timezone.utc).isoformat(), "questions": [str(q) for q in paths],
               "top_k": args.top_k, "cpus": os.cpu_count(), "loadavg_before": load_before,
               "loadavg_after": os.getloadavg(), "search_ms": search, "ask_ms": ask,
               "ratio_p50": ask["p50"] / search["p50"],
               "per_server": [{"search_p50": stats(s)["p50"], "ask_p50": stats(k)["p50"]} for s, k in ((s1, k1), (s2, k2))]}
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("| endpoint | requests | p50 ms | p95 ms | mean ms |\n|---|--:|--:|--:|--:|")
    for name, s in (("/v1/search", search), ("/v1/ask", ask)):
        print(f"| {name} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['mean']:.1f} |")
    print(f"\nask p50 / search p50 = {results['ratio_p50']:.2f} (per server: "
          f"{', '.join(format(r['ask_p50'] / r['search_p50'], '.2f') for r in results['per_server'])}); "
          f"{results['cpus']} CPUs, load {load_before[0]:.1f} before, {results['loadavg_after'][0]:.1f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
