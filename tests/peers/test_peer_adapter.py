"""The e5 adapter the peers embed through: the passage vectors it hands them are the ones e5 computes afresh."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from peer_rows.common import Corpus, E5Adapter  # noqa: E402


@pytest.mark.slow
def test_passage_vectors_taken_from_the_index_equal_a_fresh_e5_encoding(searcher):
    index = searcher.index
    e5 = searcher.embedders["e5"]
    adapter = E5Adapter(e5, index)
    texts = list(Corpus.of(index).texts[:3]) + ["a passage the index has never seen"]
    reused = adapter.encode_passages(texts)
    assert adapter.encoded_passages == 1  # only the unseen text went through the model
    np.testing.assert_allclose(reused, e5.encode_passages(texts), atol=1e-6)


@pytest.mark.slow
def test_query_vectors_are_e5_query_side_vectors(searcher):
    e5 = searcher.embedders["e5"]
    adapter = E5Adapter(e5, searcher.index)
    text = "What did Lavrov say about China?"
    q = adapter.encode_queries([text])
    np.testing.assert_allclose(q, e5.encode_queries([text]), atol=1e-6)
    # e5 reads "query: " and "passage: " differently: the same words are not the same vector on both sides
    assert not np.allclose(q, e5.encode_passages([text]), atol=1e-3)
