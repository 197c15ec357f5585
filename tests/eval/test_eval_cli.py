"""`rag eval` through api.cli.main: exit codes, one JSON object on stdout, and the files --out writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

REPO = Path(__file__).resolve().parents[2]
TEAM = REPO / "eval" / "questions" / "team.jsonl"
METRICS = {"hit@1", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}


@pytest.fixture(scope="module")
def small_questions(tmp_path_factory) -> Path:
    """Two English and two Japanese questions from the team set."""
    lines = [ln for ln in TEAM.read_text("utf-8").splitlines() if ln.strip()]
    en = [ln for ln in lines if json.loads(ln)["lang"] == "en"][:2]
    ja = [ln for ln in lines if json.loads(ln)["lang"] == "ja"][:2]
    path = tmp_path_factory.mktemp("questions") / "small.jsonl"
    path.write_text("\n".join(en + ja) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def index_flags(built_index, embedders, monkeypatch) -> list[str]:
    """Flags naming the session's index; the command loads that index itself but reuses the session's models,
    which are the ones it would construct (loading them again costs a minute on a busy machine and tests nothing)."""
    monkeypatch.setattr("rag.runtime.load_embedders", lambda settings: embedders)
    settings, _ = built_index
    return ["--index", str(settings.index_dir), "--seeds", str(settings.seeds_dir)]


@pytest.mark.slow
def test_rag_eval_json_prints_one_object_mode_group_metric(index_flags, small_questions, built_index, capsys):
    code = main(["eval", "--questions", str(small_questions), *index_flags, "--modes", "hybrid,bm25",
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    obj = json.loads(out)  # exactly one JSON document
    assert out.count("\n") == 1
    assert set(obj) == {"hybrid", "bm25"}
    for body in obj.values():
        assert set(body) == {"all", "en", "ja", "latency_ms", "questions", "index_versions", "shed"}
        assert body["questions"] == {"all": 4, "en": 2, "ja": 2}  # what the scores are shares of
        assert body["index_versions"] == [built_index[1].index_version] and body["shed"] == 0
        assert all(set(body[g]) == METRICS for g in ("all", "en", "ja"))
        assert all(0 <= v <= 1 for g in ("all", "en", "ja") for v in body[g].values())
        assert set(body["latency_ms"]) == {"p50", "p95"}


@pytest.mark.slow
def test_rag_eval_out_writes_runs_qrels_report_and_plot(index_flags, small_questions, tmp_path, capsys):
    out_dir = tmp_path / "report"
    code = main(["eval", "--questions", str(small_questions), "--questions", str(small_questions),
                 *index_flags, "--modes", "hybrid,bm25", "--k", "1,3", "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "recall@3" in out and "hybrid" in out  # the readable table
    names = {p.name for p in out_dir.iterdir()}
    assert names == {"run.hybrid.trec", "run.bm25.trec", "qrels.trec", "report.md", "recall_at_k.png"}
    run_lines = (out_dir / "run.hybrid.trec").read_text("utf-8").splitlines()
    qids = {ln.split()[0] for ln in run_lines}
    assert len(qids) == 8  # the same file twice: the second copy's ids carry the stem prefix
    assert any(q.startswith("small:") for q in qids)
    for ln in run_lines:
        qid, q0, docno, rank, score, tag = ln.split(" ")
        assert q0 == "Q0" and tag == "rag-hybrid" and "#" in docno and 1 <= int(rank) <= 10 and float(score) > 0
    for ln in (out_dir / "qrels.trec").read_text("utf-8").splitlines():
        qid, zero, docno, rel = ln.split(" ")
        assert qid in qids and zero == "0" and rel == "1"
    report = (out_dir / "report.md").read_text("utf-8")
    assert str(small_questions) in report and "index version" in report and "| hybrid | ja |" in report
    png = (out_dir / "recall_at_k.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    # a second run into the same folder leaves one run's files: the first run's e5 file went (beside the second's
    # qrels, trec_eval over run.*.trec mixed the two); what is not a run file stays
    (out_dir / "notes.txt").write_text("mine")
    (out_dir / "run.mysystem.trec").write_text("q1 Q0 d1 1 1.0 mysystem\n")  # another system's run: not ours to remove
    code = main(["eval", "--questions", str(small_questions), *index_flags, "--modes", "bm25", "--out", str(out_dir)])
    assert code == 0, capsys.readouterr().err
    assert {p.name for p in out_dir.iterdir()} == {"run.bm25.trec", "qrels.trec", "report.md", "recall_at_k.png",
                                                 "notes.txt", "run.mysystem.trec"}
    (out_dir / "run.mysystem.trec").unlink()
    assert "questions: 4 (2 en, 2 ja)" in (out_dir / "report.md").read_text("utf-8")
    # a file's place taken by a folder: refused naming it, and nothing in the folder changes
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    (out_dir / "qrels.trec").unlink()
    (out_dir / "qrels.trec").mkdir()
    before.pop("qrels.trec")
    code = main(["eval", "--questions", str(small_questions), *index_flags, "--modes", "e5", "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 1 and str(out_dir / "qrels.trec") in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out_dir.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://127.0.0.1:9/v1/"])  # an OpenAI client's base URL too
def test_an_unreachable_url_exits_1_with_a_clear_message(small_questions, capsys, url):
    code = main(["eval", "--questions", str(small_questions), "--url", url, "--seeds",
                 str(REPO / "seeds"), "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "cannot reach the service at 'http://127.0.0.1:9'" in err and "Traceback" not in err


def test_a_bad_question_file_exits_1_naming_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "lang": "de", "question": "?", "evidence": [{"doc": "d", "quote": "q"}]}\n', "utf-8")
    code = main(["eval", "--questions", str(bad), "--url", "http://127.0.0.1:9", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "bad.jsonl:1: lang 'de' is not allowed" in err


@pytest.mark.parametrize(("line", "says"), [
    ('{"id": "a", "lang": "en", "question": "?", "evidence": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "bad.jsonl:1: JSON nested too deeply"),
    ('{"id": "a", "lang": "en", "question": "?", "n": ' + "9" * 5000 + ', "evidence": []}',
     "bad.jsonl:1: unreadable JSON value"),
])
def test_a_question_file_python_cannot_parse_exits_1_naming_the_line(tmp_path, capsys, line, says):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n", "utf-8")
    code = main(["eval", "--questions", str(bad), "--url", "http://127.0.0.1:9", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and says in err and "Traceback" not in err


def test_evidence_naming_no_possible_file_is_a_quote_that_cannot_be_judged(tmp_path, capsys):
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "a", "lang": "en", "question": "?", "evidence": [{"doc": "000\\u0000x", "quote": "q"}]}\n',
                 "utf-8")
    code = main(["eval", "--questions", str(q), "--url", "http://127.0.0.1:9", "--seeds", str(REPO / "seeds")])
    assert code == 1 and "1 evidence quote(s) cannot be judged" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "says"), [
    (["--url", "http://[::1"], "is not a URL"),
    (["--url", "http://127.0.0.1:9", "--out", "{file}"], "it is a file, not a folder"),
    (["--url", "http://127.0.0.1:9", "--out", "/proc/rag-eval"], "cannot write there"),
])
def test_an_unusable_url_or_report_folder_is_refused_before_any_question(small_questions, tmp_path, capsys, args,
                                                                          says):
    (tmp_path / "a-file").write_text("x")
    args = [a.replace("{file}", str(tmp_path / "a-file")) for a in args]
    code = main(["eval", "--questions", str(small_questions), "--seeds", str(REPO / "seeds"), *args])
    err = capsys.readouterr().err
    assert code in (1, 2) and says in err and "Traceback" not in err
    assert "cannot reach the service" not in err  # refused before the evaluation ran


def test_a_quote_missing_from_the_seeds_exits_1_before_any_search(tmp_path, capsys):
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "a", "lang": "en", "question": "?", '
                 '"evidence": [{"doc": "000_77323e78f047d601", "quote": "not in the file"}]}\n', "utf-8")
    code = main(["eval", "--questions", str(q), "--url", "http://127.0.0.1:9", "--seeds", str(REPO / "seeds")])
    assert code == 1
    assert "1 evidence quote(s) cannot be judged" in capsys.readouterr().err


@pytest.mark.parametrize("k", ["0", "11", "a,5", ",", "²", "١", "１"])  # digits Python reads, a cut-off is ASCII
def test_a_bad_cutoff_is_a_usage_error(small_questions, capsys, k):
    code = main(["eval", "--questions", str(small_questions), "--url", "http://127.0.0.1:9", "--k", k])
    assert code == 2
    assert "--k" in capsys.readouterr().err


@pytest.fixture
def edited_seeds(built_index, tmp_path) -> Path:
    """A copy of the session index's seeds, each file with one line more at its top: every quote is still in it,
    and every offset has moved."""
    settings, _ = built_index
    copy = tmp_path / "seeds"
    copy.mkdir()
    for path in sorted(Path(settings.seeds_dir).glob("*.txt")):
        (copy / path.name).write_bytes("編集済み\n".encode("utf-8") + path.read_bytes())
    return copy


def test_seeds_edited_since_the_build_are_refused_not_scored_against_moved_offsets(index_flags, small_questions,
                                                                                  edited_seeds, tmp_path, capsys):
    """They scored hybrid dev 0.562 against 0.688, with exit 0."""
    flags = [f if f != index_flags[3] else str(edited_seeds) for f in index_flags]
    out_dir = tmp_path / "new-report"
    code = main(["eval", "--questions", str(small_questions), *flags, "--modes", "bm25", "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 1 and "differ from the text the index was built from" in err and "rebuild the index" in err
    assert ".txt" in err and "Traceback" not in err
    assert not out_dir.exists()  # the folder made for the report is not left behind, empty


@pytest.mark.parametrize("doc", ["005_not_indexed", "../seeds/000_77323e78f047d601"])
def test_evidence_in_a_document_the_index_does_not_hold_is_refused(index_flags, edited_seeds, tmp_path, capsys, doc):
    """A seed the index lacks (or a path out of the seeds folder) can never be cited: it scored a silent 0."""
    settings_seeds = Path(index_flags[3])
    (edited_seeds / "005_not_indexed.txt").write_text("ラヴロフ外相は同盟について語った。\n", "utf-8")
    seeds = edited_seeds if doc.startswith("005") else settings_seeds
    quote = "ラヴロフ外相" if doc.startswith("005") else (settings_seeds / "000_77323e78f047d601.txt").read_text("utf-8")[100:130]
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "a", "lang": "ja", "question": "同盟?", "evidence": [{"doc": doc, "quote": quote}]},
                            ensure_ascii=False) + "\n", "utf-8")
    flags = [index_flags[0], index_flags[1], "--seeds", str(seeds)]
    code = main(["eval", "--questions", str(q), *flags, "--modes", "bm25"])
    err = capsys.readouterr().err
    assert code == 1 and "not in the index, so no passage of theirs can be cited" in err and doc in err


@pytest.mark.slow
def test_two_runs_into_one_folder_at_once_leave_one_run_whole(index_flags, small_questions, tmp_path, monkeypatch):
    """Run A (bm25 + hybrid, four questions) moves its first file in, and is held there until run B (bm25, two
    other questions) has written its own and had a second to move them in too. B waits its turn; the folder ends
    with B's run whole, not B's bm25 run beside A's hybrid run, qrels and report."""
    import threading
    import time

    import eval.report as report

    other = tmp_path / "other.jsonl"
    lines = [ln for ln in TEAM.read_text("utf-8").splitlines() if ln.strip()]
    other.write_text("\n".join(lines[-2:]) + "\n", encoding="utf-8")
    b_staged = threading.Event()
    held = []
    replace, plot = report.os.replace, report.plot_recall

    def slow_replace(src, dst):
        replace(src, dst)
        if threading.current_thread().name == "A" and not held and Path(dst).parent == out_dir:  # A's first file in
            held.append(dst)
            assert b_staged.wait(60)
            time.sleep(1.0)  # B, if it need not wait, moves its files in meanwhile

    def plot_then_tell(ev, path):
        plot(ev, path)
        if threading.current_thread().name == "B":
            b_staged.set()

    out_dir = tmp_path / "report"
    monkeypatch.setattr(report.os, "replace", slow_replace)  # os.replace for the process: held only for out_dir
    monkeypatch.setattr(report, "plot_recall", plot_then_tell)
    codes = {}
    runs = {"A": [small_questions, "bm25,hybrid"], "B": [other, "bm25"]}

    def run(name):
        questions, modes = runs[name]
        codes[name] = main(["eval", "--questions", str(questions), *index_flags, "--modes", modes,
                            "--out", str(out_dir)])

    a = threading.Thread(target=run, args=("A",), name="A")
    a.start()
    while not held and a.is_alive():
        time.sleep(0.05)
    b = threading.Thread(target=run, args=("B",), name="B")
    b.start()
    a.join(120)
    b.join(120)
    assert codes == {"A": 0, "B": 0} and held
    assert {p.name for p in out_dir.iterdir()} == {"run.bm25.trec", "qrels.trec", "report.md", "recall_at_k.png"}
    b_ids = {json.loads(ln)["id"] for ln in lines[-2:]}
    assert {ln.split()[0] for ln in (out_dir / "run.bm25.trec").read_text("utf-8").splitlines()} == b_ids
    assert {ln.split()[0] for ln in (out_dir / "qrels.trec").read_text("utf-8").splitlines()} <= b_ids
    assert "questions: 2 " in (out_dir / "report.md").read_text("utf-8")


