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
from rerank_contrast import EXTRA, full_features  # noqa: E402

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
            d["X"] = full_features(stage, d["q"], d["lang"], head, d["fused"], d["parts"], d["groups"])
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
    """(weights, pairs): L2-regularised logistic regression without intercept on the pairs and their mirror images,
    scikit-learn's objective (C · Σ log-loss + ½‖w‖²), solved by Newton's method (numpy only)."""
    D = pairs(rows, mode, cols)
    X = np.vstack([D, -D])
    y = np.r_[np.ones(len(D)), np.zeros(len(D))]
    w = np.zeros(X.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        grad = c * X.T @ (p - y) + w
        hess = c * (X.T * (p * (1.0 - p))) @ X + np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w, len(D)


def fmt(res):
    return " | ".join(f"{res[g][0]:.3f} / {res[g][1]:.3f} / {res[g][2]:.3f}" for g in ("all", "en", "ja"))


def load_collection(args) -> tuple[dict, list]:
    """The collected questions (and any extra pseudo-question files), featurized, each candidate with its article."""
    import pickle

    data = pickle.loads(Path(args.data).read_bytes())
    for extra in args.pseudo:
        data["pseudo"] += pickle.loads(Path(extra).read_bytes())["pseudo"]
    passages = featurize(data)
    for rows in data.values():
        for d in rows:
            d["art"] = [(passages[r].doc_id, passages[r].article) for r in d["head"]]
    return data, passages


def train(args) -> None:
    data, passages = load_collection(args)
    pseudo = data["pseudo"]
    rng = np.random.default_rng(0)
    half = rng.random(len(pseudo)) < 0.5
    fit_rows = [d for d, h in zip(pseudo, half) if h and (args.lang in ("all", d["lang"]))]
    test_rows = [d for d, h in zip(pseudo, half) if not h]
    fi = NAMES.index
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


def ablation(args) -> None:
    """The round-3 ablation table: fixed per-language proximity weights (each reproducible through `rag eval` with
    the setting in its second column) and models fitted on ALL pseudo-questions (lab only)."""
    data, passages = load_collection(args)
    fi = NAMES.index

    def prox(en, ja):
        return lambda d: d["X"][:, fi("fused")] + (ja if d["lang"] == "ja" else en) * d["X"][:, fi("proximity")]

    rows = [("first stage only", "RAG_RERANK=none", lambda d: d["X"][:, fi("fused")]),
            ("round 2 default: proximity 0.25 for both", "RAG_RERANK_WEIGHTS_JA=proximity=0.25", prox(0.25, 0.25)),
            ("**round 3 default: en 0.25, ja 5 (learned)**", "(defaults)", prox(0.25, 5)),
            ("both languages 5", "RAG_RERANK_WEIGHTS=proximity=5", prox(5, 5)),
            ("en 9.6 (learned from English pseudo-questions), ja 5", "RAG_RERANK_WEIGHTS=proximity=9.6", prox(9.6, 5)),
            ("ja 2.3 (learned with C=0.1)", "RAG_RERANK_WEIGHTS_JA=proximity=2.3", prox(0.25, 2.3)),
            ("ja 10.7 (learned with C=10)", "RAG_RERANK_WEIGHTS_JA=proximity=10.7", prox(0.25, 10.7))]
    pseudo = data["pseudo"]
    sets = {"all 18 features": list(range(len(NAMES))),
            "fused, proximity, unique, prox_gap": [fi(n) for n in ("fused", "proximity", "unique", "prox_gap")],
            "fused + lexical + contrast (9)": [fi(n) for n in ("fused", "sentence", "coverage", "proximity", "answer",
                                                             "passage", "unique", "prox_gap", "answer_gap")]}
    for name, cols in sets.items():
        models = {lang: fit([d for d in pseudo if d["lang"] == lang], "article", cols, 1.0)[0] for lang in ("en", "ja")}
        rows.append((f"fitted per language: {name}", "lab only",
                     lambda d, cols=cols, models=models: d["X"][:, cols] @ models[d["lang"]]))
        rows.append((f"fitted, ja only (en 0.25): {name}", "lab only",
                     lambda d, cols=cols, models=models: (d["X"][:, cols] @ models["ja"]) if d["lang"] == "ja"
                     else prox(0.25, 0)(d)))
    print("| row | variant | setting | team all | team en | team ja | dev all | dev en | dev ja |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, (label, setting, scorer) in enumerate(rows, 1):
        cells = [fmt(evaluate(data[s], scorer, passages)[0]) for s in ("team", "dev")]
        print(f"| {i} | {label} | `{setting}` | " + " | ".join(cells) + " |", flush=True)
