"""Peers side by side: our hybrid beside Haystack 2, LlamaIndex and FAISS over e5, on the passages our index holds
and the same questions, scored by `rag eval`'s relevance rule and metrics, with search latency from the same run.

Usage (needs the optional extra: pip install -e '.[peers]'):
    .venv/bin/python benchmarks/peers.py --questions eval/questions/team.jsonl [--json | --markdown]

Rows: newsrag (the served default mode), haystack and llamaindex with their default BM25 tokenization, the same two
with our Japanese analyzer plugged into their BM25 (+ja), and dense-e5 (a flat FAISS index over e5 alone). Every
peer embeds through our e5 model; see docs/peers.md for the recipes and the results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from eval.table import format_table  # noqa: E402
from eval.errors import EvalError  # noqa: E402
from eval.pipeline import Evaluation, evaluate  # noqa: E402
from eval.questions import combine, require_quotes  # noqa: E402
from eval.runner import PROBE_QUERY, TOP_K, InProcessBackend, Response, Retrieved  # noqa: E402
from peer_rows import ROWS, Corpus, E5Adapter, Search, build  # noqa: E402
from peer_rows.common import E5  # noqa: E402
from rag.errors import ConfigError, RagError  # noqa: E402
from rag.retrieval import Searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

logger = logging.getLogger("peers")
NEWSRAG = "newsrag"
KS = (1, 5, 10)
# The import that proves each optional package is there, checked before any model loads.
NEEDS = {"haystack_peer": ("haystack",), "llamaindex_peer": ("llama_index.core", "llama_index.retrievers.bm25"),
         "faiss_peer": ("faiss",)}


class PeersBackend:
    """eval's Backend protocol with one mode per row: newsrag through the Searcher, every peer through its pipeline."""

    def __init__(self, searcher: Searcher, pipelines: dict[str, Search]) -> None:
        self.searcher = searcher
        self.pipelines = pipelines
        self.description = f"peers over the index at {searcher.settings.index_dir} ({len(searcher.index.passages)} passages)"
        self._ours = InProcessBackend(searcher)
        self._rows = {p.passage_id: row for row, p in enumerate(searcher.index.passages)}
        self.conversations = False

    def documents(self) -> dict[str, str]:
        return self._ours.documents()

    def passage_spans(self, doc_ids):  # every row ranks the same passages
        return self._ours.passage_spans(doc_ids)

    def check_modes(self, modes: Sequence[str]) -> None:
        unknown = [m for m in modes if m != NEWSRAG and m not in self.pipelines]
        if unknown:
            raise EvalError(f"row(s) {unknown!r} were not built; built: {[NEWSRAG, *self.pipelines]!r}")
        for mode in modes:  # warms each pipeline up, as rag eval warms each mode
            self.search(PROBE_QUERY, mode)

    def search(self, query: str, mode: str) -> Response:
        if mode == NEWSRAG:
            return self._ours.search(query, self.searcher.settings.default_mode)
        index = self.searcher.index
        hits = []
        for pid, score in self.pipelines[mode](query)[:TOP_K]:
            c = index.citation(self._rows[pid])  # a peer returns our passage ids, so our citations judge it
            hits.append(Retrieved(pid, c.doc_id, c.start, c.end, score))
        return Response(tuple(hits), index.version)


def parse_rows(text: str | None) -> tuple[str, ...]:
    """Comma-separated peer rows (default: all); newsrag always runs."""
    if text is None:
        return tuple(ROWS)
    rows = tuple(dict.fromkeys(r.strip() for r in text.split(",") if r.strip() and r.strip() != NEWSRAG))
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        raise ConfigError(f"--rows {text!r}: unknown row(s) {unknown!r}; allowed: {', '.join(ROWS)}")
    return rows


def require_extra(rows: Sequence[str]) -> None:
    """Raise EvalError naming the install command when a row's package is missing."""
    for name in rows:
        row = ROWS[name]
        missing = [m for m in NEEDS[row.module] if not _importable(m)]
        if missing:
            raise EvalError(f"row {name!r} needs {row.package} (cannot import {', '.join(missing)}); "
                            f"install the optional extra: pip install -e '.[peers]'")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package
        return False