@pytest.mark.slow
def test_a_folder_that_cannot_be_locked_is_written_unlocked_and_said(index_flags, small_questions, tmp_path,
                                                                    monkeypatch, capsys, caplog):
    """flock on a directory fails on NFS (EBADF): the run's files are written all the same, with a warning."""
    import errno

    import eval.report as report

    def no_flock(fd, op):
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(report.fcntl, "flock", no_flock)
    out_dir = tmp_path / "report"
    code = main(["eval", "--questions", str(small_questions), *index_flags, "--modes", "bm25", "--out", str(out_dir)])
    assert code == 0, capsys.readouterr().err
    assert {p.name for p in out_dir.iterdir()} == {"run.bm25.trec", "qrels.trec", "report.md", "recall_at_k.png"}
    assert "cannot lock the report folder" in caplog.text and "Bad file descriptor" in caplog.text


@pytest.mark.slow
def test_a_move_that_fails_half_way_leaves_no_temporary_file_and_says_what_changed(index_flags, small_questions,
                                                                                  tmp_path, monkeypatch, capsys):
    import eval.report as report

    out_dir = tmp_path / "report"
    replace, moves = report.os.replace, []

    def second_move_fails(src, dst):
        if Path(dst).parent == out_dir:
            moves.append(dst)
            if len(moves) == 2:
                raise OSError(28, "No space left on device", str(dst))
        return replace(src, dst)

    monkeypatch.setattr(report.os, "replace", second_move_fails)
    code = main(["eval", "--questions", str(small_questions), *index_flags, "--modes", "bm25", "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert "some of its files were replaced" in err and "nothing in it was changed" not in err
    assert [p.name for p in out_dir.iterdir()] == ["run.bm25.trec"]  # the one moved in; no temporary file stays
