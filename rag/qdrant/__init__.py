"""Qdrant as the store behind the components (RAG_STORE=qdrant): a server or cluster, or the client's local mode.

An index version is three collections named after its build: `<alias>-<build>` holds one point per passage (the
named dense vectors, e5's sparse latent terms and BM25's terms as sparse vectors, the passage and its citation as
payload), `<alias>-<build>-meta` the manifest, the documents and the small files some components load whole (the
bridge, the BM25 vocabulary, the answers' sentence store), and `<alias>-<build>-terms` the term-alignment vectors,
queried for the terms nearest an English word. The alias names the live version; switching it is atomic, so every
replica reading the alias sees one complete version or the previous one.
"""

from __future__ import annotations

import atexit
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, IndexError_, IndexMissingError
from ..settings import Settings

T = TypeVar("T")
# uuid5 namespace of passage point ids: the same passage always gets the same id, so re-upserting it is idempotent
NAMESPACE = uuid.UUID("5b0e7c8e-2f52-4f6a-9d0c-7a1f3c2b9e41")
MEMORY = ":memory:"
BM25 = "bm25"  # the sparse vector holding BM25's saturated term frequencies (Qdrant applies the IDF)


def point_id(passage_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, passage_id))


def collections(alias: str, build: str) -> tuple[str, str, str]:
    """The (passages, meta, terms) collections of one index version."""
    points = f"{alias}-{build.lower()}"
    return points, f"{points}-meta", f"{points}-terms"


class Connection:
    """One client per server or local folder. The local mode keeps its collections in this process's memory and is
    not safe for concurrent calls, so they take turns there; a server's client is called concurrently."""

    def __init__(self, client: Any, where: str, local: bool) -> None:
        self.client = client
        self.where = where
        self.local = local
        self._lock = threading.RLock() if local else None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._lock is None:
            return fn(*args, **kwargs)
        with self._lock:
            return fn(*args, **kwargs)

    def live_collection(self, alias: str) -> str | None:
        """The collection the alias points at, or None when there is no such alias."""
        for a in self.call(self.client.get_aliases).aliases:
            if a.alias_name == alias:
                return a.collection_name
        return None

    def require_live(self, alias: str) -> str:
        live = self.live_collection(alias)
        if live is None:
            raise IndexMissingError(f"Qdrant at {self.where} has no index under the alias {alias!r}; build it with "
                                    f"`RAG_STORE=qdrant rag index build` (or push a local one with `rag index push`)")
        return live


_CONNECTIONS: dict[str, Connection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def connect(settings: Settings) -> Connection:
    """The process's connection for the settings' Qdrant. A local-mode folder can be opened by one process only, and
    within it the server and its live builds must share one client: connections are kept per place."""
    from qdrant_client import QdrantClient

    if settings.qdrant_url:
        where, make = settings.qdrant_url, lambda: QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key,
                                                                 timeout=30)
    elif str(settings.qdrant_path) == MEMORY:  # the local mode without a folder: tests, and trying it out
        where, make = MEMORY, lambda: QdrantClient(location=MEMORY)
    elif settings.qdrant_path:
        path = Path(settings.qdrant_path).resolve()
        where, make = str(path), lambda: QdrantClient(path=str(path))
    else:
        raise ConfigError("store=qdrant needs RAG_QDRANT_URL or RAG_QDRANT_PATH")
    with _CONNECTIONS_LOCK:
        conn = _CONNECTIONS.get(where)
        if conn is None:
            try:
                client = make()
            except RuntimeError as exc:  # the local mode's folder lock: another process has it open
                raise IndexError_(f"Qdrant's local mode at {where} is open in another process ({exc}); the local mode "
                                  f"serves one process: build through that server (POST /v1/admin/rebuild, or "
                                  f"`rag serve --watch`), or run a Qdrant server (RAG_QDRANT_URL)") from None
            conn = _CONNECTIONS[where] = Connection(client, where, local=not settings.qdrant_url)
            if len(_CONNECTIONS) == 1:
                atexit.register(_close_all)  # before the interpreter tears down what the client's close needs
        return conn


def _close_all() -> None:
    with _CONNECTIONS_LOCK:
        conns = list(_CONNECTIONS.values())
        _CONNECTIONS.clear()
    for conn in conns:
        conn.call(conn.client.close)


def disconnect(settings: Settings) -> None:
    """Close and forget the settings' connection (tests, and a CLI command that is done)."""
    path = str(settings.qdrant_path or "")
    where = settings.qdrant_url or (path if path in ("", MEMORY) else str(Path(path).resolve()))
    with _CONNECTIONS_LOCK:
        conn = _CONNECTIONS.pop(where, None)
    if conn is not None:
        conn.call(conn.client.close)
