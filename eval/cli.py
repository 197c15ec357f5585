"""`rag eval`: score retrieval on question sets, in process or against a running service."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from rag.errors import ConfigError, RagError
from rag.settings import Settings

from .metrics import DEPTH, GROUPS
from .pipeline import Evaluation, evaluate
from .questions import combine, require_quotes
from .runner import Backend, HttpBackend, InProcessBackend

logger = logging.getLogger(__name__)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the evaluation the flags describe; 0 on success, 1 on a domain error (printed without a traceback)."""
    ks = parse_ks(args.k)
    modes = parse_modes(args.modes, settings)
    url = getattr(args, "url", None)
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"--url {url!r}: give the service's base URL, e.g. http://127.0.0.1:8000")
    backend: Backend | None = None
    try:
        questions = combine(args.questions)
        require_quotes(questions, settings.seeds_dir)  # before loading models or calling the service
        backend = HttpBackend(url) if url else InProcessBackend(_open_searcher(settings))
        ask = _asker(backend, settings) if getattr(args, "answers", False) else None
        ev = evaluate(backend, questions, modes, settings.seeds_dir, ks, [str(p) for p in args.questions], ask=ask)
    except ConfigError:
        raise
    except RagError as exc:
        print(f"rag eval: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if isinstance(backend, HttpBackend):
            backend.close()
    if args.json:
        sys.stdout.write(json.dumps(ev.as_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_table(ev))
    if args.out:
        from .report import write_report  # matplotlib is imported only when a report is asked for

        written = write_report(ev, args.out)
        print(f"rag eval: wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0


def _asker(backend: Backend, settings: Settings):
    """ask(question) -> AnswerRun through the same backend: /v1/ask of the service, or answer_question in process."""
    from functools import partial

    from .answers import ask_http, ask_in_process

    if isinstance(backend, HttpBackend):
        return lambda q: ask_http(backend._client, backend.url, q)
    return partial(ask_in_process, backend.searcher, settings)


def _open_searcher(settings: Settings):
    from rag.runtime import open_searcher

    return open_searcher(settings)


def parse_ks(text: str) -> tuple[int, ...]:
    """'1,5,10' → (1, 5, 10); each cut-off must be an integer from 1 to 10 (the evaluation retrieves 10)."""
    ks = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= DEPTH:
            raise ConfigError(f"--k {text!r}: {part!r} is not a cut-off; use integers from 1 to {DEPTH}, e.g. '1,5,10'")
        ks.append(int(part))
    if not ks:
        raise ConfigError(f"--k {text!r}: name at least one cut-off, e.g. '1,5,10'")
    return tuple(sorted(set(ks)))


def parse_modes(text: str | None, settings: Settings) -> tuple[str, ...]:
    """Comma-separated modes; by default hybrid, each configured embedder, and bm25."""
    if text is None:
        return ("hybrid", *settings.embedders, "bm25")
    modes = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    if not modes:
        raise ConfigError(f"--modes {text!r}: name at least one of hybrid, bm25, {', '.join(settings.embedders)}")
    return modes


def format_table(ev: Evaluation) -> str:
    """A plain-text table: one row per mode and group, metrics then latency."""
    counts = ev.counts()
    names = ev.metrics
    header = ["mode", "group", "n", *names, "p50 ms", "p95 ms"]
    rows: list[Sequence[str]] = []
    for m in ev.modes:
        for g in GROUPS:
            if g not in m.groups:
                continue
            lat = [f"{m.latency.p50:.1f}", f"{m.latency.p95:.1f}"] if g == "all" else ["", ""]
            rows.append([m.mode if g == "all" else "", g, str(counts[g]),
                         *(f"{m.groups[g][n]:.3f}" for n in names), *lat])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    versions = ", ".join(ev.index_versions) or "unknown"
    intro = [f"questions: {', '.join(ev.question_files) or '(in memory)'} "
             f"({counts['all']}: {counts['en']} en, {counts['ja']} ja)",
             f"backend: {ev.backend}; index version: {versions}", ""]
    return "\n".join([*intro, line(header), *(line(r) for r in rows)]) + "\n" + answers_table(ev)


def answers_table(ev: Evaluation) -> str:
    """answer_evidence and answer_cited per group, with the latency of asking; empty when answers were not scored."""
    if ev.answers is None:
        return ""
    from .metrics import Latency

    lat = Latency.of([r.latency_ms for r in ev.answer_runs])
    counts = ev.counts()
    lines = ["", "answers  group    n  answer_evidence  answer_cited   p50 ms   p95 ms"]
    for g in GROUPS:
        if g in ev.answers:
            a = ev.answers[g]
            tail = f"  {lat.p50:7.1f}  {lat.p95:7.1f}" if g == "all" else ""
            lines.append(f"{'answers' if g == 'all' else '':7}  {g:5} {counts[g]:4}  {a['answer_evidence']:15.3f}  "
                         f"{a['answer_cited']:12.3f}{tail}")
    return "\n".join(lines) + "\n"
