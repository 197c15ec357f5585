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
def test_rag_eval_json_prints_one_object_mode_group_metric(index_flags, small_questions, capsys):
    code = main(["eval", "--questions", str(small_questions), *index_flags, "--modes", "hybrid,bm25",
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    obj = json.loads(out)  # exactly one JSON document
    assert out.count("\n") == 1
    assert set(obj) == {"hybrid", "bm25"}
    for body in obj.values():
        assert set(body) == {"all", "en", "ja", "latency_ms"}
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


def test_an_unreachable_url_exits_1_with_a_clear_message(small_questions, capsys):
    code = main(["eval", "--questions", str(small_questions), "--url", "http://127.0.0.1:9", "--seeds",
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


@pytest.mark.parametrize("k", ["0", "11", "a,5", ","])
def test_a_bad_cutoff_is_a_usage_error(small_questions, capsys, k):
    code = main(["eval", "--questions", str(small_questions), "--url", "http://127.0.0.1:9", "--k", k])
    assert code == 2
    assert "--k" in capsys.readouterr().err
