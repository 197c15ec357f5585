"""Question sets: the shipped files are complete and exact; bad files fail with the file and line named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.questions import Evidence, Question, combine, load_questions, require_quotes, verify_quotes
from rag.corpus import load_corpus
from rag.errors import RagError

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
TEAM = REPO / "eval" / "questions" / "team.jsonl"
DEV = REPO / "eval" / "questions" / "dev.jsonl"  # a copy of the shared dev set


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**obj) -> str:
    base = {"id": "x1", "lang": "en", "question": "Who?", "evidence": [{"doc": "d", "quote": "q"}]}
    base.update(obj)
    return json.dumps(base, ensure_ascii=False)


def test_team_set_has_enough_questions_in_both_languages():
    qs = load_questions(TEAM)
    assert len(qs) >= 60
    assert sum(q.lang == "en" for q in qs) >= 40
    assert sum(q.lang == "ja" for q in qs) >= 20
    assert len({q.id for q in qs}) == len(qs)


def test_every_team_quote_is_an_exact_substring_of_its_seed():
    assert verify_quotes(load_questions(TEAM), SEEDS) == ()


def test_team_set_covers_all_seven_articles():
    qs = load_questions(TEAM)
    corpus = load_corpus(SEEDS)
    articles = {(a.doc_id, a.index): (a.start, a.end) for d in corpus.documents for a in d.articles}
    assert len(articles) == 7
    covered = set()
    for q in qs:
        for e in q.evidence:
            raw = (SEEDS / f"{e.doc}.txt").read_bytes().decode("utf-8")
            at = raw.find(e.quote)
            covered |= {key for key, (start, end) in articles.items() if key[0] == e.doc and start <= at < end}
    assert covered == set(articles)


def test_dev_set_loads_and_its_quotes_are_in_the_seeds():
    qs = load_questions(DEV)
    assert len(qs) == 16
    assert {q.lang for q in qs} == {"en", "ja"}
    assert verify_quotes(qs, SEEDS) == ()


def test_a_line_loads_into_frozen_dataclasses(tmp_path):
    path = write(tmp_path, "one.jsonl", [line(evidence=[{"doc": "d", "quote": "a"}, {"doc": "e", "quote": "b"}])])
    (q,) = load_questions(path)
    assert q == Question("x1", "en", "Who?", (Evidence("d", "a"), Evidence("e", "b")))
    with pytest.raises(AttributeError):
        q.id = "other"  # type: ignore[misc]


def test_invalid_json_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "bad.jsonl", [line(), '{"id": "x2", "lang": "en",'])
    with pytest.raises(EvalError, match=r"bad\.jsonl:2: invalid JSON at column \d+ \(Expecting"):
        load_questions(path)
    unterminated = write(tmp_path, "cut.jsonl", ['{"id": "x1", "question": "What did'])
    with pytest.raises(EvalError) as caught:
        load_questions(unterminated)
    assert str(caught.value).endswith("cut.jsonl:1: invalid JSON at column 26 (Unterminated string starting)")


def test_a_wrong_language_names_the_line_and_the_allowed_values(tmp_path):
    path = write(tmp_path, "bad.jsonl", [line(), "", line(id="x3", lang="fr")])
    with pytest.raises(EvalError, match=r"bad\.jsonl:3: lang 'fr' is not allowed; use one of \['en', 'ja'\]"):
        load_questions(path)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"lang": "en", "question": "?", "evidence": [{"doc": "d", "quote": "q"}]}', "missing field 'id'"),
        (line(question=""), "field 'question' must be a non-empty string"),
        (line(evidence=[]), "field 'evidence' must be a non-empty list"),
        (line(evidence=[{"doc": "d", "quote": ""}]), r"evidence\[0\]: quote is empty"),
        (line(evidence=[{"doc": "d"}]), r"evidence\[0\]: field 'quote' is missing"),
        (line(evidence=[{"quote": "q"}]), r"evidence\[0\]: missing field 'doc'"),
        (line(id="has space"), "contains whitespace"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_malformed_questions_are_refused_with_the_reason(tmp_path, bad, message):
    path = write(tmp_path, "bad.jsonl", [bad])
    with pytest.raises(EvalError, match=r"bad\.jsonl:1: .*" + message):
        load_questions(path)


def test_a_duplicate_id_in_one_file_names_both_lines(tmp_path):
    path = write(tmp_path, "dup.jsonl", [line(), line()])
    with pytest.raises(EvalError, match=r"dup\.jsonl:2: duplicate id 'x1' \(first used on line 1\)"):
        load_questions(path)


def test_an_empty_or_missing_file_is_an_error(tmp_path):
    with pytest.raises(EvalError, match="holds no questions"):
        load_questions(write(tmp_path, "empty.jsonl", [""]))
    with pytest.raises(EvalError, match="cannot be read"):
        load_questions(tmp_path / "absent.jsonl")


def test_eval_errors_are_rag_errors_so_the_cli_maps_them_to_exit_1():
    assert issubclass(EvalError, RagError)


def test_combined_files_keep_ids_unique_by_prefixing_the_file_stem(tmp_path):
    a = write(tmp_path, "a.jsonl", [line(id="q1"), line(id="q2")])
    b = write(tmp_path, "b.jsonl", [line(id="q1"), line(id="q3")])
    assert [q.id for q in combine([a, b])] == ["q1", "q2", "b:q1", "q3"]
    assert [q.id for q in combine([a, a])] == ["q1", "q2", "a:q1", "a:q2"]


def test_verify_quotes_reports_missing_quotes_and_missing_seeds(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "d.txt").write_bytes("一行目\r\n二行目".encode("utf-8"))
    qs = (
        Question("ok", "ja", "?", (Evidence("d", "一行目\r\n二"),)),  # raw bytes: the \r\n is kept
        Question("gone", "ja", "?", (Evidence("d", "三行目"),)),
        Question("nodoc", "en", "?", (Evidence("missing", "x"),)),
    )
    problems = verify_quotes(qs, seeds)
    assert [(p.question_id, p.doc) for p in problems] == [("gone", "d"), ("nodoc", "missing")]
    assert "not a substring of d.txt" in problems[0].reason
    assert "no readable UTF-8 file missing.txt" in problems[1].reason
    with pytest.raises(EvalError, match=r"2 evidence quote\(s\) cannot be judged"):
        require_quotes(qs, seeds)
