"""The English→Japanese lexical bridge (rag/stores/bridge.py) on the real JMdict data and the real seeds' vocabulary."""

from __future__ import annotations

import pytest

from rag.stores.bridge import Bridge, _key, english_words


@pytest.fixture(scope="module")
def bridge(searcher) -> Bridge:
    assert len(searcher.index.bridge) > 1000, "the default index should carry a JMdict bridge"
    return searcher.index.bridge


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("the 'new détente'", ["the", "new", "detente"]),
        ("'community with a shared future for mankind'", ["community", "with", "a", "shared", "future", "for", "mankind"]),
        ("Moscow’s demand", ["moscow's", "demand"]),
        ("dual-use aid", ["dual-use", "aid"]),
        ("Xi's 2025 visit!", ["xi's", "visit"]),
    ],
)
def test_english_words_fold_accents_and_drop_quote_marks(text: str, words: list[str]) -> None:
    assert english_words(text) == words


def test_dictionary_keys_are_folded_like_question_words() -> None:
    assert _key("Détente") == "detente"
    assert _key("to lead (e.g. a team)") == "lead"


def test_a_word_in_quotes_still_reaches_its_japanese_term(bridge: Bridge) -> None:
    # regression: "mankind'" (with the closing quote) used to miss the dictionary
    assert ["人類"] in bridge.expand("What is the 'community with a shared future for mankind'?")


def test_an_accented_word_reaches_its_katakana_term(bridge: Bridge) -> None:
    assert any("デタント" in group for group in bridge.expand("What is the new détente?"))


def test_every_proposed_term_is_in_the_corpus_vocabulary(bridge: Bridge, searcher) -> None:
    vocab = searcher.index.bm25.vocabulary
    groups = bridge.expand("What did Lavrov say about an alliance with China and sanctions on North Korea?")
    assert groups and all(term in vocab for group in groups for term in group)


def test_stop_words_and_unknown_words_add_nothing(bridge: Bridge) -> None:
    assert bridge.expand("what did the of to") == []
    assert bridge.expand("qwzxv blorptang") == []
