"""One evaluation: check the questions against the seeds, run every mode on a backend, judge and score the rankings."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answers import AnswerRun, answer_scores, run_answers
from .errors import EvalError
from .metrics import GROUPS, Judged, Latency, by_group, judge, metric_names, recall_curve
from .questions import Question, read_seed_texts, require_quotes
from .relevance import Occurrence, evidence_occurrences, is_relevant
from .runner import CONVERSATION, Backend, ModeRun, run_mode

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModeResult:
    """Scores of one mode: metric means per group, recall@1..10 curves per group, latency, and the judged runs."""

    mode: str
    groups: dict[str, dict[str, float]]
    curves: dict[str, tuple[float, ...]]
    latency: Latency
    judged: tuple[Judged, ...]
    run: ModeRun


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything a report needs about one evaluation."""

    question_files: tuple[str, ...]
    questions: tuple[Question, ...]
    backend: str
    ks: tuple[int, ...]
    modes: tuple[ModeResult, ...]
    answers: dict[str, dict[str, float]] | None = None  # answer metrics per group, when answers were asked for
    answer_runs: tuple[AnswerRun, ...] = ()
    unreachable: tuple[str, ...] = ()  # ids of questions whose evidence no indexed passage covers: they score 0

    @property
    def metrics(self) -> tuple[str, ...]:
        return metric_names(self.ks)

    @property
    def index_versions(self) -> tuple[str, ...]:
        """Every index version that answered, searches and answers; more than one means the index changed during
        the run (`evaluate` refuses such a run)."""
        answered = (r.index_version for r in self.answer_runs)
        return tuple(dict.fromkeys(v for v in (*(v for m in self.modes for v in m.run.index_versions), *answered) if v))

    def unreachable_warning(self) -> str | None:
        """Which questions cannot score, their evidence outside every passage (text cleaning left it out)."""
        return unreachable_warning(self.unreachable)

    def shed_warning(self) -> str | None:
        """Why some scores are not the configured ranking's, when the service shed signals under load."""
        shed = {m.mode: m.run.shed for m in self.modes if m.run.shed}
        if not shed:
            return None
        each = ", ".join(f"{n} in {mode}" for mode, n in shed.items())
        return (f"the service was crowded and answered some questions without the sparse head ({each}; "
                "RAG_SHED_SPARSE_ABOVE): score an idle service, or one with the setting at 0")

    def counts(self) -> dict[str, int]:
        """Number of questions per group."""
        return {g: sum(1 for q in self.questions if g == "all" or q.lang == g) for g in GROUPS}

    def as_json(self) -> dict[str, Any]:
        """{mode: {"all"|"en"|"ja": {metric: value}, "latency_ms": {"p50", "p95"}, "questions": {group: count},
        "index_versions": [the versions that answered], "shed": questions searched without a signal}}: what a
        script comparing two runs needs to know they scored the same questions on the same index."""
        out: dict[str, Any] = {}
        counts = self.counts()
        for m in self.modes:
            body: dict[str, Any] = {g: {k: round(v, 6) for k, v in vals.items()} for g, vals in m.groups.items()}
            body["latency_ms"] = {"p50": round(m.latency.p50, 3), "p95": round(m.latency.p95, 3)}
            body["questions"] = dict(counts)
            body["index_versions"] = [v for v in dict.fromkeys(m.run.index_versions) if v]
            body["shed"] = m.run.shed
            out[m.mode] = body
        if self.answers is not None:
            body = {g: {k: round(v, 6) for k, v in vals.items()} for g, vals in self.answers.items()}
            lat = Latency.of([r.latency_ms for r in self.answer_runs])
            out["answers"] = body | {"latency_ms": {"p50": round(lat.p50, 3), "p95": round(lat.p95, 3)},
                                     "questions": dict(counts)}
        return out


def require_indexed(questions: Sequence[Question], texts: dict[str, str], indexed: dict[str, str],
                    seeds_dir: Path) -> None:
    """Raise EvalError unless every evidence document is in the index, read from the same text as the seed file the
    quotes are judged against: a document the index lacks can never be cited, and a seed edited since the build
    moves the offsets the citations are judged by; either scored a silent 0 or a wrong number."""
    docs = sorted({e.doc for q in questions for e in q.evidence})
    missing = [d for d in docs if d not in indexed]
    if missing:
        raise EvalError(f"{len(missing)} evidence document(s) are not in the index, so no passage of theirs can be "
                        f"cited: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}; the index holds "
                        f"{len(indexed)} documents (build it over these seeds: rag index build)")
    changed = [d for d in docs if hashlib.sha256(texts[d].encode("utf-8")).hexdigest() != indexed[d]]
    if changed:
        raise EvalError(f"{len(changed)} seed file(s) in {seeds_dir} differ from the text the index was built from, "
                        f"so the citations' offsets would be judged against other text: "
                        f"{', '.join(f'{d}.txt' for d in changed[:5])}{' …' if len(changed) > 5 else ''}; rebuild "
                        "the index (rag index build) or pass --seeds the folder it was built from")


