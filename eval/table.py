"""The plain-text tables `rag eval` prints: retrieval metrics per mode and group, then the answers' scores."""

from __future__ import annotations

from collections.abc import Sequence

from .metrics import GROUPS, Latency
from .pipeline import Evaluation


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
             f"backend: {ev.backend}; index version: {versions}",
             *([f"warning: {ev.shed_warning()}"] if ev.shed_warning() else []), ""]
    return "\n".join([*intro, line(header), *(line(r) for r in rows)]) + "\n" + answers_table(ev)


def answers_table(ev: Evaluation) -> str:
    """answer_evidence, answer_cited and answer_held_back per group, with the latency of asking; empty when answers
    were not scored."""
    if ev.answers is None:
        return ""
    lat = Latency.of([r.latency_ms for r in ev.answer_runs])
    counts = ev.counts()
    lines = ["", "answers  group    n  answer_evidence  answer_cited  held_back   p50 ms   p95 ms"]
    for g in GROUPS:
        if g in ev.answers:
            a = ev.answers[g]
            tail = f"  {lat.p50:7.1f}  {lat.p95:7.1f}" if g == "all" else ""
            lines.append(f"{'answers' if g == 'all' else '':7}  {g:5} {counts[g]:4}  {a['answer_evidence']:15.3f}  "
                         f"{a['answer_cited']:12.3f}  {a['answer_held_back']:9.3f}{tail}")
    return "\n".join(lines) + "\n"
