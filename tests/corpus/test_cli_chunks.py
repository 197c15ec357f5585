"""The `rag chunks` subcommand: JSON Lines output, the readable summary, and exit codes (api/cli/chunks.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from rag.settings import CHUNK_MAX_TOKENS
from rag import tokens
from api.cli import main
from rag.corpus import Corpus
from rag.types import Passage

KEYS = {"passage_id", "doc_id", "article", "title", "start", "end", "text", "tokens"}


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads RAG_* variables; keep the developer's environment out of these tests."""
    for name in ("RAG_SEEDS_DIR", "RAG_CHUNK_MAX_TOKENS", "RAG_CHUNK_OVERLAP"):
        monkeypatch.delenv(name, raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_chunks_json_prints_one_passage_per_line_that_slices_back_to_its_seed_file(
    capsys: pytest.CaptureFixture[str], seeds_dir: Path, passages: list[Passage]
) -> None:
    code, out, err = _run(capsys, "chunks", "--seeds", str(seeds_dir), "--json")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(passages) > 0
    raws: dict[str, str] = {}
    ids = set()
    for line in lines:
        row = json.loads(line)
        assert set(row) == KEYS
        raw = raws.setdefault(row["doc_id"], (seeds_dir / f"{row['doc_id']}.txt").read_text(encoding="utf-8"))
        assert raw[row["start"] : row["end"]] == row["text"]
        assert row["tokens"] == tokens.count(row["text"]) <= CHUNK_MAX_TOKENS
        assert isinstance(row["article"], int) and row["title"]
        ids.add(row["passage_id"])
    assert len(ids) == len(lines)
    assert "中国との真の同盟関係の構築" in out  # Japanese is written as text, not \u escapes


def test_chunks_json_honours_the_max_tokens_flag(capsys: pytest.CaptureFixture[str], seeds_dir: Path) -> None:
    code, out, err = _run(capsys, "chunks", "--seeds", str(seeds_dir), "--json", "--max-tokens", "48", "--overlap", "0")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and max(r["tokens"] for r in rows) <= 48
    for a, b in zip(rows, rows[1:]):
        if (a["doc_id"], a["article"]) == (b["doc_id"], b["article"]):
            assert a["end"] <= b["start"], "overlap 0 must give disjoint passages"


def test_chunks_summary_names_every_document_with_article_passage_and_excluded_counts(
    capsys: pytest.CaptureFixture[str], seeds_dir: Path, corpus: Corpus, passages: list[Passage]
) -> None:
    code, out, err = _run(capsys, "chunks", "--seeds", str(seeds_dir))
    assert code == 0, err
    summary = re.compile(r"^(\S+): (\d+) article\(s\), (\d+) passage\(s\), (\d+) chars excluded (\{.*\})$")
    rows = {m[1]: m for m in map(summary.match, out.splitlines()) if m}
    assert set(rows) == {d.doc_id for d in corpus.documents}
    for doc in corpus.documents:
        m = rows[doc.doc_id]
        assert int(m[2]) == len(doc.articles)
        assert int(m[3]) == sum(p.doc_id == doc.doc_id for p in passages)
        assert int(m[4]) == sum(doc.excluded_chars().values()) > 0
        for reason in doc.excluded_chars():
            assert f"'{reason}'" in m[5]
        for a in doc.articles:
            assert a.title in out
    assert out.rstrip().endswith(f"total: 7 articles, {len(passages)} passages")
    assert "{" not in out.splitlines()[-1] and "passage_id" not in out  # a summary, not JSON


def test_chunks_summary_lists_skipped_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seeds_dir: Path
) -> None:
    shutil.copy(seeds_dir / "003_4dfd093ef708d448.txt", tmp_path)
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\x00\x01binary")
    code, out, err = _run(capsys, "chunks", "--seeds", str(tmp_path))
    assert code == 0, err
    assert f"skipped {bad}: " in out
    assert "total: 1 articles" in out


def test_chunks_with_a_missing_seeds_dir_exits_1_with_a_clear_message_and_no_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-seeds"
    code, out, err = _run(capsys, "chunks", "--seeds", str(missing), "--json")
    assert code == 1
    assert out == ""
    assert "no-such-seeds" in err and "does not exist" in err
    assert "Traceback" not in err


def test_an_unknown_subcommand_is_a_usage_error_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "frobnicate")
    assert code == 2
    assert "frobnicate" in err and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("budget", ["8", "513", "100000"])  # 100000 made whole-article passages without a word
def test_a_passage_budget_outside_16_to_512_is_a_configuration_error_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], seeds_dir: Path, budget: str
) -> None:
    code, out, err = _run(capsys, "chunks", "--seeds", str(seeds_dir), "--max-tokens", budget)
    assert code == 2
    assert "max_tokens" in err and "must be 16..512" in err and "Traceback" not in err
    assert out == ""
    code, out, err = _run(capsys, "index", "build", "--seeds", str(seeds_dir), "--index", "/nonexistent/x",
                          "--max-tokens", budget)
    assert code == 2 and "must be 16..512" in err and "Traceback" not in err
