"""The serving store behind the components, chosen by RAG_STORE: where a build is published and an index is opened.

`local` serves the build directory under index_dir. `qdrant` builds the same way (index_dir is the builder's working
copy, so embedding stays incremental by key), then publishes the version into Qdrant, which every replica opens.
Each is a `Store` in `STORES`, keyed by the setting's value; the functions below ask the configured one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..embedders import Embedder
from ..errors import IndexError_
from ..settings import Settings
from .build import BuildReport, Destination, build_index
from .load import LoadedIndex, load_index
from .manifest import UPGRADABLE, read_manifest

Progress = Callable[[str, int, int], None]


class Published(Protocol):
    """What publishing a build into a store did."""

    def as_json(self) -> dict[str, Any]:
        """Its part of the build report (`rag index build --json`), under the store's name."""
        ...


class Store(Protocol):
    """Where built index versions are served from."""

    def open(self, settings: Settings) -> LoadedIndex:
        """The live index version."""
        ...

    def exists(self, settings: Settings) -> bool:
        """Whether there is a live version to open."""
        ...

    def upgradable(self, settings: Settings) -> bool:
        """Whether the live version is of an older format that a plain build updates, reusing its data."""
        ...

    def check_destination(self, settings: Settings) -> None:
        """Raise if a build could not be published here: asked before the build embeds anything."""
        ...

    def publish(self, settings: Settings, progress: Progress | None) -> Published | None:
        """Publish the live local build under index_dir as a new version (None: the store serves it as it is)."""
        ...

    def keeps_unchanged(self, settings: Settings, manifest: dict[str, Any], progress: Progress | None = None) -> bool:
        """Whether a build that finds nothing new may keep the live local build (`manifest`; asked only then): this
        store serves it, whole and as the settings ask. False: the build makes a version, which is published.
        `progress` hears of a wait (a store another process holds)."""
        ...

    def served(self, settings: Settings, progress: Progress | None = None) -> dict[str, Any] | None:
        """The manifest this store serves now, for a build with no local one to measure removals against."""
        ...

    def busy(self, settings: Settings) -> str | None:
        """Why opening the store now would wait (another process holds it, it does not answer; None: it would not),
        found without waiting for it."""
        ...

    def in_process(self, settings: Settings) -> bool:
        """Whether the store lives in this process's memory only, which no other process can read or write: a build
        in another process, or a command that exits, publishes into a memory that is then gone."""
        ...

    def where(self, settings: Settings) -> str:
        """Where the live version is looked for, as "no index <where>" says it."""
        ...


class LocalStore:
    """The build directories under index_dir, served as they are."""

    def open(self, settings: Settings) -> LoadedIndex:
        return load_index(settings.index_dir, settings.embedders)

    def exists(self, settings: Settings) -> bool:
        return (Path(settings.index_dir) / "manifest.json").exists()

    def upgradable(self, settings: Settings) -> bool:
        try:
            return read_manifest(Path(settings.index_dir), upgrading=True)["format_version"] in UPGRADABLE
        except IndexError_:
            return False

    def check_destination(self, settings: Settings) -> None:
        return None

    def publish(self, settings: Settings, progress: Progress | None) -> Published | None:
        return None

    def keeps_unchanged(self, settings: Settings, manifest: dict[str, Any], progress: Progress | None = None) -> bool:
        return True

    def served(self, settings: Settings, progress: Progress | None = None) -> dict[str, Any] | None:
        return None  # the local manifest is what serves: none, nothing served

    def busy(self, settings: Settings) -> str | None:
        return None  # a build beside it writes a new build directory; the live one is read as it is

    def in_process(self, settings: Settings) -> bool:
        return False

    def where(self, settings: Settings) -> str:
        return f"at {settings.index_dir}"


def _qdrant() -> Store:
    from ..qdrant.store import QdrantStore  # qdrant-client is imported only by processes that use it

    return QdrantStore()


STORES: dict[str, Callable[[], Store]] = {"local": LocalStore, "qdrant": _qdrant}


def store(settings: Settings) -> Store:
    """The configured store (Settings has refused any other name)."""
    return STORES[settings.store]()


def open_index(settings: Settings) -> LoadedIndex:
    """The live index version of the configured store."""
    return store(settings).open(settings)


def index_exists(settings: Settings) -> bool:
    return store(settings).exists(settings)


def index_is_upgradable(settings: Settings) -> bool:
    """Whether the index is of an older format that a plain build updates, reusing its data (rag serve then updates
    it as it builds a missing one)."""
    return store(settings).upgradable(settings)


def build(settings: Settings, embedders: Sequence[Embedder], *, full: bool = False,
          progress: Progress | None = None) -> BuildReport:
    """Build (incrementally unless `full`) under index_dir, then publish it to the configured store."""
    where = store(settings)
    where.check_destination(settings)  # before the embedding, not after it
    destination = Destination(keeps_unchanged=lambda manifest: where.keeps_unchanged(settings, manifest, progress),
                              served=lambda: where.served(settings, progress))
    report = build_index(settings, embedders, full=full, progress=progress, destination=destination)
    published = where.publish(settings, progress)
    return report if published is None else dataclasses.replace(report, store={settings.store: published.as_json()})


def push(settings: Settings, progress: Progress | None = None) -> Published | None:
    """Publish the live local build under index_dir into the configured store as a new version, embedding nothing
    (`rag index push`, which configures Qdrant)."""
    return store(settings).publish(settings, progress)