def unreachable_warning(ids: Sequence[str]) -> str | None:
    if not ids:
        return None
    named = ", ".join(ids[:8]) + (" …" if len(ids) > 8 else "")
    return (f"{len(ids)} question(s) have evidence that no indexed passage covers by half (cleaning left that text "
            f"out of the passages, e.g. a page's footer), so they score 0 in every mode: {named}")


def beyond_passages(questions: Sequence[Question], evidence: dict[str, tuple[Occurrence, ...]],
                    spans: dict[str, list[tuple[int, int]]]) -> tuple[str, ...]:
    """The ids of the questions no indexed passage can be relevant to (the README's rule), whatever is retrieved."""
    return tuple(q.id for q in questions
                 if not any(is_relevant(o.doc, s, e, evidence[q.id]) for o in evidence[q.id] for s, e in spans[o.doc]))


def evaluate(backend: Backend, questions: Sequence[Question], modes: Sequence[str], seeds_dir: Path,
             ks: Sequence[int] = (1, 5, 10), question_files: Sequence[str] = (),
             conversation: bool | None = None, ask=None) -> Evaluation:
    """Score every mode on the questions (and the answers, when `ask(question) -> AnswerRun` is given); raises
    EvalError before any search if a quote is not in its seed.

    With `conversation` (by default: when some question has earlier turns, or a mode is named "<mode>+conversation")
    each mode is also scored as "<mode>+conversation", the last turn searched through the conversation; the plain
    mode searches the last turn alone."""
    questions = tuple(questions)
    if not questions:
        raise EvalError("no questions to evaluate")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise EvalError("question ids are not unique; load several files with eval.questions.combine")
    require_quotes(questions, seeds_dir)
    texts = read_seed_texts(seeds_dir, (e.doc for q in questions for e in q.evidence))
    if conversation is None:  # asked for by name, or implied by the questions
        conversation = any(m.endswith(CONVERSATION) for m in modes) or any(q.earlier for q in questions)
    if conversation and not backend.conversations:  # said before the first mode's searches, not after them
        raise EvalError(f"these questions are scored through their conversations, which the {backend.description} "
                        "cannot search (/v1/search takes one question): run rag eval without --url")
    require_indexed(questions, texts, backend.documents(), seeds_dir)
    evidence = {q.id: evidence_occurrences(q, texts) for q in questions}
    unreachable = beyond_passages(questions, evidence, backend.passage_spans({o.doc for v in evidence.values()
                                                                               for o in v}))
    if unreachable:  # said before the searches, on stderr, also to a --json run (report.md says it too)
        logger.warning(unreachable_warning(unreachable))
    modes = tuple(dict.fromkeys(m.removesuffix(CONVERSATION) for m in modes))
    backend.check_modes(modes)
    runs = tuple(m for mode in modes for m in ((mode, mode + CONVERSATION) if conversation else (mode,)))
    names = metric_names(ks)
    results = []
    for mode in runs:
        run = run_mode(backend, questions, mode)
        judged = judge(questions, run, evidence)
        curves = {}
        for g in GROUPS:
            part = [j for j in judged if g == "all" or j.lang == g]
            if part:
                curves[g] = recall_curve(part)
        latency = Latency.of([r.latency_ms for r in run.runs])
        results.append(ModeResult(mode, by_group(judged, names), curves, latency, judged, run))
        logger.info("mode %s: recall@10 %.3f, p50 %.1f ms", mode, curves["all"][-1], latency.p50)
    answers, answer_runs = None, ()
    if ask is not None:
        answer_runs = run_answers(ask, questions)
        answers = answer_scores(answer_runs, questions, evidence)
        logger.info("answers: answer_evidence %.3f, answer_cited %.3f", answers["all"]["answer_evidence"],
                    answers["all"]["answer_cited"])
    ev = Evaluation(tuple(question_files), questions, backend.description, tuple(ks), tuple(results), answers,
                    answer_runs, unreachable)
    if len(versions := ev.index_versions) > 1:  # a build swapped a new version in while the run went on
        raise EvalError(f"the index changed during the run ({len(versions)} versions answered: {', '.join(versions)}): "
                        "the later citations were judged against the seed text read at the start, and the modes were "
                        "not scored on one index; run again when no build is running")
    return ev
