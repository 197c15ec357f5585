"""Each passage's BM25 terms in text order, stored by the build so that the reranker's proximity needs no Sudachi pass
per candidate: they are exactly the analyzer's terms, and proximity from them equals proximity from tokenizing."""

from __future__ import annotations

import numpy as np
import pytest

from rag.retrieval import Searcher
from rag.retrieval.engine import detect_language
from rag.retrieval.rerank import FEATURES, LexicalReranker
from rag.retrieval.rerank.sentences import split_sentences
from rag.stores.bm25 import BM25Store, TermSegment

QUESTIONS = (
    "What did Lavrov say about an alliance with China?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "For how many years has Russia withstood sanctions pressure?",
    "北朝鮮が最初に核実験を行ったのはいつか",
    "Why is the yuan used more in trade between the two countries?",
)


def test_every_stored_sequence_is_the_analyzers_terms_of_its_passage(searcher: Searcher) -> None:
    bm25, analyzer = searcher.index.bm25, searcher.analyzer
    assert bm25.has_sequences
    for row, passage in enumerate(searcher.index.passages):
        terms = analyzer.terms(passage.text)
        if searcher.index.is_source(passage):  # a source row is not counted (rag/components/lexical.py)
            assert bm25.term_sequence(row) == [] and terms, passage.passage_id
            continue
        assert bm25.term_sequence(row) == terms, passage.passage_id
        # the reranker's sentences hold the same terms in the same order
        assert [t for s in split_sentences(analyzer.tokens(passage.text)) for t in s.terms] == terms


def _without_sequences(store: BM25Store) -> BM25Store:
    """The same store as an index built before sequences were stored would load it."""
    parts = [TermSegment({name: getattr(p, name) for name in ("row_ptr", "row_term", "row_tf", "post_ptr",
                                                               "post_row", "post_tf")}) for p in store.parts]
    return BM25Store(store.vocab, parts, store.layout, store.k1, store.b, df=store.df)


@pytest.mark.parametrize("query", QUESTIONS)
def test_proximity_from_stored_sequences_equals_proximity_from_tokenizing(searcher: Searcher, query: str) -> None:
    stage = searcher.reranker
    old = _without_sequences(searcher.index.bm25)
    assert not old.has_sequences and old.term_sequence(0) is None
    tokenizing = LexicalReranker(searcher.index.passages, old, searcher.analyzer, stage.depth, None, stage.keep)
    lang = detect_language(query)
    question, _, fused, ranked = searcher._first_stage(query, lang, "hybrid", None, {})
    groups = searcher._term_groups(question)
    head = ranked[:30]
    stored = stage.features(query, lang, head, groups, {"proximity"}).features
    tokenized = tokenizing.features(query, lang, head, groups, {"proximity"}).features
    np.testing.assert_array_equal(stored, tokenized)
    assert stored[:, FEATURES.index("proximity")].max() > 0  # the question's terms occur near each other somewhere
    # and the whole stage ranks alike either way
    assert stage.rerank(query, lang, ranked, fused, groups, {}) == tokenizing.rerank(query, lang, ranked, fused,
                                                                                     groups, {})
