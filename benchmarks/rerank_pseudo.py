"""Pseudo-questions made from the corpus itself, to check the reranker's weights away from any question set.

Each is a cloze over one sentence that holds a detail: the detail is replaced by the Japanese question word for its
kind (a number with its counter → 何+counter, a date → いつ, a place → どこ, a person → 誰), a share of the other
content words is dropped (a question rarely repeats its evidence word for word), and か closes it. The passages that
contain the sentence are relevant. Nothing here reads a question set.

Usage: .venv/bin/python benchmarks/rerank_pseudo.py [--n 150] [--drop 0.4]     (uses the checkout's index/)
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from rerank_tune import FEATURES, collect, fmt, score  # noqa: E402
from rag.retrieval.rerank.sentences import split_sentences  # noqa: E402
from rag.runtime import open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.stores.japanese import fold  # noqa: E402

_DATE_UNITS = {"年", "月", "日"}


def cloze(tokens, rng: random.Random, drop: float) -> tuple[str, str] | None:
    """(question, kind) from one sentence's tokens, or None when it holds no detail to ask for."""
    spots = []  # (first token, tokens replaced, question word, kind)
    for i, t in enumerate(tokens):
        pos = t.pos
        if len(pos) > 1 and pos[1] == "数詞" and i + 1 < len(tokens):
            if tokens[i + 1].surface in _DATE_UNITS:
                spots.append((i, 2, "いつ", "date"))  # the number and its calendar unit
            else:
                spots.append((i, 1, "何", "number"))  # the counter stays: 何人, 何発
        elif len(pos) > 2 and pos[1] == "固有名詞" and pos[2] == "地名":
            spots.append((i, 1, "どこ", "place"))
        elif len(pos) > 2 and pos[1] == "固有名詞" and pos[2] == "人名":
            spots.append((i, 1, "誰", "entity"))
    if not spots:
        return None
    first, width, word, kind = rng.choice(spots)
    out = []
    for j, t in enumerate(tokens):
        if j == first:
            out.append(word)
        elif first < j < first + width or t.pos[1:2] == ("句点",):
            continue
        elif t.term is not None and t.pos[1:2] != ("固有名詞",) and rng.random() < drop:
            continue  # names stay: a question names who and where it is about
        else:
            out.append(t.surface)
    return "".join(out) + "か", kind


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--drop", type=float, default=0.4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    settings = Settings.from_env()
    searcher = open_searcher(settings)
    passages = searcher.index.passages
    folded = [fold(p.text) for p in passages]
    rng = random.Random(args.seed)
    pool = []
    for row, p in enumerate(passages):
        for s in split_sentences(searcher.analyzer.tokens(p.text)):
            text = "".join(t.surface for t in s.tokens)
            if 20 <= len(text) <= 200:
                pool.append((row, s, text))
    rng.shuffle(pool)
    items, seen = [], set()
    for row, s, text in pool:
        if text in seen:
            continue
        made = cloze(s.tokens, rng, args.drop)
        if made is None:
            continue
        seen.add(text)
        question, kind = made
        rel = {r for r, f in enumerate(folded) if text in f}
        items.append((f"p{len(items):03d}-{kind}", "ja", question, lambda r, rel=rel: r in rel))
        if len(items) >= args.n:
            break
    print(f"{len(items)} pseudo-questions, e.g.:", *(q for _, _, q, _ in items[:5]), sep="\n  ", file=sys.stderr)
    data = collect(searcher, items)
    weights = {"first stage only": np.zeros(len(FEATURES)), "defaults": searcher.reranker.weights}
    for i, f in enumerate(FEATURES):
        w = np.zeros(len(FEATURES))
        w[i] = 0.5
        weights[f"{f}=0.5"] = w
    print("| weights | pseudo all h@1/R@5/MRR |")
    for label, w in weights.items():
        print(f"| {label} | {fmt(score(data, w, passages)).split(' | ')[0]} |")


if __name__ == "__main__":
    main()
