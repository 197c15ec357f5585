"""benchmarks/peers.py on three real team questions over the session index: every peer row built on the index's
passages and scored by rag eval's metrics. Needs the optional `peers` extra; skipped, saying so, without it."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import pytest

REASON = "the optional 'peers' extra is not installed: pip install -e '.[peers]' (benchmarks/peers.py needs it)"
pytest.importorskip("haystack", reason=REASON)
pytest.importorskip("llama_index.core", reason=REASON)
pytest.importorskip("llama_index.retrievers.bm25", reason=REASON)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "peers.py"
TEAM = REPO / "eval" / "questions" / "team.jsonl"
ROWS = ["newsrag", "haystack", "haystack+ja", "llamaindex", "llamaindex+ja", "dense-e5"]
METRICS = {"hit@1", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}


def _script():
    spec = importlib.util.spec_from_file_location("peers_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def peers():
    return _script()


@pytest.fixture(scope="module")
def three_questions(tmp_path_factory) -> Path:
    """Two English and one Japanese question from the team set."""
    lines = [ln for ln in TEAM.read_text("utf-8").splitlines() if ln.strip()]
    en = [ln for ln in lines if json.loads(ln)["lang"] == "en"][:2]
    ja = [ln for ln in lines if json.loads(ln)["lang"] == "ja"][:1]
    path = tmp_path_factory.mktemp("questions") / "three.jsonl"
    path.write_text("\n".join(en + ja) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_script(peers, built_index, embedders, three_questions):
    """Runs the script's main with argv on the session index, reusing the session's models (the ones it would
    load); returns (exit code, stdout, stderr)."""
    settings, _ = built_index
    flags = ["--questions", str(three_questions), "--index", str(settings.index_dir), "--seeds", str(settings.seeds_dir)]

    def run(*extra: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            mp.setattr("rag.runtime.load_embedders", lambda _settings: embedders)
            code = peers.main([*flags, *extra])
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture(scope="module")
def scored(run_script) -> dict:
    code, out, err = run_script("--json")
    assert code == 0, err
    assert out.count("\n") == 1  # one JSON document on one line
    return json.loads(out)


@pytest.mark.slow
def test_json_has_one_key_per_row_newsrag_first(scored):
    assert list(scored) == ROWS


@pytest.mark.slow
def test_every_row_is_scored_overall_and_per_language_with_its_latency(scored):
    for row, body in scored.items():
        assert set(body) == {"all", "en", "ja", "latency_ms"}, row
        for group in ("all", "en", "ja"):
            m = body[group]
            assert set(m) == METRICS, (row, group)
            assert all(0.0 <= v <= 1.0 for v in m.values()), (row, group, m)
            # every metric follows from the rank of the first relevant passage, so these orders always hold
            assert m["hit@1"] == m["recall@1"] <= m["recall@5"] <= m["recall@10"], (row, group, m)
            assert m["recall@1"] <= m["mrr@10"] <= m["ndcg@10"] <= m["recall@10"], (row, group, m)
        # "all" is the question-weighted mean of the groups: two English questions and one Japanese
        assert body["all"]["mrr@10"] == pytest.approx((2 * body["en"]["mrr@10"] + body["ja"]["mrr@10"]) / 3)
        assert body["latency_ms"]["p50"] > 0, row


@pytest.mark.slow
def test_markdown_names_each_requested_row_with_its_build_time(run_script):
    code, out, err = run_script("--markdown", "--rows", "dense-e5")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("(3: 2 en, 1 ja)")
    rows = [ln.split("|")[1].strip() for ln in lines if ln.startswith("| ") and not ln.startswith("| pipeline")]
    assert rows == ["newsrag", "dense-e5"]
    assert lines[-1].split("|")[-2].strip() != "(index)"  # a peer row's build seconds; newsrag's index is prebuilt


def test_an_unknown_row_is_a_usage_error_named_with_the_allowed_rows(peers, three_questions, capsys):
    code = peers.main(["--questions", str(three_questions), "--rows", "dense-e5,elastic"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown row(s) ['elastic']" in err and "llamaindex+ja" in err
