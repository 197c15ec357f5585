"""Loading a seeds directory: bad files are skipped with a warning and never stop the good ones."""

from __future__ import annotations

import hashlib
import logging
import random
import shutil
from pathlib import Path

import pytest

from rag import tokens
from rag.chunking import ChunkParams, chunk_corpus, chunk_document
from rag.corpus import Corpus, CorpusWarning, load_corpus, read_seed
from rag.errors import CorpusError

GOOD = "001_9c689277a1938a75"  # two articles, with Cloudflare chrome and a feed excerpt in between

LATIN1 = "Café résumé, naïve façade — à la carte. Ébène señor Müller.\n".replace("—", "-").encode("latin-1")
SHIFT_JIS = "ロシアと中国の関係は新たな段階に入った。\n".encode("shift_jis")

BAD_FILES = {
    "empty": (b"", "empty"),
    "blank": (b"  \n\n\t \n", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4, "binary"),
    "latin1": (LATIN1, "UTF-8"),
    "shift_jis": (SHIFT_JIS, "UTF-8"),
    "control_chars": (bytes(range(1, 32)) * 20, "binary"),
    # text, then NUL bytes past the first 8 KB, which the check read alone (the NULs reached passages and answers)
    "late_nul": ("ロシアと中国の関係は新たな段階に入った。\n".encode() * 400 + b"\x00\x00junk\n",
                 "NUL bytes, the first at byte 24400"),
    "chrome_only": ("Attention Required! | Cloudflare\nスポンサーリンク\nコメント\n".encode(), "no article text"),
}


def _seed_dir_with(tmp_path: Path, seeds_dir: Path, name: str, data: bytes) -> tuple[Path, Path]:
    """A seeds dir holding one real seed and one extra file; returns (dir, extra file)."""
    d = tmp_path / "seeds"
    d.mkdir()
    shutil.copy(seeds_dir / f"{GOOD}.txt", d / f"{GOOD}.txt")
    extra = d / f"{name}.txt"
    extra.write_bytes(data)
    return d, extra


def _japanese_line(n: int, seed: int = 0) -> str:
    """n characters of Japanese with no punctuation, varied so that no two passages repeat."""
    alphabet = "日本中国露米大統領会談同盟関係政治経済外相声明戦略協力安全保障世界平和交渉制裁あいうえおかきくけこアイウエオ"
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_skipped_with_a_warning_naming_it_and_the_good_seed_still_loads(
    tmp_path: Path, seeds_dir: Path, corpus: Corpus, kind: str
) -> None:
    data, expected = BAD_FILES[kind]
    d, bad = _seed_dir_with(tmp_path, seeds_dir, f"zz_{kind}", data)

    loaded = load_corpus(d)

    assert [w.path for w in loaded.warnings] == [str(bad)]
    assert expected in loaded.warnings[0].message
    good = loaded.get(GOOD)
    reference = corpus.get(GOOD)
    assert good is not None
    assert [(a.title, a.published, a.start, a.end) for a in good.articles] == [
        (a.title, a.published, a.start, a.end) for a in reference.articles
    ]
    got = [(p.start, p.end, p.text) for p in chunk_corpus(loaded.documents, ChunkParams())]
    want = [(p.start, p.end, p.text) for p in chunk_document(reference, ChunkParams())]
    assert got == want and got


