"""Write an evaluation to a directory: TREC runs and qrels, report.md and a recall@k plot."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from .metrics import GROUPS
from rag.embedders import slug

from .pipeline import Evaluation, ModeResult

logger = logging.getLogger(__name__)

PLOT = "recall_at_k.png"
TAG = "rag-"  # a run's tag is TAG + its mode
QRELS = "qrels.trec"


def safe_name(mode: str) -> str:
    """A mode name usable in file names and TREC run tags ('st:org/model' → 'st_org_model')."""
    return slug(mode) or "mode"


def run_file(mode: str) -> str:
    return f"run.{safe_name(mode)}.trec"


def write_report(ev: Evaluation, out_dir: Path) -> tuple[Path, ...]:
    """Write every output file into out_dir (created if needed); returns the paths written.

    One run's files, whole or not at all: each is written beside its place under a temporary name of this run's
    own and moved in only when all are written, and the run files an earlier `rag eval` wrote for modes this run did
    not score are removed, so that a folder never mixes two of its runs (trec_eval over run.*.trec read an earlier
    run's modes beside this run's qrels). A run file of another system (its tag is not ours) is left alone. Two runs
    into one folder at once take turns to move their files in (a lock on the folder): the last leaves its run whole."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {run_file(m.mode): trec_run(m) for m in ev.modes} | {QRELS: trec_qrels(ev), "report.md": markdown(ev)}
    names = [*texts, PLOT]
    for name in names:  # a folder (or anything but a file) where a file goes fails before anything is written
        target = out_dir / name
        if target.exists() and not target.is_file():
            raise IsADirectoryError(errno.EISDIR, "not a file", str(target))
    staged: list[tuple[Path, Path]] = []
    own = f".tmp-{os.getpid()}-{threading.get_ident()}"  # this run's own, also beside another run in this process
    try:
        for name, text in texts.items():
            staged.append((out_dir / f"{own}-{name}", out_dir / name))
            _write(staged[-1][0], text)
        staged.append((out_dir / f"{own}-{PLOT}", out_dir / PLOT))  # the suffix names the format
        plot_recall(ev, staged[-1][0])
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    moved = 0
    try:
        with _turn(out_dir):
            for tmp, final in staged:
                os.replace(tmp, final)
                moved += 1
            for stale in out_dir.glob("run.*.trec"):
                if stale.name not in texts and stale.is_file() and _ours(stale):
                    stale.unlink()
    except BaseException as exc:  # waiting for the lock (Ctrl-C), or a move that failed: no temporary file stays
        for tmp, _ in staged[moved:]:
            tmp.unlink(missing_ok=True)
        if moved and isinstance(exc, OSError):
            raise PartlyWrittenError(exc.errno, exc.strerror or str(exc), exc.filename) from exc
        raise
    return tuple(final for _, final in staged)


class PartlyWrittenError(OSError):
    """Some of a run's files were moved into the folder before an error stopped the others."""


@contextmanager
def _turn(out_dir: Path) -> Iterator[None]:
    """An exclusive flock on the folder itself, so that nothing is left in it; closing the descriptor releases it.
    Where the folder cannot be locked (flock on a directory fails on NFS) the run goes on unlocked, and says so."""
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            logger.warning("cannot lock the report folder %s (%s): another rag eval writing into it at the same "
                           "time could leave a mix of the two runs", out_dir, exc.strerror or exc)
        yield
    finally:
        os.close(fd)


def _ours(path: Path) -> bool:
    """Whether the TREC run at `path` is one `trec_run` wrote: its lines' tag is rag-<mode>."""
    with path.open("rb") as f:
        first = f.readline().split()
    return not first or (len(first) >= 6 and first[-1].startswith(TAG.encode()))  # ≥ 6: ids once held spaces


def trec_id(passage_id: str) -> str:
    """A passage id as one TREC field: whitespace (a seed named "my doc.txt", or "会談\u3000記録.txt") and % written
    as their UTF-8 bytes %XX, so that tools that split lines on whitespace read six fields, and `unquote` reads the id
    back."""
    return re.sub(r"[%\s]", lambda m: quote(m.group(), safe=""), passage_id)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")  # an OSError here names the file already
    return path


def trec_run(m: ModeResult) -> str:
    """`qid Q0 docno rank score tag` lines; scores are rank-derived so that tools sorting by score keep our order."""
    tag = f"{TAG}{safe_name(m.mode)}"
    lines = []
    for run in m.run.runs:
        n = len(run.hits)
        lines.extend(f"{run.question_id} Q0 {trec_id(h.passage_id)} {rank} {n - rank + 1} {tag}"
                     for rank, h in enumerate(run.hits, start=1))
    return "".join(line + "\n" for line in lines)


