"""The corpus pseudo-questions and the pairwise fit behind the Japanese rerank weight (benchmarks/rerank_learn.py,
benchmarks/rerank_fit.py), on the session's real index: invariants only."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.retrieval import Searcher
from rag.retrieval.rerank.sentences import split_sentences
from rag.stores.japanese import fold

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from rerank_fit import NAMES, fit  # noqa: E402
from rerank_learn import detail_spots, en_question, inverse_bridge, ja_question, pseudo_items  # noqa: E402


@pytest.fixture(scope="module")
def detailed(searcher: Searcher):
    """The first sentences of the corpus that hold a detail (a number, a date, a place, a person)."""
    out = []
    for p in searcher.index.passages:
        for s in split_sentences(searcher.analyzer.tokens(p.text)):
            if detail_spots(s.tokens) and sum(t.term is not None for t in s.tokens) >= 6:
                out.append(s)
        if len(out) >= 20:
            return out
    return out


def test_a_japanese_pseudo_question_asks_for_the_detail_it_leaves_out(detailed) -> None:
    made = 0
    for i, s in enumerate(detailed):
        for style in ("cloze", "terms"):
            q = ja_question(s.tokens, random.Random(i), 0.4, style)
            if q is None:
                continue
            text, kind = q
            made += 1
            assert kind in ("number", "date", "place", "entity") and text.endswith("か")
            assert any(w in text for w in ("何", "いつ", "どこ", "誰"))
            sentence = "".join(t.surface for t in s.tokens)
            assert text != sentence + "か"  # something was taken out
    assert made >= 10


def test_an_english_pseudo_question_is_made_of_bridge_keys_that_reach_the_sentence(searcher: Searcher, detailed) -> None:
    table = searcher.index.bridge.table
    gloss = inverse_bridge(table)
    assert gloss and all(term in table[key] for term, keys in list(gloss.items())[:200] for key in keys)
    made = 0
    for i, s in enumerate(detailed):
        q = en_question(s.tokens, random.Random(i), 0.4, gloss, "terms")
        if q is None:
            continue
        text, kind = q
        made += 1
        assert text.isascii() and text.endswith("?")
        assert text.startswith({"number": "how many", "date": "when", "place": "where", "entity": "who"}[kind])
        # its words reach the sentence's own terms through the bridge: the cross-lingual path is exercised
        groups = searcher.index.bridge.expand(text)
        terms = {t.term for t in s.tokens}
        assert any(t in terms for g in groups for t in g), text
    assert made >= 5


def test_a_pseudo_question_is_relevant_to_the_passages_holding_its_sentence(searcher: Searcher) -> None:
    items = pseudo_items(searcher, 5, 5, 0.4, seed=3, style="terms")
    assert {lang for _, lang, _, _ in items} == {"ja", "en"} and len(items) == 10
    passages = searcher.index.passages
    for _, _, question, rel in items:
        assert rel, question  # the source sentence lies in at least one passage
        texts = [fold(passages[r].text) for r in rel]
        assert all(passages[r].doc_id == passages[next(iter(rel))].doc_id for r in rel)
        assert len(set(texts)) == len(texts)  # overlapping passages, not copies


def test_the_pairwise_fit_weighs_what_separates_the_relevant_passage() -> None:
    # synthetic candidates: the relevant one is told apart by proximity, never by the fused score
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(200):
        X = np.zeros((10, len(NAMES)))
        X[:, NAMES.index("fused")] = rng.random(10)
        X[:, NAMES.index("proximity")] = rng.random(10) * 0.5
        X[3, NAMES.index("proximity")] += 0.5
        rows.append({"head": list(range(10)), "rel": {3}, "X": X, "art": [("d", 0)] * 10})
    cols = [NAMES.index("fused"), NAMES.index("proximity")]
    w, n = fit(rows, "article", cols, 1.0)
    assert n == 200 * 9
    assert w[1] > 0 and w[1] > 5 * abs(w[0])
    # and it is the optimum of the regularised objective: the gradient vanishes there
    D = np.array([r["X"][3, cols] - r["X"][j, cols] for r in rows for j in range(10) if j != 3])
    X, y = np.vstack([D, -D]), np.r_[np.ones(len(D)), np.zeros(len(D))]
    p = 1 / (1 + np.exp(-(X @ w)))
    assert np.abs(X.T @ (p - y) + w).max() < 1e-6
