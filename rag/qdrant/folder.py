"""qdrant-client's local mode over a folder, reading each collection when an operation first uses it.

The client's own open reads every point of every collection in the folder into memory (its `QdrantLocal._load`):
the live version, the previous one kept for replicas, and their terms and meta collections. An operation uses one
version, or two, so most of what an open read was thrown away, and a build opened the folder two or three times.
Here the folder's meta.json is read, its lock taken as the client takes it, and a collection's points are read on
its first use. The client's bookkeeping (meta.json written again, aliases, a collection dropped, close) needs only a
collection's config and text indexes, which meta.json holds, so an unread collection stays unread through it.

This relies on qdrant-client's local mode, which is not an API (the version is pinned in .ci/constraints.txt);
`tests/qdrant/test_qdrant_folder.py` checks the parts it relies on."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import warnings
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client.http import models as rest_models
from qdrant_client.local.local_collection import LocalCollection
from qdrant_client.local.qdrant_local import META_INFO_FILENAME, QdrantLocal

from . import UNREADABLE, unusable_folder
from .sparse_local import install


class _Unread:
    """A collection named in meta.json whose points have not been read: what the client's bookkeeping asks of it."""

    def __init__(self, config: rest_models.CreateCollection, path: str | None) -> None:
        self.config = config
        self.path = path
        self.text_indexes: dict[str, rest_models.TextIndexParams] = {}

    def close(self) -> None:
        pass


class _Collections(dict):
    """name -> LocalCollection, each read from its folder the first time it is looked up."""

    def __init__(self, location: str, check_same_thread_off: bool) -> None:
        super().__init__()
        self._location = location
        self._check_same_thread_off = check_same_thread_off
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Any:
        value = super().__getitem__(name)
        if type(value) is not _Unread:
            return value
        with self._lock:
            value = super().__getitem__(name)
            if type(value) is _Unread:
                try:
                    read = LocalCollection(value.config, value.path,
                                           force_disable_check_same_thread=self._check_same_thread_off)
                except UNREADABLE as exc:
                    raise unusable_folder(self._location, exc, name) from None
                read.text_indexes = value.text_indexes
                if len(read.ids) > QdrantLocal.LARGE_DATA_THRESHOLD:  # the client's own warning, given at its open
                    warnings.warn(f"Local mode is not recommended for collections with more than "
                                  f"{QdrantLocal.LARGE_DATA_THRESHOLD:,} points. Collection <{name}> contains "
                                  f"{len(read.ids)} points. Consider using Qdrant in Docker or Qdrant Cloud for "
                                  "better performance with large datasets.", UserWarning, stacklevel=2)
                super().__setitem__(name, read)
                value = read
        return value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default

    def unread(self) -> list[str]:
        return [name for name, value in super().items() if type(value) is _Unread]


