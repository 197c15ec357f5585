"""A normal search while four hostile questions are in flight, on a real server, with the protections on (twice: the default token
limit, and 256) and off.

    .venv/bin/python benchmarks/bench_hostile.py                          # serves benchmarks/out/api-index
    .venv/bin/python benchmarks/bench_hostile.py --index index --seeds seeds

Four client threads keep one hostile question each in flight: 2,000 emoji, 2,000 rare kanji (each ~2,000 e5 tokens,
refused above max_query_tokens), ~500 rare kanji and ~1,400 characters of made-up English words (each just under the
token limit: admitted, but over heavy_query_tokens, so they take turns). Every hostile text is new, so the server's
query-vector cache never helps. Meanwhile one client sends distinct questions of eval/questions/team.jsonl, one at a
time, and records each one's latency. The same is measured on an idle server first, and then on a server started with
the protections off (RAG_MAX_QUERY_TOKENS and RAG_HEAVY_QUERY_TOKENS set very high): side by side, in one run.
Also times, in-process, one hybrid search of ~1,400 characters of made-up English words with the English expansion
bounded (max_expanded_words) and unbounded. Prints a Markdown table and writes benchmarks/out/hostile.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from api.process import ServerStartError, running_server

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
QUESTIONS = REPO / "eval" / "questions" / "team.jsonl"  # never the holdout set
UNPROTECTED = {"RAG_MAX_QUERY_TOKENS": "1000000", "RAG_HEAVY_QUERY_TOKENS": "1000000",
               "RAG_MAX_EXPANDED_WORDS": "1000"}  # the most settings allow


def load_questions(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(r["question"] for r in rows))


def made_up_words(rng: random.Random, chars: int) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append("".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))))
    return " ".join(words)[:chars].strip()


def hostile(kind: str, rng: random.Random) -> str:
    """A new hostile question of one kind."""
    if kind == "emoji-2000":
        return "".join(chr(0x1F300 + rng.randrange(700)) for _ in range(2000))
    if kind == "rare-kanji-2000":
        return "".join(chr(0x20000 + rng.randrange(40000)) for _ in range(2000))
    if kind == "rare-kanji-500":
        return "".join(chr(0x20000 + rng.randrange(40000)) for _ in range(500))
    return made_up_words(rng, 1400)


KINDS = ("emoji-2000", "rare-kanji-2000", "rare-kanji-500", "made-up-english-1400")


def stats(ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=float)
    return {"n": int(a.size), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "max": float(a.max())}


def normal_searches(url: str, questions: Sequence[str]) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=600) as client:
        for q in questions:
            t0 = time.perf_counter()
            r = client.post("/v1/search", json={"query": q, "top_k": 5})
            latencies.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
    return latencies


def under_attack(url: str, questions: Sequence[str], kinds: Sequence[str] = KINDS) -> dict[str, Any]:
    """Normal searches while four threads each keep one hostile question in flight."""
    stop = threading.Event()
    outcomes: Counter[str] = Counter()
    hostile_ms: dict[str, list[float]] = {k: [] for k in kinds}
    lock = threading.Lock()

    def attacker(i: int) -> None:
        rng = random.Random(i)
        kind = kinds[i % len(kinds)]
        with httpx.Client(base_url=url, timeout=600) as client:
            while not stop.is_set():
                t0 = time.perf_counter()
                r = client.post("/v1/search", json={"query": hostile(kind, rng)})
                with lock:
                    outcomes[f"{kind} {r.status_code}"] += 1
                    hostile_ms[kind].append((time.perf_counter() - t0) * 1000)
                if r.status_code == 503:  # a well-behaved client honours Retry-After; a hostile one might not
                    stop.wait(float(r.headers.get("retry-after", "1")) / 10)

    threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)  # let the attack reach its steady state
    try:
        latencies = normal_searches(url, questions)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=900)
    return {"normal_ms": stats(latencies), "hostile_outcomes": dict(sorted(outcomes.items())),
            "hostile_ms": {k: stats(v) for k, v in hostile_ms.items() if v}}


def phase(name: str, seeds: Path, index: Path, env: dict[str, str], quiet: Sequence[str],
          attacked: Sequence[str], kinds: Sequence[str] = KINDS) -> dict[str, Any]:
    log = OUT / f"hostile-{name.split()[0].strip(',')}-{len(env)}.log"
    try:
        with running_server(seeds, index, log, env=env, timeout_s=900) as url:
            normal_searches(url, ["warm-up: loads lazy state"])
            result = {"quiet_ms": stats(normal_searches(url, quiet)), **under_attack(url, attacked, kinds)}
    except ServerStartError as exc:
        sys.exit(f"{exc}\n(log: {log})")
    print(f"{name}: quiet p50 {result['quiet_ms']['p50']:.0f} ms, under attack p50 {result['normal_ms']['p50']:.0f}"
          f" / max {result['normal_ms']['max']:.0f} ms", file=sys.stderr)
    return result


def expansion_cost(seeds: Path, index: Path, words_chars: int = 1400, runs: int = 3) -> dict[str, Any]:
    """In-process hybrid search of made-up English words: expansion bounded (the setting) and unbounded."""
    from rag.runtime import open_searcher
    from rag.settings import Settings

    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=index)
    if not hasattr(settings, "max_expanded_words"):  # the bound came with the retrieval components (main, f1af21c)
        return {}
    bounded = open_searcher(settings)
    unbounded_settings = settings.replace(max_expanded_words=1000, max_query_tokens=1_000_000)  # 1000: the most validate() allows
    from rag.retrieval import Searcher

    unbounded = Searcher(bounded.index, bounded.embedders, bounded.analyzer, unbounded_settings)
    rng = random.Random(7)
    out: dict[str, list[float]] = {"bounded": [], "unbounded": []}
    for _ in range(runs):
        text = made_up_words(rng, words_chars)
        for name, searcher in (("bounded", bounded), ("unbounded", unbounded)):
            t0 = time.perf_counter()
            searcher.search(text, 5)
            out[name].append((time.perf_counter() - t0) * 1000)
    return {"chars": words_chars, "max_expanded_words": settings.max_expanded_words,
            **{k: stats(v) for k, v in out.items()}}


def table(results: dict[str, Any]) -> str:
    lines = ["| server | normal search, idle p50 ms | under attack: p50 ms | p95 ms | max ms | n |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in results["phases"].items():
        q, a = r["quiet_ms"], r["normal_ms"]
        lines.append(f"| {name} | {q['p50']:.0f} | {a['p50']:.0f} | {a['p95']:.0f} | {a['max']:.0f} | {a['n']} |")
    lines.append("\n| server | hostile question | answers (status: count) | latency p50 ms | max ms |")
    lines.append("|---|---|---|---:|---:|")
    for name, r in results["phases"].items():
        for kind, s in r["hostile_ms"].items():
            statuses = ", ".join(f"{k.split()[1]}: {n}" for k, n in r["hostile_outcomes"].items() if k.startswith(kind))
            lines.append(f"| {name} | {kind} | {statuses} | {s['p50']:.0f} | {s['max']:.0f} |")
    e = results["expansion"]
    if e:
        lines.append(f"\nHybrid search of {e['chars']} characters of made-up English words, in-process: "
                     f"{e['bounded']['p50']:.0f} ms with max_expanded_words={e['max_expanded_words']}, "
                     f"{e['unbounded']['p50']:.0f} ms unbounded (p50 of {e['bounded']['n']}).")
    else:
        lines.append("\n(no max_expanded_words setting in this tree: the English expansion bound was not measured)")
    m = results["machine"]
    lines.append(f"\n{m['cpus']} CPUs; 1-min load average {m['loadavg_before'][0]:.1f} before, "
                 f"{m['loadavg_after'][0]:.1f} after.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=Path, default=REPO / "seeds")
    p.add_argument("--index", type=Path, default=OUT / "api-index", help="built by the server if missing")
    p.add_argument("--quiet", type=int, default=12, help="normal questions on the idle server")
    p.add_argument("--attacked", type=int, default=24, help="normal questions under attack, protections on")
    p.add_argument("--attacked-off", type=int, default=6, help="normal questions under attack, protections off")
    p.add_argument("--phases", default="protected,tight,off",
                   help="which servers: protected (defaults), tight (RAG_MAX_QUERY_TOKENS=256), off (unprotected)")
    p.add_argument("--kinds", default=",".join(KINDS), help=f"hostile questions, one per attacker: {', '.join(KINDS)}"
                   " (the issue's case: emoji-2000,rare-kanji-2000)")
    p.add_argument("--out", type=Path, default=OUT / "hostile.json")
    args = p.parse_args(argv)
    questions = load_questions(QUESTIONS)
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    # distinct questions per measurement: the server caches query vectors by text
    a, b = args.quiet, args.quiet + args.attacked
    chosen = set(args.phases.split(","))
    setups = {"protected": ("protected (defaults)", {}, questions[a:b]),
              "tight": ("protected, RAG_MAX_QUERY_TOKENS=256", {"RAG_MAX_QUERY_TOKENS": "256"}, questions[a:b]),
              "off": ("unprotected", UNPROTECTED, questions[b : b + args.attacked_off])}
    kinds = tuple(args.kinds.split(","))
    phases = {name: phase(name, args.seeds, args.index, env, questions[:a], attacked, kinds)
              for key, (name, env, attacked) in setups.items() if key in chosen}
    results = {"created_at": datetime.now(timezone.utc).isoformat(), "phases": phases,
               "expansion": expansion_cost(args.seeds, args.index),
               "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()}}
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(table(results))
    print(f"\nwritten {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