def run(args: argparse.Namespace) -> tuple[Evaluation, dict[str, float]]:
    """Build every row over the index's passages and score all of them on the questions."""
    rows = parse_rows(args.rows)
    settings = Settings.from_env(**{k: v for k, v in (("seeds_dir", args.seeds), ("index_dir", args.index)) if v})
    if E5 not in settings.embedders:
        raise ConfigError(f"the peers embed with e5, but the configured embedders are {list(settings.embedders)!r}")
    require_extra(rows)
    questions = combine(args.questions)
    require_quotes(questions, settings.seeds_dir)  # before loading models

    from rag.runtime import open_searcher

    searcher = open_searcher(settings, build_if_missing=True)
    corpus = Corpus.of(searcher.index)
    e5 = E5Adapter(searcher.embedders[E5], searcher.index)
    pipelines, build_s = {}, {}
    for name in rows:
        t = time.perf_counter()
        pipelines[name] = build(name, corpus, e5, searcher.analyzer.terms)
        build_s[name] = time.perf_counter() - t
        logger.info("built %s over %d passages in %.1fs", name, len(corpus.ids), build_s[name])
    if e5.encoded_passages:
        logger.warning("%d passage(s) had no e5 vector in the index and were encoded again", e5.encoded_passages)
    ev = evaluate(PeersBackend(searcher, pipelines), questions, (NEWSRAG, *rows), settings.seeds_dir, KS,
                  [str(p) for p in args.questions])
    return ev, build_s


def markdown(ev: Evaluation, build_s: dict[str, float]) -> str:
    """One table row per pipeline: MRR@10 and recall@5 by language, the other metrics overall, p50, build time."""
    counts = ev.counts()
    groups = [g for g in ("all", "en", "ja") if counts.get(g)]
    head = ([f"MRR@10 {g}" for g in groups] + [f"R@5 {g}" for g in groups]
            + ["hit@1", "R@10", "nDCG@10", "p50 ms", "build s"])
    out = [f"questions: {', '.join(ev.question_files)} ({counts['all']}: {counts['en']} en, {counts['ja']} ja)", "",
           "| pipeline | " + " | ".join(head) + " |", "|---|" + "--:|" * len(head)]
    for m in ev.modes:
        cells = [f"{m.groups[g]['mrr@10']:.3f}" for g in groups] + [f"{m.groups[g]['recall@5']:.3f}" for g in groups]
        cells += [f"{m.groups['all'][n]:.3f}" for n in ("hit@1", "recall@10", "ndcg@10")]
        cells += [f"{m.latency.p50:.1f}", f"{build_s[m.mode]:.1f}" if m.mode in build_s else "(index)"]
        out.append(f"| {m.mode} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="benchmarks/peers.py", description=__doc__.split("\n\n")[0],
                                epilog="example:\n  .venv/bin/python benchmarks/peers.py --questions "
                                       "eval/questions/team.jsonl --json",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", type=Path, required=True, action="append", help="question-set JSONL (repeatable)")
    p.add_argument("--index", type=Path, help="index directory (default: index/, built from the seeds if missing)")
    p.add_argument("--seeds", type=Path, help="seeds directory holding the raw files quotes refer to (default: seeds/)")
    p.add_argument("--rows", help=f"comma-separated peer rows (default: all: {', '.join(ROWS)})")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help='{"newsrag": {"all"|"en"|"ja": {metric: value}, '
                                                         '"latency_ms": {"p50", "p95"}}, "haystack": ...}')
    out.add_argument("--markdown", action="store_true", help="a Markdown table for docs/peers.md")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """0 on success, 1 on a domain error (a clear message, no traceback), 2 on a usage or configuration error."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        ev, build_s = run(args)
    except ConfigError as exc:
        print(f"peers: configuration error: {exc}", file=sys.stderr)
        return 2
    except RagError as exc:  # EvalError is one too
        print(f"peers: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(json.dumps(ev.as_json(), ensure_ascii=False) + "\n")
    elif args.markdown:
        sys.stdout.write(markdown(ev, build_s))
    else:
        sys.stdout.write(format_table(ev))
    return 0


if __name__ == "__main__":
    sys.exit(main())
