"""Qdrant as a `Store` (rag/indexing/backend.py): a local build is published into it as a new version, and every
replica opens the version its alias names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import IndexMissingError
from ..indexing.backend import Progress
from ..indexing.load import LoadedIndex
from ..indexing.manifest import check_compatible, read_manifest
from ..settings import Settings
from ..shown import shown_url
from . import MEMORY, session
from .checks import alias_in_folder, check_destination, store_busy
from .load import load_qdrant_index
from .publish import PushReport, publish, readable_live_manifest, serves_whole


class QdrantStore:
    """Versions published into Qdrant (a server, a cluster, or the client's local mode), opened by their alias."""

    def open(self, settings: Settings) -> LoadedIndex:
        return load_qdrant_index(settings)

    def exists(self, settings: Settings) -> bool:
        known = alias_in_folder(settings)  # a local-mode folder: looked at, not opened (`rag serve` opens it next)
        if known is not None:
            return known
        try:
            with session(settings, create=False) as conn:
                return conn.live_collection(settings.qdrant_collection) is not None
        except IndexMissingError:  # no store there yet: a build makes it
            return False

    def busy(self, settings: Settings) -> str | None:
        return store_busy(settings)

    def in_process(self, settings: Settings) -> bool:
        return not settings.qdrant_url and str(settings.qdrant_path) == MEMORY  # the local mode without a folder

    def where(self, settings: Settings) -> str:
        # the alias, not the index folder: a mistyped RAG_QDRANT_PATH was reported as "no index at <the index
        # folder>", which was there
        place = shown_url(settings.qdrant_url) if settings.qdrant_url else f"RAG_QDRANT_PATH {settings.qdrant_path}"
        return (f"under the alias {settings.qdrant_collection!r} in Qdrant at {place} (building into "
                f"{settings.index_dir}, then publishing)")

    def upgradable(self, settings: Settings) -> bool:
        return False  # a version in Qdrant is pushed again from its local build, never updated in place

    def check_destination(self, settings: Settings) -> None:
        check_destination(settings)

    def publish(self, settings: Settings, progress: Progress | None) -> PushReport:
        return push(settings, progress)

    def keeps_unchanged(self, settings: Settings, manifest: dict[str, Any], progress: Progress | None = None) -> bool:
        """Yes only when the alias serves the local build itself, whole, in the shards and replicas the settings ask
        for. Otherwise the build is a new version, which the push writes and the alias moves to: after a rollback
        (the seeds are what a build publishes), after a publish that did not finish, over a damaged version, or for
        another layout (a version is written once, in one layout). It said "up to date" in each of these while the
        push moved the alias."""
        _opening(progress)
        try:
            with session(settings, create=False) as conn:
                return serves_whole(conn, settings.qdrant_collection, manifest,
                                    (settings.qdrant_shards, settings.qdrant_replicas))
        except IndexMissingError:  # no store there yet: what the push writes is news to every reader
            return False

    def served(self, settings: Settings, progress: Progress | None = None) -> dict[str, Any] | None:
        _opening(progress)
        try:
            with session(settings, create=False) as conn:
                live = conn.live_collection(settings.qdrant_collection)
                return (readable_live_manifest(conn, live) or None) if live is not None else None
        except IndexMissingError:
            return None


def _opening(progress: Progress | None) -> None:
    """Say so before an open: a local-mode folder another process holds is waited for there, up to LOCK_WAIT_S (a
    live build's status read "reading seeds 0/0" for the whole wait)."""
    if progress is not None:
        progress("qdrant: opening the store", 0, 0)


def push(settings: Settings, progress: Progress | None = None) -> PushReport:
    """Publish the live local build under index_dir into Qdrant as a new version (`rag index push`)."""
    # a version of other embedders than the settings name would be refused by every replica that loads it (and by a
    # server restarted on it): refused here, before the alias moves
    check_compatible(read_manifest(Path(settings.index_dir)), settings.embedders, settings.index_dir,
                     fix="push an index built with them")
    _opening(progress)
    with session(settings) as conn:
        return publish(conn, settings.qdrant_collection, Path(settings.index_dir), shards=settings.qdrant_shards,
                       replicas=settings.qdrant_replicas, progress=progress)
