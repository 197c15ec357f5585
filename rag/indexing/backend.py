"""The serving store behind the components, chosen by RAG_STORE: where a build is published and an index is opened.

`local` serves the build directory under index_dir. `qdrant` builds the same way (index_dir is the builder's working
copy, so embedding stays incremental by key), then publishes the version into Qdrant, which every replica opens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from ..embedders import Embedder
from ..errors import IndexError_, IndexMissingError
from ..settings import Settings
from .build import BuildReport, build_index
from .load import LoadedIndex, load_index
from .manifest import UPGRADABLE, read_manifest

Progress = Callable[[str, int, int], None]


def open_index(settings: Settings) -> LoadedIndex:
    """The live index version of the configured store."""
    if settings.store == "qdrant":
        from ..qdrant.load import load_qdrant_index

        return load_qdrant_index(settings)
    return load_index(settings.index_dir, settings.embedders)


def index_exists(settings: Settings) -> bool:
    if settings.store == "qdrant":
        from ..qdrant import session

        try:
            with session(settings, create=False) as conn:
                return conn.live_collection(settings.qdrant_collection) is not None
        except IndexMissingError:  # no store there yet: a build makes it
            return False
    return (Path(settings.index_dir) / "manifest.json").exists()


def index_is_upgradable(settings: Settings) -> bool:
    """Whether the local index is of an older format that a plain build updates, reusing its data (rag serve then
    updates it as it builds a missing one)."""
    if settings.store == "qdrant":
        return False
    try:
        return read_manifest(Path(settings.index_dir), upgrading=True)["format_version"] in UPGRADABLE
    except IndexError_:
        return False


def build(settings: Settings, embedders: Sequence[Embedder], *, full: bool = False,
          progress: Progress | None = None) -> BuildReport:
    """Build (incrementally unless `full`) under index_dir, then publish to the store when it is not local."""
    if settings.store == "qdrant":
        from ..qdrant import check_destination

        check_destination(settings)  # before the embedding, not after it
    report = build_index(settings, embedders, full=full, progress=progress)
    if settings.store != "qdrant":
        return report
    pushed = push(settings, progress)
    return dataclasses.replace(report, store={"qdrant": pushed.as_json()})


def push(settings: Settings, progress: Progress | None = None):
    """Publish the live local build under index_dir into Qdrant as a new version (`rag index push`)."""
    from ..qdrant import session
    from ..qdrant.publish import publish
    from .manifest import check_compatible

    # a version of other embedders than the settings name would be refused by every replica that loads it (and by a
    # server restarted on it): refused here, before the alias moves
    check_compatible(read_manifest(Path(settings.index_dir)), settings.embedders, settings.index_dir,
                     fix="push an index built with them")
    with session(settings) as conn:
        return publish(conn, settings.qdrant_collection, Path(settings.index_dir), shards=settings.qdrant_shards,
                       replicas=settings.qdrant_replicas, progress=progress)
