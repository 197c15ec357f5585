"""Search latency on a real server beside a full `rag index build` in another process, per OpenMP wait policy.

    .venv/bin/python benchmarks/bench_neighbour.py                      # policies 300000 (libgomp's default), 1000, passive
    .venv/bin/python benchmarks/bench_neighbour.py --policies 1000 --json
    .venv/bin/python benchmarks/bench_neighbour.py --policies live       # the serving process's own rebuild
    .venv/bin/python benchmarks/bench_neighbour.py --policies live-thread,live-process   # RAG_LIVE_BUILD each way

"live": the neighbour is the server's own rebuild (POST /v1/admin/rebuild). Every seed is edited first (each 。 becomes
．), so that no passage can be reused and the rebuild re-embeds everything, like a full build.

For each policy, both processes (server and build) get the same OpenMP variables, as they do in production. Phases:
quiet search p50 (distinct questions, one at a time), a full build alone, then the same build while the server is
searched without pause. Goals (issue 16): search p50 during the build ≤ 2.5× quiet; build throughput beside the loaded
server ≥ 0.4× alone. Writes benchmarks/out/neighbour.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np

from api.process import running_server

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
POLICIES = {"300000": {"GOMP_SPINCOUNT": "300000"}, "1000": {"GOMP_SPINCOUNT": "1000"},
            "passive": {"OMP_WAIT_POLICY": "PASSIVE"}}


def questions() -> list[str]:
    out: list[str] = []
    for path in sorted((REPO / "eval" / "questions").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        out += [r["question"] for r in rows if "question" in r]  # conversations have turns instead
    return list(dict.fromkeys(out))


class Asker:
    """Distinct questions forever: the server caches query vectors by text, so a repeat would skip the embedders."""

    def __init__(self, url: str) -> None:
        self.url, self.qs, self.i = url, questions(), 0
        self.client = httpx.Client(timeout=120)

    def one(self) -> float:
        q = self.qs[self.i % len(self.qs)] + ("" if self.i < len(self.qs) else f" ({self.i // len(self.qs)})")
        self.i += 1
        t = time.perf_counter()
        r = self.client.post(f"{self.url}/v1/search", json={"query": q, "top_k": 5})
        r.raise_for_status()
        return (time.perf_counter() - t) * 1000


def build_cmd(seeds: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "api.cli", "index", "build", "--full", "--seeds", str(seeds), "--index", str(index)]


def child_env(policy: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "GOMP_", "OMP_"))}
    return {**env, "HF_HUB_OFFLINE": "1", **policy}


def stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"n": int(a.size), "p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1)}


def run_policy(name: str, work: Path, n_quiet: int) -> dict[str, object]:
    policy = POLICIES[name]
    seeds, index, scratch = work / "seeds", work / "index", work / "build-index"
    with running_server(seeds, index, work / f"server-{name}.log", env=policy, timeout_s=900) as url:
        asker = Asker(url)
        for _ in range(5):
            asker.one()  # warm-up: first calls load lazy parts
        quiet = [asker.one() for _ in range(n_quiet)]
        shutil.rmtree(scratch, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run(build_cmd(seeds, scratch), env=child_env(policy), check=True, capture_output=True)
        alone_s = time.perf_counter() - t
        shutil.rmtree(scratch, ignore_errors=True)
        busy: list[float] = []
        t = time.perf_counter()
        proc = subprocess.Popen(build_cmd(seeds, scratch), env=child_env(policy), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(3)  # past start-up, into the embedding
        while proc.poll() is None:
            busy.append(asker.one())
        beside_s = time.perf_counter() - t
    q, b = stats(quiet), stats(busy)
    return {"policy": name, "env": policy, "quiet": q, "during_build": b, "slowdown_p50": round(b["p50"] / q["p50"], 2),
            "build_alone_s": round(alone_s, 1), "build_beside_s": round(beside_s, 1),
            "build_throughput_ratio": round(alone_s / beside_s, 2)}


def edit_every_seed(seeds: Path) -> None:
    """A change in every passage's text: the incremental rebuild can reuse nothing."""
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("。", "．") if "。" in text else text.replace("．", "。"), encoding="utf-8")


def run_live(work: Path, n_quiet: int, name: str = "live") -> dict[str, object]:
    """Search p50 quietly, then while the serving process rebuilds every passage itself (POST /v1/admin/rebuild):
    `live` with the default RAG_LIVE_BUILD, `live-thread` and `live-process` with that setting."""
    token = "bench-neighbour-token"
    live = work / "live"
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(work / "seeds", live / "seeds")
    if (work / "index" / "manifest.json").is_file():  # the policies' index: no first build to wait for
        shutil.copytree(work / "index", live / "index")
    mode = {"live-thread": {"RAG_LIVE_BUILD": "thread"}, "live-process": {"RAG_LIVE_BUILD": "process"}}.get(name, {})
    env = {**POLICIES["1000"], "RAG_ADMIN_TOKEN": token, **mode}
    with running_server(live / "seeds", live / "index", work / f"server-{name}.log", env=env, timeout_s=900) as url:
        asker = Asker(url)
        for _ in range(5):
            asker.one()
        quiet = [asker.one() for _ in range(n_quiet)]
        edit_every_seed(live / "seeds")
        admin = httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"})
        r = admin.post("/v1/admin/rebuild")
        r.raise_for_status()
        build_id = r.json()["build_id"]
        busy: list[float] = []
        while True:
            for _ in range(5):
                busy.append(asker.one())
            build = httpx.get(f"{url}/v1/index", timeout=120).json()["build"]
            if build["build_id"] == build_id and build["state"] != "running":
                break
        if build["state"] != "succeeded":
            raise SystemExit(f"the live rebuild failed: {build}")
    t0 = datetime.fromisoformat(build["started_at"].replace("Z", "+00:00"))
    t1 = datetime.fromisoformat(build["finished_at"].replace("Z", "+00:00"))
    q, b = stats(quiet), stats(busy)
    return {"policy": name, "env": {**POLICIES["1000"], **mode}, "quiet": q, "during_build": b,
            "slowdown_p50": round(b["p50"] / q["p50"], 2), "build_alone_s": None,
            "build_beside_s": round((t1 - t0).total_seconds(), 1), "build_throughput_ratio": None,
            "embedded": build.get("changes")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policies", default="300000,1000,passive",
                    help=f"comma list of {', '.join(POLICIES)}, and live, live-thread, live-process (the server's "
                         "own rebuild)")
    ap.add_argument("--quiet-questions", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = OUT / "neighbour"
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "seeds").is_dir():
        shutil.copytree(REPO / "seeds", work / "seeds")
    rows = []
    for name in args.policies.split(","):
        name = name.strip()
        rows.append(run_live(work, args.quiet_questions, name) if name.startswith("live") else
                    run_policy(name, work, args.quiet_questions))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # a row as soon as it is measured
        (OUT / "neighbour.json").write_text(json.dumps(rows, indent=1))
    if args.json:
        print(json.dumps(rows))
        return
    print("| policy | quiet p50 / p95 ms | during build p50 / p95 ms | slowdown | build alone s | beside s | ratio |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        q, b = r["quiet"], r["during_build"]
        print(f"| {r['policy']} | {q['p50']} / {q['p95']} | {b['p50']} / {b['p95']} (n={b['n']}) | {r['slowdown_p50']}× "
              f"| {r['build_alone_s']} | {r['build_beside_s']} | {r['build_throughput_ratio']} |")


if __name__ == "__main__":
    main()
