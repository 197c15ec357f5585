"""`rag eval`: score retrieval (and, with --answers, the answers) on question sets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag.errors import ConfigError, RagError
from rag.settings import Settings

from .common import embedders_flag, index_flag, print_json

NAME = "eval"
HELP = "Score retrieval on a question set."
EXAMPLE = "rag eval --questions eval/questions/team.jsonl --modes hybrid,e5,use,bm25 --json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--questions", type=Path, required=True, action="append", help="question-set JSONL (repeatable)")
    index_flag(p)
    p.add_argument("--seeds", type=Path, help="seeds directory holding the raw files quotes refer to (default: seeds/)")
    embedders_flag(p)
    p.add_argument("--modes", default=None, help="comma-separated modes (default: hybrid,e5,use,bm25)")
    p.add_argument("--k", default="1,5,10", help="cut-offs for recall@k (default: 1,5,10)")
    p.add_argument("--url", help="score a running service's /v1/search instead of the in-process pipeline")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="with --url: how long one request may take "
                   "before the run stops with an error (default: 60)")
    p.add_argument("--answers", action="store_true", help="also ask each question (/v1/ask with --url) and score "
                   "answer_evidence, answer_cited and answer_held_back")
    p.add_argument("--json", action="store_true", help="print one JSON object: mode → all/en/ja → metric, and per mode its latency, question counts and index versions")
    p.add_argument("--out", type=Path, help="write TREC runs, qrels, report.md and a recall@k plot here")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Evaluate, print the table or JSON, write the report; a domain error is one line on stderr and exit code 1."""
    from eval.run import EvalOptions, parse_ks, parse_modes, run_eval
    from eval.table import format_table

    options = EvalOptions(questions=tuple(args.questions), modes=parse_modes(args.modes, settings),
                          ks=parse_ks(args.k), url=args.url, answers=args.answers,
                          timeout_s=args.timeout)
    made = args.out is not None and not args.out.exists()
    if args.out:  # before the evaluation, not after its minutes
        problem = _unwritable(args.out)
        if problem:
            print(f"rag eval: error: --out {str(args.out)!r}: {problem}", file=sys.stderr)
            return 1
    try:
        ev = run_eval(settings, options)
    except (ConfigError, RagError) as exc:
        if made:  # the folder this run made for its report, left empty
            _remove_if_empty(args.out)
        if isinstance(exc, ConfigError):
            raise
        print(f"rag eval: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(ev.as_json())
    else:
        sys.stdout.write(format_table(ev))
    if args.out:
        from eval.report import PartlyWrittenError, write_report  # matplotlib is imported only when a report is asked

        try:
            written = write_report(ev, args.out)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            changed = ("some of its files were replaced by this run's, the others not: run again" if
                       isinstance(exc, PartlyWrittenError) else "nothing in it was changed")
            print(f"rag eval: error: cannot write the report to {str(args.out)!r}{where}: {exc.strerror or exc}; "
                  f"{changed}", file=sys.stderr)
            return 1
        print(f"rag eval: wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0


def _unwritable(out: Path) -> str | None:
    """Why the report folder cannot be written, if it cannot: made if missing, then probed with a temporary file."""
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".rag-eval-probe-"):
            pass
    except FileExistsError:
        return "it is a file, not a folder"
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    return None


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty, or gone: leave it
        pass
