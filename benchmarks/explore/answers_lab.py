"""Sentence-selection ablation for extractive answers on the team and dev sets (never the held-out sets).

Retrieves each question once (hybrid, top 5, as /v1/ask does), then scores answer_evidence for each variant of the
sentence weights and selection on the same hits. Also prints the ceiling: the share of questions where some single
sentence of the top passages holds half a quote.

    .venv/bin/python benchmarks/explore/answers_lab.py --index .cache/test-index/<key>/index --seeds .cache/test-index/<key>/seeds
    .venv/bin/python benchmarks/explore/answers_lab.py ... -v   # the questions the default misses
"""
from _paths import ROOT  # noqa: F401  (puts the repo on sys.path)

import argparse
import dataclasses
import sys
from pathlib import Path

from eval.answers import carries_evidence
from eval.questions import combine
from rag.answers.extractive import DEFAULT_SELECTION, DEFAULT_WEIGHTS, Selection, render, select
from rag.answers.scoring import Weights, score_sentences
from rag.runtime import open_searcher
from rag.settings import Settings

SETS = {"team": ROOT / "eval" / "questions" / "team.jsonl", "dev": Path("/work/shared/eval/dev-questions.jsonl")}
BASE = Weights(lexical=0.0, rank=0.05, passage=0.0, kind=0.0, neighbour=False)
VARIANTS: dict[str, tuple[Weights, Selection]] = {
    "before (cosines + 0.05/rank)": (BASE, Selection()),
    "default": (DEFAULT_WEIGHTS, DEFAULT_SELECTION),
}


def variants() -> dict[str, tuple[Weights, Selection]]:
    out = dict(VARIANTS)
    r = dataclasses.replace
    for lex in (0.05, 0.1, 0.2, 0.3):
        out[f"+lexical {lex}"] = (r(BASE, lexical=lex), Selection())
    for rank in (0.0, 0.1, 0.2):
        out[f"rank {rank}"] = (r(BASE, rank=rank), Selection())
    for p in (0.05, 0.1, 0.2):
        out[f"+passage score {p}"] = (r(BASE, passage=p), Selection())
    for k in (0.02, 0.05):
        out[f"+kind {k}"] = (r(BASE, kind=k), Selection())
    out["+neighbour"] = (r(BASE, neighbour=True), Selection())
    out["e5 only"] = (r(BASE, embedders=("e5",)), Selection())
    out["use only"] = (r(BASE, embedders=("use",)), Selection())
    out["lexical only"] = (r(BASE, embedders=(), lexical=1.0), Selection())
    for c in (0.03, 0.1, 1.0):
        out[f"cutoff {c}"] = (BASE, Selection(cutoff=c))
    out["min 3 sentences"] = (BASE, Selection(min_sentences=3))
    out["top 3 passages"] = (BASE, Selection(passages=3))
    out["per passage 1"] = (BASE, Selection(per_passage=1))
    out["per passage 2"] = (BASE, Selection(per_passage=2))
    out["max chars 500"] = (BASE, Selection(max_chars=500))
    e5 = r(BASE, embedders=("e5",))
    out["e5 + cutoff 1.0"] = (e5, Selection(cutoff=1.0))
    out["e5 + lexical 0.3 + passage 0.1"] = (r(e5, lexical=0.3, passage=0.1), Selection())
    out["e5 + lexical 0.3 + passage 0.1 + cutoff 0.1 + neighbour"] = (r(e5, lexical=0.3, passage=0.1, neighbour=True),
                                                                       Selection(cutoff=0.1))
    out["e5 + cutoff 0.1 + neighbour"] = (r(e5, neighbour=True), Selection(cutoff=0.1))
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--seeds", type=Path, required=True)
    p.add_argument("--only", help="comma-separated variant names")
    p.add_argument("-v", action="store_true")
    args = p.parse_args()
    settings = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    searcher = open_searcher(settings)
    data = {}
    for name, path in SETS.items():
        qs = combine([path])
        data[name] = [(q, searcher.search(q.question, 5)) for q in qs]
    chosen = variants()
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    # the ceiling: some single sentence of the top 5 passages holds half a quote
    for name, rows in data.items():
        ok = sum(any(carries_evidence(c.text, [e.quote for e in q.evidence])
                     for c in score_sentences(searcher, q.question, r.lang, r.hits, BASE)) for q, r in rows)
        print(f"ceiling {name}: {ok}/{len(rows)} = {ok / len(rows):.3f}")
    print(f"| variant | team (n={len(data['team'])}) | dev (n={len(data['dev'])}) | both | mean sentences | mean chars |")
    print("|---|--:|--:|--:|--:|--:|")
    for label, (w, sel) in chosen.items():
        hits, total, n_sent, n_chars, misses = {}, 0, 0, 0, []
        for name, rows in data.items():
            ok = 0
            for q, r in rows:
                picked = select(score_sentences(searcher, q.question, r.lang, r.hits[: sel.passages], w), sel, w.neighbour)
                text, _ = render(picked)
                good = carries_evidence(text, [e.quote for e in q.evidence])
                ok += good
                n_sent += len(picked)
                n_chars += sum(len(c.text) for c in picked)
                if not good:
                    misses.append((q, text))
            hits[name] = ok
            total += len(rows)
        n = sum(len(r) for r in data.values())
        print(f"| {label} | {hits['team'] / len(data['team']):.3f} | {hits['dev'] / len(data['dev']):.3f} | "
              f"{sum(hits.values()) / n:.3f} | {n_sent / n:.2f} | {n_chars / n:.0f} |", flush=True)
        if args.v and label == "default":
            for q, text in misses:
                print(f"  MISS {q.id} {q.question}\n    quotes: {[e.quote for e in q.evidence]}\n    answer: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
