"""What the reranking stage costs a hybrid search, without the machine's drift between runs: the same team questions (50 by default)
through two searchers over one loaded index, one with the stage and one with RAG_RERANK=none, interleaved per question,
for several rounds. The first round is cold for the stage (each passage is cut into POS-tagged sentences the first
time it is a candidate, then cached); later rounds are warm, as in a long-running service.

Usage: .venv/bin/python benchmarks/bench_rerank_cost.py [--rounds 3] [--n 50] [--stage-only [--compare-keep]]  (uses index/)
--compare-keep times the default stage beside the same without the top-five bound and beside the previous round's stage
(no bound, all four features computed), interleaved.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.indexing.load import load_index  # noqa: E402
from rag.retrieval import Searcher  # noqa: E402
from rag.runtime import load_embedders  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.stores.japanese import default_analyzer  # noqa: E402


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def stage_only(settings: Settings, questions: list[str], rounds: int, compare_keep: bool = False) -> None:
    """The stage's own cost without the models: each question's top-100 BM25 rows (bridge groups for English, no
    alignment) stand in for the fused candidates; the cost depends on how many candidates and how long, not which."""
    from rag.retrieval.rerank import create_reranker

    index = load_index(settings.index_dir, settings.embedders)
    analyzer = default_analyzer()
    stage = create_reranker(settings, index, analyzer)
    if compare_keep:
        keep_compare(settings, index, analyzer, questions, rounds)
        return
    print(f"| round | rerank p50 | p95 | max |  (depth {stage.depth}, {len(questions)} questions, BM25 candidates)")
    print("|---|---:|---:|---:|")
    for rnd in range(rounds):
        times = []
        for q in questions:
            lang, groups, ranked, fused = candidates(index, analyzer, q)
            t = time.perf_counter()
            stage.rerank(q, lang, ranked, fused, groups, {})
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        label = "1 (cold sentence cache)" if rnd == 0 else str(rnd + 1)
        print(f"| {label} | {p50(times):.2f} ms | {times[int(0.95 * (len(times) - 1))]:.2f} ms | {times[-1]:.2f} ms |")


def candidates(index, analyzer, q: str) -> tuple[str, list[list[str]], list[int], dict[int, float]]:
    """(language, term groups, BM25's best 100 rows, their scores): the candidates a stage is timed on."""
    from rag.retrieval.engine import detect_language

    lang = detect_language(q)
    terms = analyzer.terms(q)
    groups = (index.bridge.expand(q) + [[t] for t in terms]) if lang == "en" else [[t] for t in terms]
    scores = index.bm25.group_scores(groups)
    ranked = [int(r) for r in np.argsort(-scores, kind="stable")[:100]]
    return lang, groups, ranked, {r: float(scores[r]) for r in ranked}


def keep_compare(settings: Settings, index, analyzer, questions: list[str], rounds: int) -> None:
    """The default stage (top-five bound, only weighted features computed) beside the same without the bound, and
    beside the previous round's stage (no bound, all four features computed: their weights set to 1e-12), on the same
    candidates, rotating which runs first."""
    from rag.retrieval.rerank import create_reranker

    tiny = ("sentence=1e-12", "coverage=1e-12", "answer=1e-12")
    stages = {"default": create_reranker(settings, index, analyzer),
              "keep=0": create_reranker(settings.replace(rerank_keep=0), index, analyzer),
              "previous": create_reranker(settings.replace(rerank_keep=0, rerank_weights=tiny), index, analyzer)}
    names = list(stages)
    print("| round | " + " | ".join(f"p50 {n}" for n in names) + " | " + " | ".join(f"p95 {n}" for n in names)
          + f" |  ({len(questions)} questions, BM25 candidates)")
    print("|---|" + "---:|" * (2 * len(names)))
    for rnd in range(rounds):
        times: dict[str, list[float]] = {n: [] for n in names}
        for i, q in enumerate(questions):
            lang, groups, ranked, fused = candidates(index, analyzer, q)
            for n in names[i % 3:] + names[: i % 3]:
                t = time.perf_counter()
                stages[n].rerank(q, lang, ranked, fused, groups, {})
                times[n].append((time.perf_counter() - t) * 1000)
        label = "1 (cold sentence cache)" if rnd == 0 else str(rnd + 1)
        p95 = [sorted(v)[int(0.95 * (len(v) - 1))] for v in times.values()]
        print(f"| {label} | " + " | ".join(f"{p50(v):.2f} ms" for v in times.values()) + " | "
              + " | ".join(f"{x:.2f} ms" for x in p95) + " |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=50, help="team questions per round")
    ap.add_argument("--stage-only", action="store_true", help="time the stage alone, without loading the models")
    ap.add_argument("--compare-keep", action="store_true", help="with --stage-only: RAG_RERANK_KEEP=5 against 0")
    args = ap.parse_args()
    settings = Settings.from_env()
    lines = (REPO / "eval" / "questions" / "team.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.n]
    if args.stage_only:
        stage_only(settings, questions, args.rounds, args.compare_keep)
        return
    embedders = load_embedders(settings)
    index = load_index(settings.index_dir, settings.embedders)
    analyzer = default_analyzer()
    on = Searcher(index, embedders, analyzer, settings.replace(rerank="lexical"))
    off = Searcher(index, embedders, analyzer, settings.replace(rerank="none"))
    for s in (on, off):  # model warm-up on questions that are not measured; the stage's cache stays nearly empty
        s.search("warm-up question", top_k=5)
        s.search("ウォームアップの質問", top_k=5)
    print("| round | hybrid p50, stage on | hybrid p50, RAG_RERANK=none | difference | stage's own p50 (p95) |")
    print("|---|---:|---:|---:|---:|")
    for rnd in range(args.rounds):
        times = {"on": [], "off": []}
        stage: list[float] = []
        for i, q in enumerate(questions):
            # alternate which searcher goes first, so neither always gets the warmer caches
            for name, s in ((("on", on), ("off", off)) if i % 2 == 0 else (("off", off), ("on", on))):
                t = time.perf_counter()
                result = s.search(q, top_k=5)
                times[name].append((time.perf_counter() - t) * 1000)
                if name == "on":
                    stage.append(result.timings["rerank"])
        a, b = p50(times["on"]), p50(times["off"])
        label = "1 (cold stage cache)" if rnd == 0 else str(rnd + 1)
        p95 = sorted(stage)[int(0.95 * (len(stage) - 1))]
        print(f"| {label} | {a:.1f} ms | {b:.1f} ms | {a - b:+.1f} ms | {p50(stage):.2f} ms ({p95:.2f} ms) |", flush=True)


if __name__ == "__main__":
    main()
