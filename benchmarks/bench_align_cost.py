"""What term alignment costs a search, without the machine's drift between runs: the same 50 team questions with
alignment on and off in one process, twice each, alternating (bench_index.py's search_latency for every mode).

Usage: .venv/bin/python benchmarks/bench_align_cost.py     (uses the checkout's index/; build it first)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_index import search_latency  # noqa: E402
from rag.runtime import load_embedders  # noqa: E402
from rag.settings import Settings  # noqa: E402


def main() -> None:
    settings = Settings.from_env()
    embedders = load_embedders(settings)
    lines = (REPO / "eval" / "questions" / "team.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()][:50]
    print("| alignment | hybrid p50 | e5 p50 | use p50 | bm25 p50 |\n|---|---:|---:|---:|---:|")
    for align in ("use", None, "use", None):
        out = search_latency(settings.replace(align=align), embedders, questions)
        print(f"| {align or 'off'} | " + " | ".join(f"{out[m]['p50_ms']:.1f} ms" for m in ("hybrid", "e5", "use", "bm25")) + " |",
              flush=True)


if __name__ == "__main__":
    main()