@pytest.mark.parametrize("kind", ["empty", "binary", "latin1", "chrome_only"])
def test_a_bad_file_is_logged_as_a_warning_naming_its_path(
    tmp_path: Path, seeds_dir: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    data, _ = BAD_FILES[kind]
    d, bad = _seed_dir_with(tmp_path, seeds_dir, f"zz_{kind}", data)
    with caplog.at_level(logging.WARNING, logger="rag.corpus"):
        load_corpus(d)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and str(bad) in r.getMessage()]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records]
    assert not any(GOOD in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_an_unreadable_encoding_warning_tells_the_user_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(LATIN1)
    text, problem = read_seed(path)
    assert text is None
    assert "UTF-8" in problem and "byte 3" in problem


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_as_such_not_as_binary(tmp_path: Path, encoding: str) -> None:
    """Windows Notepad's "Unicode" (a probe's finding: it was reported as a binary file)."""
    path = tmp_path / "x.txt"
    mark = "\ufeff" if encoding.endswith("be") else ""  # "utf-16" writes its own
    path.write_bytes(f"{mark}ロシアと中国の関係。\n".encode(encoding))
    text, problem = read_seed(path)
    assert text is None and problem == "file is UTF-16 text (it opens with a UTF-16 byte order mark); re-save it as UTF-8"


def test_a_utf32_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes("ロシアと中国の関係。\n".encode("utf-32"))  # FF FE 00 00, which opens as UTF-16's mark does
    assert read_seed(path) == (None, "file is UTF-32 text (it opens with a UTF-32 byte order mark); re-save it as UTF-8")


def test_a_chrome_only_file_is_loaded_as_a_document_without_articles_or_passages(
    tmp_path: Path, seeds_dir: Path
) -> None:
    data, _ = BAD_FILES["chrome_only"]
    d, bad = _seed_dir_with(tmp_path, seeds_dir, "zz_chrome_only", data)
    loaded = load_corpus(d)
    doc = loaded.get("zz_chrome_only")
    assert doc is not None and doc.articles == ()
    assert doc.excluded_chars() == {"chrome": 44}
    assert not [p for p in chunk_corpus(loaded.documents, ChunkParams()) if p.doc_id == "zz_chrome_only"]
    assert loaded.warnings == (CorpusWarning(str(bad), loaded.warnings[0].message),)


def test_one_enormous_unpunctuated_line_loads_and_is_chunked_within_budget(tmp_path: Path, seeds_dir: Path) -> None:
    huge = _japanese_line(50_000)
    d, _ = _seed_dir_with(tmp_path, seeds_dir, "zz_huge", huge.encode())

    loaded = load_corpus(d)

    assert loaded.warnings == ()
    doc = loaded.get("zz_huge")
    assert doc is not None and len(doc.articles) == 1
    params = ChunkParams(max_tokens=160, overlap=1)
    mine = [p for p in chunk_corpus(loaded.documents, params) if p.doc_id == "zz_huge"]
    assert len(mine) > 100
    for p in mine:
        assert huge[p.start : p.end] == p.text
        assert p.tokens == tokens.count(p.text) <= 160
    covered = bytearray(len(huge))
    for p in mine:
        covered[p.start : p.end] = b"\x01" * (p.end - p.start)
    assert all(covered), "some of the enormous line is in no passage"
    assert loaded.get(GOOD).articles  # the neighbour is unaffected


def test_only_txt_files_are_read_and_what_is_named_like_a_seed_but_is_no_file_is_said(tmp_path: Path,
                                                                                         seeds_dir: Path) -> None:
    """A directory named x.txt, a FIFO and a link to nothing were skipped without a word, by the loader and by the
    build's reader of the seeds alike (`rag/indexing/reuse.py`); both now say so, the same way."""
    import os

    from rag.indexing.reuse import plan_corpus

    d, _ = _seed_dir_with(tmp_path, seeds_dir, "zz_other", "本文です。".encode())
    (d / "zz_other.txt").rename(d / "notes.md")  # not named like a seed: not read, nothing said
    (d / "folder.txt").mkdir()
    os.mkfifo(d / "pipe.txt")
    (d / "gone.txt").symlink_to(tmp_path / "no-such-file")
    loaded = load_corpus(d)
    assert [doc.doc_id for doc in loaded.documents] == [GOOD]
    warned = {w.path.rsplit("/", 1)[-1]: w.message for w in loaded.warnings}
    assert warned == {"folder.txt": "a directory: not read as a seed", "gone.txt": "a link to nothing: not read as a seed",
                      "pipe.txt": "not a regular file: not read as a seed"}
    planned = plan_corpus(d, ChunkParams())
    assert [doc.doc_id for doc in planned.corpus.documents] == [GOOD] and planned.corpus.warnings == loaded.warnings


def test_a_link_out_of_the_seeds_folder_is_not_read_and_a_link_inside_it_is(tmp_path: Path, seeds_dir: Path) -> None:
    """Every seed's text is served to any client (/v1/documents): a link placed by mistake published the file it
    pointed at (a probe linked /etc/passwd). A link to a seed in the folder, or a seeds folder that is itself a link,
    is read as before."""
    from rag.indexing.reuse import plan_corpus

    d, _ = _seed_dir_with(tmp_path, seeds_dir, "zz_other", "本文です。".encode())
    outside = tmp_path / "elsewhere.txt"
    outside.write_bytes((d / f"{GOOD}.txt").read_bytes())
    (d / "zz_out.txt").symlink_to(outside)
    (d / "zz_in.txt").symlink_to(d / "zz_other.txt")
    (tmp_path / "linked-seeds").symlink_to(d, target_is_directory=True)
    for folder in (d, tmp_path / "linked-seeds"):
        loaded = load_corpus(folder)
        assert sorted(doc.doc_id for doc in loaded.documents) == [GOOD, "zz_in", "zz_other"]
        assert [(w.path.rsplit("/", 1)[-1], w.message) for w in loaded.warnings] == [("zz_out.txt", (
            "a link to a file outside the seeds folder: not read as a seed (copy the file in to index it)"))]
        assert plan_corpus(folder, ChunkParams()).corpus.warnings == loaded.warnings


def test_hidden_files_and_upper_case_suffixes_are_skipped_with_a_warning(tmp_path: Path, seeds_dir: Path) -> None:
    d, _ = _seed_dir_with(tmp_path, seeds_dir, "zz_other", "本文です。".encode())
    good = (d / f"{GOOD}.txt").read_bytes()
    for name in (".txt", ".zz_hidden.txt", "zz_upper.TXT"):
        (d / name).write_bytes(good)
    loaded = load_corpus(d)
    assert sorted(doc.doc_id for doc in loaded.documents) == [GOOD, "zz_other"]
    warned = {w.path.rsplit("/", 1)[-1]: w.message for w in loaded.warnings}
    assert set(warned) == {".txt", ".zz_hidden.txt", "zz_upper.TXT"}
    assert "hidden file" in warned[".txt"] and "rename it to zz_upper.txt" in warned["zz_upper.TXT"]


def test_a_subfolder_of_seeds_and_a_name_with_a_line_break_are_named_in_the_warnings(tmp_path: Path,
                                                                                      seeds_dir: Path) -> None:
    """Seeds are read from the folder itself: a subfolder of .txt files (seeds/2024/) was skipped without a word, and
    a line break in a file name went into the document's id, its citations and every log line naming it."""
    d, _ = _seed_dir_with(tmp_path, seeds_dir, "zz_other", "本文です。".encode())
    good = (d / f"{GOOD}.txt").read_bytes()
    (d / "2024").mkdir()
    (d / "2024" / "zz_nested.txt").write_bytes(good)
    (d / "notes").mkdir()  # a folder without seeds, and a file that is no seed by name, are not ours to mention
    (d / "README.md").write_text("about these seeds", encoding="utf-8")
    (d / "zz_two\nlines.txt").write_bytes(good)
    loaded = load_corpus(d)
    assert sorted(doc.doc_id for doc in loaded.documents) == [GOOD, "zz_other"]
    warned = {w.path.rsplit("/", 1)[-1]: w.message for w in loaded.warnings}
    assert warned == {"2024": "a folder of .txt files: seeds are read from the seeds folder itself, not its subfolders",
                      "zz_two\\x0alines.txt": "its name holds a control character (a line break?): rename the file to "
                                               "index it"}
    assert all("\n" not in w.path for w in loaded.warnings)


def test_an_empty_seeds_directory_loads_as_an_empty_corpus(tmp_path: Path) -> None:
    loaded = load_corpus(tmp_path)
    assert loaded.documents == () and loaded.warnings == ()


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_seeds_path_that_is_not_a_directory_raises_corpus_error_naming_it(tmp_path: Path, make: str) -> None:
    path = tmp_path / "nope"
    if make == "file":
        path.write_text("x")
    with pytest.raises(CorpusError, match="nope"):
        load_corpus(path)


def test_documents_come_in_file_name_order_with_doc_id_path_and_checksum(corpus: Corpus, seeds_dir: Path) -> None:
    for doc in corpus.documents:
        path = Path(doc.path)
        assert path.name == f"{doc.doc_id}.txt" and path.parent == seeds_dir
        assert doc.raw == path.read_text(encoding="utf-8")
        assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_loading_is_deterministic(seeds_dir: Path, corpus: Corpus) -> None:
    assert load_corpus(seeds_dir) == corpus


def test_a_utf8_seed_with_a_byte_order_mark_gets_the_same_title_as_without_it(tmp_path: Path, seeds_dir: Path) -> None:
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "bom.txt").write_bytes(b"\xef\xbb\xbf" + (seeds_dir / "000_77323e78f047d601.txt").read_bytes())
    loaded = load_corpus(d)
    doc = loaded.get("bom")
    assert [a.title for a in doc.articles] == ["「ロシアが中国を裏切る」との主張を否定"]
    assert not any("\ufeff" in p.text for p in chunk_corpus(loaded.documents, ChunkParams()))


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_a_seed_whose_lines_end_otherwise_gives_the_same_articles_and_passages(tmp_path: Path, seeds_dir: Path,
                                                                                ending: str) -> None:
    """A file from classic Mac OS ends its lines in '\\r' alone: it was read as one line, its title the whole text,
    undated. Windows' '\\r\\n' gave the same passages as '\\n' already and still does."""
    raw = (seeds_dir / "000_77323e78f047d601.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    for name, text in (("lf", raw), ("other", raw.replace("\n", ending))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "000.txt").write_bytes(text.encode("utf-8"))
    lf, other = (load_corpus(tmp_path / name).get("000") for name in ("lf", "other"))
    assert [(a.title, a.published) for a in other.articles] == [(a.title, a.published) for a in lf.articles]
    assert lf.articles[0].published
    ours, theirs = (chunk_corpus([doc], ChunkParams()) for doc in (lf, other))
    assert [p.text.replace(ending, "\n") for p in theirs] == [p.text for p in ours]
    if len(ending) == 1:  # the same characters, one for one: the same offsets too
        assert [(p.start, p.end) for p in theirs] == [(p.start, p.end) for p in ours]


@pytest.mark.parametrize("encoding, order", [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_a_utf16_file_without_its_mark_is_named_as_such(tmp_path: Path, encoding: str, order: str) -> None:
    """A probe's finding: it was "looks binary", with no word on what to do."""
    path = tmp_path / "x.txt"
    path.write_bytes("ロシアと中国の関係。\n2025年5月8日\n".encode(encoding))
    assert read_seed(path) == (None, f"file looks like UTF-16 text ({order}, without a byte order mark); re-save it "
                                     "as UTF-8")
    path.write_bytes(bytes(range(256)) * 4)  # binary data is still binary
    assert "looks binary" in read_seed(path)[1]

