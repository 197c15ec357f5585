"""The English→Japanese lexical bridge (rag/stores/bridge.py) on the real JMdict data and the real seeds' vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.stores import bridge as bridge_module
from rag.stores.bridge import Bridge, _key, acronyms, build_bridge, content_words, english_words, read_terms, write_terms


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


def test_an_acronym_keeps_its_case_as_a_key_and_every_other_gloss_is_lower_cased() -> None:
    assert (_key("US"), _key("us"), _key("UN (United Nations)"), _key("Unit")) == ("US", "us", "UN", "unit")


@pytest.mark.parametrize(
    ("text", "caps", "words"),
    [
        ("How did the US vote at the UN, and what did WHO say?", {"us", "un", "who"}, ["US", "vote", "UN", "WHO"]),
        ("What did the US tell us?", {"us"}, ["US", "tell"]),  # one word, one reading: the capitals win
        ("WHAT DID THE US SAY", set(), ["us"]),  # all in capitals: the case says nothing
        ("What did Xi say in Moscow?", set(), ["xi", "moscow"]),
    ],
)
def test_acronyms_are_the_words_in_capitals_of_a_text_that_has_lower_case(text, caps, words) -> None:
    assert acronyms(text) == caps
    assert content_words(text) == words


def test_an_acronym_reaches_its_own_senses_not_the_lower_case_words(bridge: Bridge) -> None:
    # in JMdict "US" is 米国 and "us" is 私達; "UN" is 国連 and "un-" is 非, 不
    groups = bridge.expand("How did the US vote at the UN General Assembly?")
    assert ["米国"] in groups and ["国連"] in groups
    assert not any(term in group for group in groups for term in ("私達", "此方", "非", "不"))
    # written all in capitals, a question is read as before: its words in lower case
    assert bridge.expand("HOW DID THE US VOTE") == bridge.expand("how did the us vote")


def test_an_acronym_is_aligned_as_written(searcher) -> None:
    # the aligner embeds "US", which USE puts beside アメリカ, where "us" lies beside 我々 and 私達
    groups = searcher.term_groups("What does the US want from Moscow?")
    assert any("アメリカ" in group for group in groups)
    assert not any(term in group for group in groups for term in ("我々", "私達"))


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


# The dictionary's table (rag/stores/bridge.py): read from JMdict once per machine into SQLite, then looked up per
# build. The tables below are slices of the real one (the session index's), so these tests never read JMdict (~12 s).


@pytest.fixture(scope="module")
def real_slice(built_index) -> dict[str, str]:
    """The shared table's entries for the session index's vocabulary, as {term: packed}."""
    settings, _ = built_index
    (table,) = Path(settings.cache_dir or settings.index_dir / ".cache").glob("jmdict-terms-*.sqlite")
    vocabulary = json.loads(next((settings.index_dir / "builds").glob("*/bm25/vocab.json")).read_text())
    found = read_terms(table, vocabulary)
    assert len(found) > 500
    return found


def test_a_written_table_gives_back_exactly_the_entries_asked_for_in_any_number(tmp_path: Path, real_slice) -> None:
    odd = {"\x1f": "1\x1ex", "a'b": "2\x1ey", "人類": real_slice.get("人類", "3\x1ez"), "😀": "4\x1eq"}
    table = {**real_slice, **odd}
    path = tmp_path / "a dir?#%20" / "t.sqlite"  # characters a URI gives a meaning to
    write_terms(table, path)
    asked = list(table)[::-1] + ["not a term", "", "人類"] * 300  # more than one SELECT's worth, repeats, misses
    assert read_terms(path, asked) == table
    assert read_terms(path, []) == {} and read_terms(path, ["nope"]) == {}
    assert [p.name for p in path.parent.iterdir()] == ["t.sqlite"]  # nothing left aside


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_table_is_read_from_the_dictionary_again_and_replaced(tmp_path: Path, real_slice, damage: str,
                                                                        caplog, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []

    def read(db: Path) -> dict[str, str]:  # JMdict's reading, which every index build runs, stands in as a slice
        reads.append(1)
        return real_slice

    monkeypatch.setattr(bridge_module, "_read_dictionary", read)
    vocabulary = list(real_slice)[:300] + ["not a term"]
    first = build_bridge(vocabulary, cache_dir=tmp_path)
    (path,) = tmp_path.glob("jmdict-terms-*.sqlite")
    assert reads == [1] and first
    whole = path.read_bytes()
    path.write_bytes({"truncate": whole[: len(whole) // 3], "garbage": b"not a database" * 100, "empty": b""}[damage])
    with caplog.at_level("WARNING"):
        again = build_bridge(vocabulary, cache_dir=tmp_path)
    assert reads == [1, 1] and "unreadable" in caplog.text and again == first
    assert build_bridge(vocabulary, cache_dir=tmp_path) == first and reads == [1, 1]  # read from the new table


def test_the_tables_of_other_formats_are_removed_once_the_new_one_is_written(tmp_path: Path, real_slice,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge_module, "_read_dictionary", lambda db: real_slice)
    (tmp_path / "jmdict-terms-0123456789ab.marshal").write_bytes(b"67 MB that nothing reads any more")
    write_terms({"人類": "1\x1ehumanity"}, tmp_path / "jmdict-terms-ba9876543210.sqlite")  # a table of lower-case keys
    (tmp_path / "other.marshal").write_bytes(b"not ours")
    build_bridge(list(real_slice)[:10], cache_dir=tmp_path)
    (table,) = tmp_path.glob("jmdict-terms-*")
    assert table.suffix == ".sqlite" and table.name != "jmdict-terms-ba9876543210.sqlite"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([table.name, "other.marshal"])
