"""Lab (issue #19): does a term that separates the candidates from each other point at the answer-bearing passage?

The second stage's candidates are mostly passages of one or two articles on one topic, so a question word that every
candidate holds says nothing about which of them to read first, however rare it is in the corpus. This scores each
candidate by the share of the question's term groups it holds, each group weighed by its IDF *over the candidates*
(BM25's formula with the candidates as the collection; `--weigh corpus` multiplies in the corpus IDF too), and adds
it to the proximity column of the real stage, so that the production ordering (kept five, floors, diversify) applies.

Scored with the real Searcher through `search(... mode="hybrid")`, on the choosing sets (team, dev) and on
pseudo-questions made from the seeds' own sentences (benchmarks/rerank_learn.py `pseudo_items`: no question set).
Cells hit@1 / R@5 / MRR@10.

Usage (RAG_INDEX_DIR / RAG_SEEDS_DIR: the test cache's index):
    .venv/bin/python benchmarks/rerank_local_idf.py [--pseudo 400] [--weigh corpus,candidates]
Never pass a held-out set here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.retrieval.rerank import lexical  # noqa: E402
from rag.retrieval.rerank import stage as st  # noqa: E402
from rag.runtime import open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.stores.bm25 import bm25_idfs  # noqa: E402

SETS = {"team": REPO / "eval" / "questions" / "team.jsonl", "dev": Path("/work/shared/eval/dev-questions.jsonl")}
GRID = ((0, 0), (0.1, 0), (0.25, 0), (1, 0), (0, 0.5), (0, 2), (0, 4))
LAMBDA = {"en": 0.0, "ja": 0.0}
WEIGH = ["corpus"]


def candidate_share(reranker, rows, groups) -> np.ndarray:
    """Per candidate, the share of the question's groups it holds, each weighed by its IDF over the candidates."""
    groups = [list(g) for g in (st._content(g) for g in groups) if g]
    if not groups:
        return np.zeros(len(rows))
    corpus = np.array(lexical.group_weights(groups, reranker._idfs({t for g in groups for t in g})))
    held = np.array([[any(t in terms for t in g) for g in groups]
                     for terms in (set(reranker._bm25.term_sequence(r)) for r in rows)], float)
    local = bm25_idfs(held.sum(0), len(rows))
    w = local * corpus if WEIGH[0] == "corpus" else local
    return held @ w / w.sum() if w.sum() > 0 else np.zeros(len(rows))


_features = st.LexicalReranker.features


def features(self, query, lang, rows, groups, only=st.FEATURES):
    c = _features(self, query, lang, rows, groups, {"proximity"})
    lam = LAMBDA["ja" if lang == "ja" else "en"]
    if not lam:
        return c
    x = c.features.copy()  # the bonus is features @ weights: λ / w_proximity × share adds λ × share
    x[:, st.FEATURES.index("proximity")] += lam / self.weights_for(lang)[st.FEATURES.index("proximity")] * \
        candidate_share(self, rows, groups)
    return st.Candidates(c.kind, c.rows, x)


def cell(ranks) -> str:
    return (f"{np.mean([r == 1 for r in ranks]):.3f} / {np.mean([r is not None and r <= 5 for r in ranks]):.3f} / "
            f"{np.mean([1 / r if r else 0 for r in ranks]):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pseudo", type=int, default=400, help="pseudo-questions per language and seed (two seeds)")
    ap.add_argument("--weigh", default="corpus", help="corpus,candidates: both weighings")
    args = ap.parse_args()
    settings = Settings.from_env()
    searcher = open_searcher(settings)
    passages = searcher.index.passages
    st.LexicalReranker.features = features
    sets = {}
    for name, path in SETS.items():
        qs = load_questions(path)
        texts = read_seed_texts(settings.seeds_dir, (e.doc for q in qs for e in q.evidence))
        sets[name] = [(q.lang, q.question, lambda p, ev=evidence_occurrences(q, texts):
                       is_relevant(p.doc_id, p.start, p.end, ev)) for q in qs]
    if args.pseudo:
        from rerank_learn import pseudo_items

        sets["pseudo"] = [(lang, q, lambda p, ids=frozenset(passages[r].passage_id for r in rel): p.passage_id in ids)
                          for seed in (0, 1) for _, lang, q, rel in pseudo_items(searcher, args.pseudo, args.pseudo,
                                                                                 0.4, seed)]
    print("| weigh | λ en | λ ja | " + " | ".join(f"{n} en | {n} ja" for n in sets) + " |")
    for weigh in args.weigh.split(","):
        WEIGH[0] = weigh
        for en, ja in GRID:
            LAMBDA["en"], LAMBDA["ja"] = en, ja
            cells = []
            for items in sets.values():
                ranks = {"en": [], "ja": []}
                for lang, question, relevant in items:
                    hits = searcher.search(question, top_k=10, mode="hybrid").hits
                    ranks["ja" if lang == "ja" else "en"].append(
                        next((i + 1 for i, h in enumerate(hits) if relevant(h.passage)), None))
                cells += [cell(ranks["en"]), cell(ranks["ja"])]
            print(f"| {weigh} | {en} | {ja} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
