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
])
def test_a_setting_that_cannot_work_is_refused_by_name(variable, value, says):
    name = variable.removeprefix("RAG_").lower()
    with pytest.raises(ConfigError, match=rf"{name}.*") as refused:
        Settings.from_env({variable: value})
    assert says in str(refused.value)


@pytest.mark.parametrize("env", [{}, {"RAG_ALIGN": "none"}, {"RAG_DEFAULT_MODE": "bm25"}, {"RAG_PORT": "0"},
                                 {"RAG_EMBEDDERS": "e5", "RAG_DEFAULT_MODE": "e5-sparse"},
                                 {"RAG_RERANK_WEIGHTS": "proximity=-0.5"}, {"RAG_BM25_WEIGHT_EN": "0"}])
def test_the_defaults_and_working_values_are_accepted(env):
    Settings.from_env(env).validate()


def test_rag_serve_on_a_port_that_does_not_exist_exits_2_with_the_reason(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "port=70000: must be 0..65535" in err and "Traceback" not in err
