"""Composition of the core: embedders + analyzer + loaded index → Searcher. Shared by CLI, API and evaluation."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from tqdm import tqdm

from .embedders import Embedder, create
from .embedders.batching import BatchingEmbedder
from .errors import StoreUnavailableError
from .indexing import backend
from .indexing.build import BuildReport
from .retrieval import Searcher
from .settings import Settings
from .stores.japanese import default_analyzer

logger = logging.getLogger(__name__)


def load_embedders(settings: Settings) -> dict[str, Embedder]:
    """Construct the configured embedders once (each loads its model); queries of concurrent callers are batched for
    the embedders whose rows do not depend on their batch (`batch_invariant`: e5), so that batching never changes a
    ranking. USE is not batched: it costs ~3 ms a question, and batching it would tie a question's vector, in its
    last bits, to whatever else was asked at the same moment."""
    t0 = time.perf_counter()
    out = {spec: create(spec, threads=settings.threads, e5_engine=settings.e5_engine,
                        heavy_tokens=settings.heavy_query_tokens) for spec in settings.embedders}
    for spec, emb in out.items():
        emb.name = spec  # the spec is the name recorded in the manifest and used as the search mode
    if settings.query_batch_ms > 0:
        out = {spec: BatchingEmbedder(emb, settings.query_batch_ms, settings.query_batch_max)
                     if getattr(emb, "batch_invariant", False) else emb
               for spec, emb in out.items()}
    logger.info("loaded embedders %s in %.2fs", list(out), time.perf_counter() - t0)
    return out


class StageProgress:
    """Build progress on a stream (stderr): on a terminal, a tqdm bar with done/total and an ETA per stage; otherwise
    plain lines, one when a stage starts, one when it ends, and one every `every_s` seconds in between."""

    def __init__(self, stream: TextIO | None = None, every_s: float = 10.0, unit: str = "passages",
                 label: str = "index build") -> None:
        self._out = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._out, "isatty", lambda: False)())
        self._every, self._default_unit, self._label = every_s, unit, label
        self._unit = unit
        self._stage: str | None = None
        self._first = (0.0, 0)  # (time, done) of the stage's first report: the rate is measured from there
        self._last_line = 0.0
        self._bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        now = time.monotonic()
        if stage != self._stage:
            self._stage, self._first, self._last_line = stage, (now, done), now
            # a push's stages count Qdrant points: passages, then documents and files, then aligned terms
            self._unit = "points" if stage.startswith("qdrant: ") else self._default_unit
            if self._tty:
                self._new_bar(stage, total)
            else:
                self._line(f"{stage}: {done}/{total} {self._unit}{', done' if done >= total else ''}")
                return
        if self._bar is not None:
            # the ETA is ours (from the stage's first report), not tqdm's: the first batch includes model warm-up
            self._bar.set_postfix_str(self._eta(now, done, total).removeprefix(", "), refresh=False)
            self._bar.update(done - self._bar.n)
            if done >= total:
                self._bar.close()
                self._bar = None
        elif done >= total:
            self._line(f"{stage}: {done}/{total} {self._unit}, done in {now - self._first[0]:.1f}s")
        elif now - self._last_line >= self._every:
            self._line(f"{stage}: {done}/{total} {self._unit}{self._eta(now, done, total)}")

    def _new_bar(self, stage: str, total: int) -> None:
        if self._bar is not None:  # a stage that never reported its end
            self._bar.close()
        # a terminal that reports no size (a bare pty: 0 rows, 0 columns) would otherwise hide the bar
        self._bar = tqdm(total=total, file=self._out, desc=stage, ascii=".#", mininterval=0.2, ncols=200, nrows=50,
                         bar_format="{desc:<20} [{bar:30}] {n}/{total} " + self._unit + "{postfix}")

    def _eta(self, now: float, done: int, total: int) -> str:
        t, d = self._first
        if done >= total:
            return f", {now - t:.0f}s"
        if done <= d or now <= t:
            return ""
        return f", ETA {(total - done) * (now - t) / (done - d):.0f}s"

    def _line(self, text: str) -> None:
        self._last_line = time.monotonic()
        self._out.write(f"[{self._label}] {text}\n")
        self._out.flush()


def build(settings: Settings, embedders: dict[str, Embedder] | None = None, full: bool = False) -> BuildReport:
    """Build or update the index at settings.index_dir, reporting each stage's progress on stderr. Embedders it loads
    itself it also closes, whatever the outcome: each e5 holds engine threads, and a program that builds again and
    again (or a test) kept two more per build."""
    owned = embedders is None
    embedders = embedders or load_embedders(settings)
    try:
        return backend.build(settings, list(embedders.values()), full=full, progress=StageProgress())
    finally:
        if owned:
            close_embedders(embedders)


def close_embedders(embedders: Mapping[str, Embedder]) -> None:
    """End the models' own threads (e5's engine threads); a closed embedder refuses work."""
    for embedder in embedders.values():
        getattr(embedder, "close", lambda: None)()


def open_searcher(settings: Settings, *, build_if_missing: bool = False,
                  embedders: dict[str, Embedder] | None = None, wait_for_store: bool = True) -> Searcher:
    """Load models and the index; optionally build the index first when none exists. Models it loads itself are
    closed again if no searcher comes of them (no index, a failed build). `wait_for_store=False`: a store an open
    would wait for now (a Qdrant local-mode folder a build is publishing into, a Qdrant server that does not answer
    within two seconds) is a StoreUnavailableError at once, not a wait of up to two minutes (`rag serve`'s start,
    whose port stays closed until it returns)."""
    if embedders:
        return _open_searcher(settings, build_if_missing, embedders, wait_for_store)
    embedders = load_embedders(settings)
    try:
        return _open_searcher(settings, build_if_missing, embedders, wait_for_store)
    except BaseException:
        close_embedders(embedders)
        raise


def needs_build(settings: Settings) -> bool:
    """Whether the index is missing, or of an older format that a build updates (what `build_if_needed` builds)."""
    return backend.index_is_upgradable(settings) or not backend.index_exists(settings)


def build_if_needed(settings: Settings, embedders: dict[str, Embedder]) -> BuildReport | None:
    """Build the index if it is missing, or update it if it is of an older format (its vectors reused), saying so;
    None when it is there already."""
    if backend.index_is_upgradable(settings):
        logger.warning("the index at %s is of an older format: updating it from %s, its vectors reused (progress "
                       "below)", settings.index_dir, settings.seeds_dir)
        report = build(settings, embedders)
        logger.info("updated index %s: %d passages from %d documents in %.1fs", report.index_version,
                    report.passages, report.documents, report.seconds)
        return report
    if not backend.index_exists(settings):
        logger.warning("no index %s: building it from %s (progress below)", backend.store(settings).where(settings),
                       settings.seeds_dir)
        report = build(settings, embedders)
        logger.info("built index %s: %d passages from %d documents in %.1fs", report.index_version,
                    report.passages, report.documents, report.seconds)
        return report
    return None


def _open_searcher(settings: Settings, build_if_missing: bool, embedders: dict[str, Embedder],
                   wait_for_store: bool) -> Searcher:
    busy = None if wait_for_store else backend.store(settings).busy(settings)
    if busy:
        raise StoreUnavailableError(busy)
    if build_if_missing:
        build_if_needed(settings, embedders)
    index = backend.open_index(settings)
    return Searcher(index, embedders, default_analyzer(), settings)
