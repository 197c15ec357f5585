"""Composition of the core: embedders + analyzer + loaded index → Searcher. Shared by CLI, API and evaluation."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from .embedders import Embedder, create
from .indexing.build import BuildReport, build_index
from .indexing.load import load_index
from .retrieval import Searcher
from .settings import Settings
from .stores.japanese import default_analyzer

logger = logging.getLogger(__name__)


def load_embedders(settings: Settings) -> dict[str, Embedder]:
    """Construct the configured embedders once (each loads its model)."""
    t0 = time.perf_counter()
    out = {spec: create(spec, threads=settings.threads) for spec in settings.embedders}
    for spec, emb in out.items():
        emb.name = spec  # the spec is the name recorded in the manifest and used as the search mode
    logger.info("loaded embedders %s in %.2fs", list(out), time.perf_counter() - t0)
    return out


def terminal_progress(stage: str, done: int, total: int) -> None:
    """A one-line progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty() or total == 0:
        return
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r{stage:<20} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def build(settings: Settings, embedders: dict[str, Embedder] | None = None, full: bool = False) -> BuildReport:
    """Build or update the index at settings.index_dir."""
    embedders = embedders or load_embedders(settings)
    return build_index(settings, list(embedders.values()), full=full, progress=terminal_progress)


def open_searcher(settings: Settings, *, build_if_missing: bool = False,
                  embedders: dict[str, Embedder] | None = None) -> Searcher:
    """Load models and the index; optionally build the index first when none exists."""
    embedders = embedders or load_embedders(settings)
    if build_if_missing and not (Path(settings.index_dir) / "manifest.json").exists():
        logger.warning("no index at %s: building it from %s", settings.index_dir, settings.seeds_dir)
        build(settings, embedders)
    index = load_index(settings.index_dir, settings.embedders)
    return Searcher(index, embedders, default_analyzer(), settings)
