"""rag eval's metrics (trec_eval through ir-measures) against ranx, which computed them until Dec 1, on real runs.

Every question set in eval/questions/, modes hybrid, bm25 and e5, every language group and every metric (hit@1,
recall@1..10, mrr@10, ndcg@10): prints each set's hybrid numbers and the largest difference between the two. ranx is
no longer a dependency, so install it first (it compiles numba functions on its first run: ~1 min):

    .venv/bin/pip install ranx
    .venv/bin/python benchmarks/metrics_vs_ranx.py            # the index of RAG_INDEX_DIR / RAG_SEEDS_DIR (index/, seeds/)

Measured Dec 1 over the test cache's index of the seeds: largest difference 2.2e-16.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ranx import Qrels, Run, evaluate as ranx_evaluate  # noqa: E402

from eval.metrics import GROUPS, Judged, measure_inputs, metric_names, scores  # noqa: E402
from eval.pipeline import evaluate  # noqa: E402
from eval.questions import load_questions  # noqa: E402
from eval.runner import InProcessBackend  # noqa: E402
from rag.runtime import open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402


def with_ranx(judged: list[Judged], names: tuple[str, ...]) -> dict[str, float]:
    """The metrics from ranx, given exactly the single-relevant-item qrels and run that trec_eval is given."""
    qrels, run = measure_inputs(judged)
    ranx_name = {n: ("hit_rate@" + n.split("@")[1]) if n.startswith(("hit@", "recall@")) else n for n in names}
    result = ranx_evaluate(Qrels(qrels), Run(run), list(dict.fromkeys(ranx_name.values())))
    return {n: float(result[ranx_name[n]]) for n in names}


def main() -> None:
    settings = Settings.from_env()
    backend = InProcessBackend(open_searcher(settings))
    names = metric_names(tuple(range(1, 11)))
    worst = 0.0
    for path in sorted((REPO / "eval" / "questions").glob("*.jsonl")):
        if path.stem.startswith("conversations"):
            continue
        evaluation = evaluate(backend, load_questions(path), ["hybrid", "bm25", "e5"], settings.seeds_dir)
        for mode in evaluation.modes:
            for group in GROUPS:
                part = [j for j in mode.judged if group == "all" or j.lang == group]
                if part:
                    old, new = with_ranx(part, names), scores(part, names)
                    worst = max(worst, *(abs(old[n] - new[n]) for n in names))
        hybrid = evaluation.modes[0].groups["all"]
        print(f"{path.stem}: hybrid hit@1 {hybrid['hit@1']:.3f}, mrr@10 {hybrid['mrr@10']:.3f}", flush=True)
    print(f"largest difference over every set, mode, group and metric: {worst:.3g}")


if __name__ == "__main__":
    main()
