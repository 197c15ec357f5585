"""The English→Japanese lexical bridge (rag/stores/bridge.py) on the real JMdict data and the real seeds' vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.stores import bridge as bridge_module
from rag.stores.bridge import Bridge, _key, build_bridge, english_words, read_terms, write_terms


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


def test_the_previous_formats_table_is_removed_once_the_new_one_is_written(tmp_path: Path, real_slice,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge_module, "_read_dictionary", lambda db: real_slice)
    (tmp_path / "jmdict-terms-0123456789ab.marshal").write_bytes(b"67 MB that nothing reads any more")
    (tmp_path / "other.marshal").write_bytes(b"not ours")
    build_bridge(list(real_slice)[:10], cache_dir=tmp_path)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".marshal", ".sqlite"]
    assert (tmp_path / "other.marshal").is_file()
