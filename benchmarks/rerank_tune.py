"""Choosing the reranker's weights on the team and dev sets only: every question's first-stage candidates and their
features are computed once with the real Searcher, then each weighting is scored offline with the production
ordering (fused + spread × weights·features, then diversify). Prints one table row per weighting.

Usage: .venv/bin/python benchmarks/rerank_tune.py [--grid]     (uses the checkout's index/; build it first)
Never pass a held-out set here: they are scored once, at the end, through a running service.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.retrieval.fusion import diversify  # noqa: E402
from rag.retrieval.rerank import FEATURES  # noqa: E402
from rag.runtime import open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

SETS = {"team": REPO / "eval" / "questions" / "team.jsonl", "dev": Path("/work/shared/eval/dev-questions.jsonl")}


def collect(searcher, items):
    """Per item (id, lang, question, relevant(row) -> bool): candidate rows, fused scores, the rest of the ranking,
    features, relevant rows."""
    captured = {}
    stage = searcher.reranker
    original = stage.rerank

    def spy(query, lang, ranked, fused, groups, timings):
        head = list(ranked[: stage.depth])
        captured["c"] = (stage.features(query, lang, head, groups), list(ranked), dict(fused))
        return original(query, lang, ranked, fused, groups, timings)

    stage.rerank = spy
    out = []
    try:
        for qid, lang, question, relevant in items:
            searcher.search(question, top_k=10, mode="hybrid")
            cand, ranked, fused = captured["c"]
            out.append({"id": qid, "lang": lang, "q": question, "kind": cand.kind, "head": list(cand.rows),
                        "ranked": ranked, "fused": fused, "X": cand.features, "rel": {r for r in ranked if relevant(r)}})
    finally:
        stage.rerank = original
    return out


def question_items(searcher, path, seeds_dir):
    """A question set as collect() items, judged by the shared relevance rule."""
    qs = load_questions(path)
    texts = read_seed_texts(seeds_dir, (e.doc for q in qs for e in q.evidence))
    passages = searcher.index.passages
    items = []
    for q in qs:
        ev = evidence_occurrences(q, texts)
        items.append((q.id, q.lang, q.question,
                      lambda r, ev=ev: is_relevant(passages[r].doc_id, passages[r].start, passages[r].end, ev)))
    return items


def rank_of(d, w, passages, depth=None):
    head = d["head"][:depth]
    f = np.array([d["fused"][r] for r in head])
    unit = (f[0] - f[-1]) or 1.0
    s = f + unit * (d["X"][: len(head)] @ w)
    order = sorted(range(len(head)), key=lambda i: (-s[i], i))
    rows = [head[i] for i in order] + d["ranked"][len(head):]
    top = diversify(rows, passages, 10)
    return next((i + 1 for i, r in enumerate(top) if r in d["rel"]), None)


def score(data, w, passages, depth=None):
    out = {}
    for g in ("all", "en", "ja"):
        ranks = [rank_of(d, w, passages, depth) for d in data if g == "all" or d["lang"] == g]
        h1 = np.mean([r == 1 for r in ranks])
        r5 = np.mean([r is not None and r <= 5 for r in ranks])
        mrr = np.mean([1 / r if r else 0 for r in ranks])
        out[g] = (h1, r5, mrr)
    return out


def fmt(res):
    return " | ".join(f"{res[g][0]:.3f} / {res[g][1]:.3f} / {res[g][2]:.3f}" for g in ("all", "en", "ja"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", action="store_true", help="score a grid of weightings, best by team+dev MRR first")
    ap.add_argument("--misses", action="store_true", help="list the questions not at rank 1 with the defaults")
    ap.add_argument("--depth", type=int, default=None, help="score with fewer candidates than were collected")
    ap.add_argument("--weights", action="append", default=[], help="also score this weighting, e.g. 0,0,0.25,0")
    ap.add_argument("--cache", type=Path, help="pickle of the collected data: written if absent, read if present")
    args = ap.parse_args()
    if args.cache and args.cache.exists():
        data, passages, default = pickle.loads(args.cache.read_bytes())
    else:
        settings = Settings.from_env()
        searcher = open_searcher(settings)
        passages = searcher.index.passages
        data = {name: collect(searcher, question_items(searcher, path, settings.seeds_dir)) for name, path in SETS.items()}
        default = searcher.reranker.weights
        if args.cache:
            args.cache.write_bytes(pickle.dumps((data, passages, default)))
    rows = [("first stage only", np.zeros(len(FEATURES))), ("defaults " + str(default.tolist()), default)]
    for i, f in enumerate(FEATURES):
        for v in (0.25, 0.5, 1.0):
            w = np.zeros(len(FEATURES))
            w[i] = v
            rows.append((f"{f}={v}", w))
    rows += [(w, np.array([float(x) for x in w.split(",")])) for w in args.weights]
    if args.grid:
        vals = (0.0, 0.25, 0.5, 1.0)
        rows += [(str(dict(zip(FEATURES, c))), np.array(c)) for c in itertools.product(vals, repeat=len(FEATURES))]
    print("| weights | team all h@1/R@5/MRR | en | ja | dev all | en | ja |")
    results = []
    for label, w in rows:
        t, d = score(data["team"], w, passages, args.depth), score(data["dev"], w, passages, args.depth)
        results.append((label, t, d))
    if args.grid:
        head, rest = results[: 2 + 3 * len(FEATURES)], results[2 + 3 * len(FEATURES):]
        rest.sort(key=lambda x: -(x[1]["all"][2] * 72 + x[2]["all"][2] * 16))
        results = head + rest[:25]
    for label, t, d in results:
        print(f"| {label} | {fmt(t)} | {fmt(d)} |")
    if args.misses:
        for name in SETS:
            for d in data[name]:
                r = rank_of(d, default, passages)
                r0 = rank_of(d, np.zeros(len(FEATURES)), passages)
                if r != 1 or r0 != 1:
                    print(f"{name} {d['id']} {d['lang']} {d['kind']:9s} first-stage {r0} → {r}  {d['q'][:70]}")


if __name__ == "__main__":
    main()
