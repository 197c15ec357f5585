"""The wire form of the core's Answer (api/wire.py): the /v1/ask body and `rag ask --json`."""

from __future__ import annotations

from api.wire import answer_json, ask_response

try:  # the answers tests' hand-made Answer
    from answers.support import CITED, sample_answer
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.support import CITED, sample_answer


def test_answer_json_has_exactly_the_documented_keys_and_values(tmp_path) -> None:
    body = answer_json(sample_answer((CITED,)), tmp_path / "seeds")
    assert body == {
        "question": "q?", "answer": "本文。[1]",
        "citations": [{"doc_id": "001_x", "title": CITED.title, "published": "2024-05-20",
                       "source_file": (tmp_path.resolve() / "seeds" / "001_x.txt").as_posix(), "start": 5981, "end": 6096, "url": "https://example.org/a",
                       "sources": [{"title": "RT", "url": "https://example.org/a"}]}],
        "passages": [{"rank": 1, "score": 0.031235, "passage_id": "001_x#5981-6096", "text": "本文",
                      "citation": body["citations"][0], "source": False}],
        "took_ms": 12.346, "generator": "extractive", "fallback": "timeout (0.5 s) after 3 attempts",
        "index_version": "v1", "shed": [], "covered": True, "lang": "en",
    }
    # clients and the contract tests read the keys in this order (lang came last, after covered)
    assert list(body) == ["question", "answer", "citations", "passages", "took_ms", "generator", "fallback",
                          "index_version", "shed", "covered", "lang"]
    assert list(body["passages"][0]) == ["rank", "score", "passage_id", "text", "citation", "source"]


def test_the_api_shows_source_files_relative_to_the_seeds_directory() -> None:
    body = ask_response(sample_answer((CITED,)))
    assert [c.source_file for c in body.citations] == ["001_x.txt"]
    assert body.passages[0].citation.source_file == "001_x.txt"
