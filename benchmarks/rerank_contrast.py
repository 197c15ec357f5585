"""Features that set a candidate against the first stage and against its own article's other candidates.

The passage ranked above the answer is usually a neighbour from the same article, on the same topic: what tells them
apart is what one holds that the other does not. Every feature is computed among the candidates only, from the
first stage's scores and the lexical features of `stage.py`; none depends on a question set. Lab code for
rerank_learn.py / rerank_fit.py (none of it is shipped: the learned models that used it lost on team and dev).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

COMPONENTS = ("e5", "use", "bm25", "e5-sparse")
# in this order: the lexical features (stage.FEATURES) come first, then these
EXTRA = ("fused", "first", *(f"c:{c}" for c in COMPONENTS), "passage", "unique", "prox_gap", "fused_gap",
         "answer_gap", "alone")


def group_presence(terms: set[str], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """1 for each question group with a term among `terms`."""
    return np.array([any(t in terms for t in g) for g in groups], dtype=float)


def extra_features(head: Sequence[int], fused: Mapping[int, float], parts: Mapping[str, Mapping[int, float]],
                   article: Sequence[tuple[str, int]], presence: np.ndarray, weights: np.ndarray,
                   lexical: np.ndarray) -> np.ndarray:
    """[len(head), len(EXTRA)]: `presence` is [len(head), groups] (1 where a passage holds a group), `weights` the
    groups' IDF weights, `lexical` the stage's lexical matrix (sentence, coverage, proximity, answer)."""
    n = len(head)
    out = np.zeros((n, len(EXTRA)))
    f = np.array([fused[r] for r in head])
    spread = f[0] - f[-1] if n > 1 else 0.0
    out[:, 0] = (f - f[-1]) / spread if spread > 0 else 1.0
    out[:, 1] = 1.0 / (1.0 + np.arange(n))
    for j, c in enumerate(COMPONENTS):
        p = parts.get(c)
        if not p:
            continue
        s = np.array([p.get(r, 0.0) for r in head])
        top = s.max()
        out[:, 2 + j] = s / top if top > 0 else 0.0
    base = 2 + len(COMPONENTS)
    total = weights.sum()
    if total > 0 and presence.size:
        out[:, base] = presence @ weights / total
    for i in range(n):
        mates = [k for k in range(n) if k != i and article[k] == article[i]]
        if not mates:
            out[i, base + 5] = 1.0
            continue
        if total > 0 and presence.size:
            others = presence[mates].max(axis=0)
            out[i, base + 1] = (presence[i] * (1.0 - others)) @ weights / total
        out[i, base + 2] = lexical[i, 2] - lexical[mates, 2].max()
        out[i, base + 3] = out[i, 0] - out[mates, 0].max()
        out[i, base + 4] = lexical[i, 3] - lexical[mates, 3].max()
    return out


def full_features(stage, query: str, lang: str, rows: Sequence[int], fused: Mapping[int, float],
                  parts: Mapping[str, Mapping[int, float]], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """[len(rows), len(FEATURES) + len(EXTRA)]: every lexical feature of the reranker `stage`, then the first-stage
    and same-article contrast features."""
    from rag.retrieval.rerank import lexical
    from rag.retrieval.rerank.stage import _content

    lex = stage.features(query, lang, rows, groups).features
    groups = [list(g) for g in (_content(g) for g in groups) if g]
    weights = np.array(lexical.group_weights(groups, stage._idfs({t for g in groups for t in g})))
    presence = np.array([group_presence({t for s in stage._sentences(r) for t in s.terms}, groups)
                         for r in rows]).reshape(len(rows), len(groups))
    article = [(stage._passages[r].doc_id, stage._passages[r].article) for r in rows]
    return np.hstack([lex, extra_features(rows, fused, parts, article, presence, weights, lex)])