def trec_qrels(ev: Evaluation) -> str:
    """`qid 0 docno 1` for every retrieved passage the rule judged relevant, in any mode."""
    relevant: dict[str, dict[str, None]] = {q.id: {} for q in ev.questions}
    for m in ev.modes:
        for j in m.judged:
            for pid, rel in zip(j.passage_ids, j.relevant):
                if rel:
                    relevant[j.question_id][pid] = None
    return "".join(f"{qid} 0 {trec_id(pid)} 1\n" for qid, pids in relevant.items() for pid in sorted(pids))


def markdown(ev: Evaluation) -> str:
    """The human-readable report: metric tables per mode and group, latency, inputs and caveats."""
    counts = ev.counts()
    versions = ", ".join(f"`{v}`" for v in ev.index_versions) or "unknown"
    out = [
        "# Retrieval evaluation",
        "",
        f"- generated: {datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"- question files: {', '.join(f'`{f}`' for f in ev.question_files) or '(in memory)'}",
        f"- questions: {counts['all']} ({counts['en']} en, {counts['ja']} ja)",
        f"- backend: {ev.backend}",
        f"- index version: {versions}",
    ]
    if ev.shed_warning():
        out.append(f"- **warning**: {ev.shed_warning()}")
    if ev.unreachable_warning():
        out.append(f"- **warning**: {ev.unreachable_warning()}")
    names = ev.metrics
    out += ["", "## Metrics", "", "| mode | group | n | " + " | ".join(names) + " |",
            "|---|---|--:|" + "--:|" * len(names)]
    for m in ev.modes:
        for g in GROUPS:
            if g in m.groups:
                vals = " | ".join(f"{m.groups[g][n]:.3f}" for n in names)
                out.append(f"| {m.mode} | {g} | {counts[g]} | {vals} |")
    out += ["", "## Latency (ms per question, as the evaluator observed it)", "", "| mode | p50 | p95 |", "|---|--:|--:|"]
    out += [f"| {m.mode} | {m.latency.p50:.1f} | {m.latency.p95:.1f} |" for m in ev.modes]
    if ev.answers is not None:
        out += ["", "## Answers", "", "| group | n | answer_evidence | answer_cited | answer_held_back |",
                "|---|--:|--:|--:|--:|"]
        out += [f"| {g} | {counts[g]} | {ev.answers[g]['answer_evidence']:.3f} | {ev.answers[g]['answer_cited']:.3f} | "
                f"{ev.answers[g]['answer_held_back']:.3f} |" for g in GROUPS if g in ev.answers]
        out += ["", "answer_evidence: the answer text holds at least half of one evidence quote as one contiguous piece; "
                "answer_cited: one of its [n] markers cites a relevant passage; answer_held_back: the answer quoted "
                "nothing, no passage found seeming to be about the question (definitions in eval/answers.py)."]
    out += [
        "",
        "## Files",
        "",
        *(f"- `{run_file(m.mode)}`: TREC run of mode {m.mode} (top 10)" for m in ev.modes),
        f"- `{QRELS}`: every retrieved passage judged relevant, in any mode",
        f"- `{PLOT}`: recall@k for k = 1..10 per mode and language",
        "",
        "## How to read these numbers",
        "",
        "A passage is relevant when its citation names the evidence's document and its span covers at least half "
        "of one occurrence of a quote. Every metric follows from r, the rank of the first relevant passage: "
        "hit@1 = [r = 1], recall@k (success@k) = [r ≤ k], mrr@10 = 1/r, ndcg@10 = 1/log2(1 + r) (0 beyond 10). "
        "Scores in the run files are rank-derived (n − rank + 1) so that tools that sort by score keep the "
        "returned order. Feeding the qrels file to trec_eval gives a multi-relevant nDCG and drops questions with "
        "no relevant passage, so its numbers differ from these.",
        "",
    ]
    return "\n".join(out)


def plot_recall(ev: Evaluation, path: Path) -> Path:
    """recall@k curves, one panel per group, one line per mode."""
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state

    groups = [g for g in GROUPS if any(g in m.curves for m in ev.modes)]
    fig = Figure(figsize=(4.2 * len(groups), 3.6), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    counts = ev.counts()
    for ax, g in zip(axes, groups):
        for m in ev.modes:
            curve = m.curves.get(g)
            if curve:
                ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3, label=m.mode)
        ax.set_title(f"{g} (n={counts[g]})")
        ax.set_xlabel("k")
        ax.set_xticks(range(1, 11))
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("recall@k (success@k)")
    axes[-1].legend(loc="lower right", fontsize="small")
    fig.savefig(path, dpi=120)
    return path