class _OneTransaction:
    """A SQLite connection whose `with` block is a savepoint, not a commit: the client's per-point writes join the
    transaction FolderLocal.upsert opened and commits once, and a point whose write fails is rolled back alone, as
    the client's own commit per point would leave it. Where SQLite itself ended the transaction (a full disk, an
    I/O error), there is no savepoint left to roll back to: the error goes on as it is."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> _OneTransaction:
        self._connection.execute("SAVEPOINT point")
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> bool:
        if self._connection.in_transaction:
            if error is not None:
                self._connection.execute("ROLLBACK TO point")
            self._connection.execute("RELEASE point")
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class FolderLocal(QdrantLocal):
    """QdrantLocal whose open reads meta.json and takes the folder's lock, and reads no points."""

    def _load(self) -> None:
        collections = _Collections(self.location, self.force_disable_check_same_thread)
        meta_path = os.path.join(self.location, META_INFO_FILENAME)
        if not os.path.exists(meta_path):
            os.makedirs(self.location, exist_ok=True)
            with open(meta_path, "w") as f:
                f.write(json.dumps({"collections": {}, "aliases": {}}))
        else:
            with open(meta_path) as f:
                meta = json.load(f)
            for name, config_json in meta["collections"].items():
                config_json.pop("init_from", None)  # as the client does: a field the server no longer takes
                dict.__setitem__(collections, name, _Unread(rest_models.CreateCollection(**config_json),
                                                            self._collection_path(name)))
            self.aliases = meta["aliases"]
            for name, indexes in meta.get("text_indexes", {}).items():
                dict.__getitem__(collections, name).text_indexes = {
                    field: rest_models.TextIndexParams(**params) for field, params in indexes.items()}
        self.collections = collections
        self._lock_folder()

    def _lock_folder(self) -> None:
        """The client's lock on <folder>/.lock, taken as its `_load` takes it (RuntimeError when another holds it)."""
        import portalocker

        lock_file_path = os.path.join(self.location, ".lock")
        if not os.path.exists(lock_file_path):
            with open(lock_file_path, "w") as f:
                f.write("tmp lock file")
        self._flock_file = open(lock_file_path, "r+")
        try:
            portalocker.lock(self._flock_file, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException:
            self._flock_file.close()
            raise RuntimeError(f"Storage folder {self.location} is already accessed by another instance of Qdrant "
                               "client") from None

    def upsert(self, collection_name: str, points: Any, **kwargs: Any) -> Any:
        """The client's upsert, with the call's points written to the collection's SQLite file in one transaction:
        the client commits each point on its own (`CollectionPersistence.persist`), a journal file made, synced and
        removed per point, which was most of a push's time on a disk (the seed index: 2.4–2.5 s, now 0.4 s, about as
        in /dev/shm; benchmarks/qdrant_folder_push.py).

        When a point fails in Python or in its own statement, the points before it are committed and it is not, as
        the client's own commits leave them (it holds those points in memory too). When SQLite ends the whole
        transaction itself (a full disk, an I/O error), or the commit fails, none of the call's points is on disk:
        the collection is then read again from its file at its next use, so that memory never holds what the disk
        does not."""
        collection = self._get_collection(collection_name)
        storage = getattr(collection, "storage", None)  # None for a collection that is not persisted
        connection = getattr(storage, "storage", None)
        if not isinstance(connection, sqlite3.Connection) or connection.in_transaction:
            return super().upsert(collection_name, points, **kwargs)
        connection.execute("BEGIN")
        storage.storage = _OneTransaction(connection)
        try:
            result = super().upsert(collection_name, points, **kwargs)
        except BaseException:
            storage.storage = connection
            if connection.in_transaction:
                self._commit(collection_name, connection)  # the points before the failing one
            else:
                self._forget(collection_name)  # SQLite rolled the whole call back
            raise
        storage.storage = connection
        self._commit(collection_name, connection)
        return result

    def _commit(self, collection_name: str, connection: sqlite3.Connection) -> None:
        try:
            connection.commit()
        except BaseException:
            if connection.in_transaction:
                connection.rollback()
            self._forget(collection_name)
            raise

    def _forget(self, collection_name: str) -> None:
        """Drop the collection's memory: its next use reads it again from its file."""
        name = collection_name if collection_name in self.collections else self.aliases[collection_name]
        collection = dict.__getitem__(self.collections, name)
        unread = _Unread(collection.config, self._collection_path(name))
        unread.text_indexes = collection.text_indexes
        collection.close()
        dict.__setitem__(self.collections, name, unread)

    def collection_exists(self, collection_name: str, **kwargs: Any) -> bool:
        """Without reading the collection (the client's own looks it up, which reads it)."""
        if self.closed:
            raise RuntimeError("QdrantLocal instance is closed. Please create a new instance.")
        return collection_name in self.collections or self.aliases.get(collection_name) in self.collections


def open_folder(path: str) -> QdrantClient:
    """A QdrantClient on the local-mode folder at `path` whose collections are read on first use."""
    install()
    client = QdrantClient(location=":memory:")  # the client shell; its in-memory store is replaced at once
    client._client.close()
    client._client = FolderLocal(location=path)
    client._init_options.update(location=None, path=path)
    return client
