"""Question sets: load and validate the shared JSONL format, combine several files, check quotes against the seeds.

A line may hold a conversation instead of one question: `"turns": [...]` lists the user's messages, oldest first,
and the evidence answers the last one (which is then the `question`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import EvalError

Lang = Literal["en", "ja"]
LANGS: tuple[str, ...] = get_args(Lang)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A quote that answers the question: an exact substring of seeds/<doc>.txt."""

    doc: str
    quote: str


@dataclass(frozen=True, slots=True)
class Question:
    """One evaluation question; any one of its evidence entries answers it."""

    id: str
    lang: Lang
    question: str
    evidence: tuple[Evidence, ...]
    turns: tuple[str, ...] = ()  # a conversation's user messages, the last being `question`; () for one question

    @property
    def earlier(self) -> tuple[str, ...]:
        """The user messages before the question (empty for a stand-alone question)."""
        return self.turns[:-1]


@dataclass(frozen=True, slots=True)
class QuoteProblem:
    """An evidence entry whose quote cannot be found in its seed file, and why."""

    question_id: str
    doc: str
    quote: str
    reason: str


def load_questions(path: Path) -> tuple[Question, ...]:
    """Read one question-set JSONL file; raises EvalError naming the file and line of the first problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise EvalError(f"question file {str(path)!r} cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise EvalError(f"question file {str(path)!r} is not valid UTF-8 (byte {exc.start})") from None
    questions: list[Question] = []
    seen: dict[str, int] = {}
    # Split on "\n" only: str.splitlines would also cut at U+2028, which JSON strings may hold raw.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        q = _parse_line(line, where)
        if q.id in seen:
            raise EvalError(f"{where}: duplicate id {q.id!r} (first used on line {seen[q.id]})")
        seen[q.id] = lineno
        questions.append(q)
    if not questions:
        raise EvalError(f"question file {str(path)!r} holds no questions")
    return tuple(questions)


def _parse_line(line: str, where: str) -> Question:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        # json's messages may end with "at" ("Unterminated string starting at"): the column is said first
        raise EvalError(f"{where}: invalid JSON at column {exc.colno} ({exc.msg.removesuffix(' at')})") from None
    except RecursionError:
        raise EvalError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise EvalError(f"{where}: unreadable JSON value ({exc})") from None
    if not isinstance(obj, dict):
        raise EvalError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    qid = _text(obj, "id", where)
    if any(ch.isspace() for ch in qid):
        raise EvalError(f"{where}: id {qid!r} contains whitespace (TREC files cannot carry it)")
    lang = _text(obj, "lang", where)
    if lang not in LANGS:
        raise EvalError(f"{where}: lang {lang!r} is not allowed; use one of {list(LANGS)!r}")
    turns = _turns(obj["turns"], where) if "turns" in obj else ()
    question = turns[-1] if turns else _text(obj, "question", where)
    entries = obj.get("evidence")
    if not isinstance(entries, list) or not entries:
        raise EvalError(f"{where}: field 'evidence' must be a non-empty list of {{'doc', 'quote'}} objects")
    evidence = []
    for n, entry in enumerate(entries):
        at = f"{where}: evidence[{n}]"
        if not isinstance(entry, dict):
            raise EvalError(f"{at} must be an object with 'doc' and 'quote', got {entry!r}")
        doc = _text(entry, "doc", at)
        quote = entry.get("quote")
        if not isinstance(quote, str):
            raise EvalError(f"{at}: field 'quote' is missing or not a string")
        if not quote.strip():
            raise EvalError(f"{at}: quote is empty; give an exact substring of seeds/{doc}.txt")
        evidence.append(Evidence(doc, quote))
    return Question(qid, lang, question, tuple(evidence), turns)  # type: ignore[arg-type]  # lang checked above


def _turns(value: Any, where: str) -> tuple[str, ...]:
    """The user messages of a conversation: strings, or {"role", "content"} objects of which the user's are kept."""
    if not isinstance(value, list) or not value:
        raise EvalError(f"{where}: field 'turns' must be a non-empty list of the user's messages, oldest first")
    turns = []
    for n, turn in enumerate(value):
        if isinstance(turn, dict):
            if turn.get("role", "user") != "user":
                continue
            turn = turn.get("content", turn.get("text"))
        if not isinstance(turn, str) or not turn.strip():
            raise EvalError(f"{where}: turns[{n}] must be a non-empty string (or a user message object), got {turn!r}")
        turns.append(turn)
    if not turns:
        raise EvalError(f"{where}: field 'turns' holds no user message")
    return tuple(turns)


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        raise EvalError(f"{where}: missing field {key!r}")
    if not isinstance(value, str) or not value.strip():
        raise EvalError(f"{where}: field {key!r} must be a non-empty string, got {value!r}")
    return value


def combine(paths: Sequence[Path]) -> tuple[Question, ...]:
    """Load several files in order; an id already used by an earlier file is prefixed with its file's stem."""
    out: list[Question] = []
    used: set[str] = set()
    for path in paths:
        stem = "_".join(Path(path).stem.split()) or "q"
        for q in load_questions(path):
            qid, n = q.id, 1
            while qid in used:
                qid = f"{stem}:{q.id}" if n == 1 else f"{stem}:{q.id}~{n}"
                n += 1
            used.add(qid)
            out.append(q if qid == q.id else replace(q, id=qid))
    return tuple(out)


def read_seed_texts(seeds_dir: Path, docs: Iterable[str]) -> dict[str, str]:
    """Raw text of each named seed file (bytes decoded as UTF-8, no newline translation); missing ones are left out."""
    out: dict[str, str] = {}
    for doc in sorted(set(docs)):
        path = Path(seeds_dir) / f"{doc}.txt"
        try:
            out[doc] = path.read_bytes().decode("utf-8")
        except (OSError, ValueError):  # ValueError: a doc naming no possible file (a NUL); UnicodeDecodeError too
            continue
    return out


def verify_quotes(questions: Iterable[Question], seeds_dir: Path) -> tuple[QuoteProblem, ...]:
    """Every evidence entry whose seed file is missing or unreadable, or whose quote is not a substring of it."""
    questions = tuple(questions)
    texts = read_seed_texts(seeds_dir, (e.doc for q in questions for e in q.evidence))
    problems = []
    for q in questions:
        for e in q.evidence:
            raw = texts.get(e.doc)
            if raw is None:
                problems.append(QuoteProblem(q.id, e.doc, e.quote, f"no readable UTF-8 file {e.doc}.txt in {seeds_dir}"))
            elif e.quote not in raw:
                problems.append(QuoteProblem(q.id, e.doc, e.quote, f"quote is not a substring of {e.doc}.txt"))
    return tuple(problems)


def require_quotes(questions: Iterable[Question], seeds_dir: Path) -> None:
    """Raise EvalError listing the first few evidence entries that cannot be judged against the seeds."""
    problems = verify_quotes(questions, seeds_dir)
    if problems:
        shown = "; ".join(f"{p.question_id} ({p.doc}): {p.reason}: {p.quote[:40]!r}" for p in problems[:5])
        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise EvalError(f"{len(problems)} evidence quote(s) cannot be judged against {seeds_dir}: {shown}{more}")
