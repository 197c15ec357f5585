"""Search throughput on a real server while the index is rebuilt (incrementally, in this process) and reloaded.

    .venv/bin/python benchmarks/bench_reload_load.py                      # a copy of benchmarks/out/api-index
    .venv/bin/python benchmarks/bench_reload_load.py --index index --seeds seeds --threads 8

The correctness test (tests/api/test_api_server.py, reload under load) checks that no request fails and that every
response comes wholly from one index version; how many requests get through is a performance figure, so it lives
here. Eight client threads search distinct-ish questions of eval/questions/team.jsonl in a loop for a quiet window,
then while a new seed is added, `rag.runtime.build` runs (incremental: embeds one document) and
POST /v1/admin/reload swaps the index in, then for a window after. Works on copies of the seeds and the index, so
nothing of the caller's changes. Prints a Markdown table and writes benchmarks/out/reload_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from api.process import SearchLoad, running_server

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
QUESTIONS = REPO / "eval" / "questions" / "team.jsonl"  # never the holdout set
TOKEN = "bench-admin-token"
NEW_SEED = ("北極海航路で日露の研究機関が共同観測を開始 ― 2025年03月15日 10:30\n【概要】\n"
            "北極海航路の海氷の状態を調べるため、日本とロシアの研究機関が共同観測を始めた。観測船はベーリング海峡から"
            "東シベリア海までを三週間かけて航行し、海氷の厚さと海水温を記録する。\n")


def load_questions(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(r["question"] for r in rows))


def window(load: SearchLoad, start: float, end: float) -> dict[str, Any]:
    """Throughput and failures of the searches that ended in [start, end)."""
    rows = [r for r in load.snapshot() if start <= r.ended < end]
    ok = sum(1 for r in rows if r.status == 200)
    return {"seconds": round(end - start, 2), "requests": len(rows), "ok": ok, "failed": len(rows) - ok,
            "requests_per_s": round(len(rows) / (end - start), 2) if end > start else 0.0,
            "versions": sorted({r.body["index_version"] for r in rows if r.body})}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=Path, default=REPO / "seeds")
    p.add_argument("--index", type=Path, default=OUT / "api-index", help="must exist (bench_api.py builds it)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--window", type=float, default=10.0, help="seconds of quiet load, and of load after the reload")
    p.add_argument("--out", type=Path, default=OUT / "reload_load.json")
    args = p.parse_args(argv)
    if not (args.index / "manifest.json").is_file():
        return p.error(f"no index at {args.index}: build one first (rag index build --index {args.index})")
    from rag.runtime import build, load_embedders
    from rag.settings import Settings

    OUT.mkdir(parents=True, exist_ok=True)
    questions = load_questions(QUESTIONS)
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        shutil.copytree(args.seeds, seeds)
        shutil.copytree(args.index, index, ignore=shutil.ignore_patterns(".build.lock"))
        settings = Settings.from_env({}, seeds_dir=seeds, index_dir=index)
        embedders = load_embedders(settings)
        with running_server(seeds, index, OUT / "reload-load-server.log", env={"RAG_ADMIN_TOKEN": TOKEN}) as url:
            httpx.post(f"{url}/v1/search", json={"query": "warm-up", "top_k": 5}, timeout=300)
            with SearchLoad(url, questions, args.threads, timeout_s=300) as load:
                t0 = time.monotonic()
                time.sleep(args.window)
                t1 = time.monotonic()
                (seeds / "900_bench_reload.txt").write_text(NEW_SEED, encoding="utf-8")
                report = build(settings, embedders)
                t2 = time.monotonic()
                reload = httpx.post(f"{url}/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"},
                                    timeout=300)
                t3 = time.monotonic()
                time.sleep(args.window)
                t4 = time.monotonic()
            reload.raise_for_status()
            results = {
                "created_at": datetime.now(timezone.utc).isoformat(), "threads": args.threads,
                "build_s": round(t2 - t1, 2), "reload_ms": round((t3 - t2) * 1000, 1), "embedded": report.embedded,
                "windows": {"quiet": window(load, t0, t1), "during build": window(load, t1, t2),
                            "during reload": window(load, t2, t3), "after reload": window(load, t3, t4)},
                "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
            }
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    lines = ["| window | seconds | requests | failed | req/s | index versions |", "|---|---:|---:|---:|---:|---:|"]
    for name, w in results["windows"].items():
        lines.append(f"| {name} | {w['seconds']} | {w['requests']} | {w['failed']} | {w['requests_per_s']} | "
                     f"{len(w['versions'])} |")
    lines.append(f"\n{args.threads} client threads; incremental build {results['build_s']} s (embedded "
                 f"{results['embedded']}), reload {results['reload_ms']} ms; {results['machine']['cpus']} CPUs, "
                 f"load average {results['machine']['loadavg'][0]:.1f}.")
    print("\n".join(lines))
    print(f"\nwritten {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
