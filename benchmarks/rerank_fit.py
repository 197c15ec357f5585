"""Fits the second stage's linear weights on corpus pseudo-questions (pairwise logistic regression) and scores the
fitted variants on the choosing sets with the production ordering (top five kept, diversify). See rerank_learn.py.

The fit reads only the "pseudo" part of the collected data; team and dev are scored, never fitted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.retrieval.fusion import diversify  # noqa: E402
from rag.retrieval.rerank import FEATURES  # noqa: E402
from rag.retrieval.rerank.contrast import EXTRA  # noqa: E402

NAMES = (*FEATURES, *EXTRA)
DEPTH, KEEP = 20, 5


def featurize(data, depth=DEPTH):
    """Adds X (the full feature matrix of the first `depth` candidates) to every collected question."""
    from rag.indexing.load import load_index
    from rag.retrieval.rerank import create_reranker
    from rag.settings import Settings
    from rag.stores.japanese import default_analyzer

    settings = Settings.from_env()
    index = load_index(settings.index_dir, settings.embedders)
    stage = create_reranker(settings.replace(rerank="lexical"), index, default_analyzer())
    passages = index.passages
    for rows in data.values():
        for d in rows:
            head = d["ranked"][:depth]
            d["head"] = head
            d["X"] = stage.full_features(d["q"], d["lang"], head, d["fused"], d["parts"], d["groups"])
    return passages


def order(d, s, passages, keep=KEEP):
    """The production ordering of the candidates by score s (kept five first), then diversify to 10."""
    head = d["head"]
    kept = set(diversify(head, passages, keep)) if keep else set()
    idx = sorted(range(len(head)), key=lambda i: (head[i] not in kept, -s[i], i))
    return diversify([head[i] for i in idx] + d["ranked"][len(head):], passages, 10)


def rank(d, s, passages, keep=KEEP):
    return next((i + 1 for i, r in enumerate(order(d, s, passages, keep)) if r in d["rel"]), None)


def metrics(ranks):
    h1 = np.mean([r == 1 for r in ranks])
    r5 = np.mean([r is not None and r <= 5 for r in ranks])
    mrr = np.mean([1 / r if r else 0 for r in ranks])
    return h1, r5, mrr


def evaluate(rows, scorer, passages, keep=KEEP):
    """{all, en, ja: (hit@1, R@5, MRR@10)} and the ranks."""
    ranks = [rank(d, scorer(d), passages, keep) for d in rows]
    out = {}
    for g in ("all", "en", "ja"):
        out[g] = metrics([r for r, d in zip(ranks, rows) if g == "all" or d["lang"] == g])
    return out, ranks


def pairs(rows, mode, cols):
    """Difference vectors (relevant − other) of the questions whose relevant passage is a candidate.
    mode 'article': others of the relevant passage's article; 'top': the other candidates in the top 10; 'all'."""
    diffs = []
    for d in rows:
        head = d["head"]
        pos = [i for i, r in enumerate(head) if r in d["rel"]]
        if not pos:
            continue
        arts = {d["art"][i] for i in pos}
        for j, r in enumerate(head):
            if r in d["rel"]:
                continue
            if mode in ("article", "hard") and d["art"][j] not in arts:
                continue
            if mode == "hard" and j > max(pos) + 2:
                continue  # the neighbours that compete: ranked above the source, or just below it
            if mode == "top" and j >= 10:
                continue
            for i in pos:
                diffs.append(d["X"][i, cols] - d["X"][j, cols])
    return np.array(diffs)


def fit(rows, mode, cols, c=1.0):
    from sklearn.linear_model import LogisticRegression

    D = pairs(rows, mode, cols)
    X = np.vstack([D, -D])
    y = np.r_[np.ones(len(D)), np.zeros(len(D))]
    m = LogisticRegression(C=c, fit_intercept=False, max_iter=2000).fit(X, y)
    return m.coef_[0], len(D)


def fmt(res):
    return " | ".join(f"{res[g][0]:.3f} / {res[g][1]:.3f} / {res[g][2]:.3f}" for g in ("all", "en", "ja"))


def train(args) -> None:
    import pickle

    data = pickle.loads(Path(args.data).read_bytes())
    for extra in args.pseudo:
        data["pseudo"] += pickle.loads(Path(extra).read_bytes())["pseudo"]
    passages = featurize(data)
    for rows in data.values():
        for d in rows:
            d["art"] = [(passages[r].doc_id, passages[r].article) for r in d["head"]]
    pseudo = data["pseudo"]
    rng = np.random.default_rng(0)
    half = rng.random(len(pseudo)) < 0.5
    fit_rows = [d for d, h in zip(pseudo, half) if h and (args.lang in ("all", d["lang"]))]
    test_rows = [d for d, h in zip(pseudo, half) if not h]
    fi = NAMES.index
    variants = {"first stage": None, "default (proximity 0.25)": None}
    all_cols = list(range(len(NAMES)))
    no_comp = [i for i, n in enumerate(NAMES) if not n.startswith("c:")]
    lex_contrast = [fi(n) for n in ("fused", "sentence", "coverage", "proximity", "answer", "passage", "unique",
                                    "prox_gap", "answer_gap")]
    sets = {"all": all_cols, "no-components": no_comp, "lexical+contrast": lex_contrast,
            "fused+prox+unique": [fi("fused"), fi("proximity"), fi("unique"), fi("prox_gap")],
            "fused+prox+contrast": [fi(n) for n in ("fused", "proximity", "unique", "prox_gap", "answer_gap",
                                                    "fused_gap", "alone")]}
    print(f"pseudo: {len(pseudo)} ({sum(d['lang'] == 'en' for d in pseudo)} en); fit half {len(fit_rows)}")
    print("| variant | pairs | pseudo test all | en | ja | team all | en | ja | dev all | en | ja |")

    def show(label, scorer, n=""):
        cells = [fmt(evaluate(rows, scorer, passages)[0]) for rows in (test_rows, data["team"], data["dev"])]
        print(f"| {label} | {n} | " + " | ".join(cells) + " |", flush=True)

    show("first stage", lambda d: d["X"][:, fi("fused")])
    show("default proximity 0.25", lambda d: d["X"][:, fi("fused")] + 0.25 * d["X"][:, fi("proximity")])
    for mode in args.modes.split(","):
        for name, cols in sets.items():
            for c in args.c:
                w, n = fit(fit_rows, mode, cols, c)
                show(f"{mode} {name} C={c}", lambda d, w=w, cols=cols: d["X"][:, cols] @ w, n)
                if args.verbose:
                    print("    " + ", ".join(f"{NAMES[k]}={v:.2f}" for k, v in zip(cols, w)))
