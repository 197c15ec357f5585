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
import fcntl
import logging
import os
import pickle
import sqlite3
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, IndexMissingError, StoreDamagedError, StoreUnavailableError
from ..settings import Settings
from ..shown import shown_url

logger = logging.getLogger(__name__)
# qdrant-client checks a server's version in a thread of its own as it connects and, when the server does not answer,
# prints this over two lines with its source path; the first call says why the server did not answer, in one line.
# A version that does not match is still said.
warnings.filterwarnings("ignore", message="Failed to obtain server version", category=UserWarning)

T = TypeVar("T")
# uuid5 namespace of passage point ids: the same passage always gets the same id, so re-upserting it is idempotent
NAMESPACE = uuid.UUID("5b0e7c8e-2f52-4f6a-9d0c-7a1f3c2b9e41")
MEMORY = ":memory:"
BM25 = "bm25"  # the sparse vector holding BM25's saturated term frequencies (Qdrant applies the IDF)


def point_id(passage_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, passage_id))


def meta_id(kind: str, name: str = "", part: int = 0) -> str:
    """The id of a meta point: the manifest, a document, or one part of a stored file."""
    return str(uuid.uuid5(NAMESPACE, f"meta:{kind}:{name}:{part}"))


def collections(alias: str, build: str) -> tuple[str, str, str]:
    """The (passages, meta, terms) collections of one index version."""
    points = f"{alias}-{build.lower()}"
    return points, f"{points}-meta", f"{points}-terms"


class Connection:
    """One client per server or local folder. The local mode keeps its collections in this process's memory and is
    not safe for concurrent calls, so they take turns there; a server's client is called concurrently."""

    def __init__(self, client: Any, where: str, local: bool, folder: bool = False) -> None:
        self.client = client
        self.where = where
        self.local = local
        self.folder = folder  # a local-mode folder, open for one operation
        self._lock = threading.RLock() if local else None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` on the client; a server that does not answer, or a collection that is gone (an old
        version collected while a replica still serves it), is a StoreUnavailableError that says what to do."""
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        try:
            if self._lock is None:
                return fn(*args, **kwargs)
            with self._lock:
                return fn(*args, **kwargs)
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):  # a key refused said only "Unexpected Response: 403 (Forbidden)"
                raise StoreUnavailableError(f"Qdrant at {self.where} answered {exc.status_code} ({_reason(exc)}); "
                                            f"{KEY_HINT}") from None
            if exc.status_code != 404:
                raise StoreUnavailableError(f"Qdrant at {self.where} answered {exc.status_code} ({_reason(exc)})") from None
            # Qdrant says "Not found: Collection `…` doesn't exist!"; another server at the URL says something else
            if b"Not found" not in (getattr(exc, "content", None) or b""):
                raise StoreUnavailableError(f"{self.where} answered 404 ({_reason(exc)}): is RAG_QDRANT_URL a Qdrant "
                                            "server?") from None
            raise StoreUnavailableError(f"Qdrant at {self.where}: {_reason(exc)}; a newer version has replaced this "
                                        "one, reload the index (POST /v1/admin/reload)") from None
        except (ResponseHandlingException, OSError) as exc:
            if isinstance(getattr(exc, "source", None), ValueError):  # it answered: JSON not in Qdrant's shape
                raise StoreUnavailableError(f"{self.where} answered in a form that is not Qdrant's "
                                            f"({exc.source.__class__.__name__}): is RAG_QDRANT_URL a Qdrant "
                                            "server?") from None
            raise StoreUnavailableError(f"Qdrant at {self.where} did not answer ({_reason(exc)}); check that it is "
                                        "running and reachable, then retry") from None
        except ValueError as exc:
            if "not found" in str(exc):
                raise StoreUnavailableError(f"Qdrant at {self.where}: {exc}; a newer version has replaced this one, "
                                            "reload the index (POST /v1/admin/reload)") from None
            if self.local:
                raise
            # a 200 that is not Qdrant's JSON (a proxy's login page): the client's JSONDecodeError or ValidationError
            raise StoreUnavailableError(f"{self.where} answered in a form that is not Qdrant's "
                                        f"({exc.__class__.__name__}): is RAG_QDRANT_URL a Qdrant server?") from None

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


# what a 401 or 403 from a Qdrant server says to do (it said only "Unexpected Response: 403 (Forbidden)")
KEY_HINT = "check RAG_QDRANT_API_KEY (a key that server accepts, with the rights this command needs)"


def _reason(exc: BaseException) -> str:
    """An exception's text on one line, cut to 200 characters (the client's UnexpectedResponse spans three)."""
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 200 else text[:200] + "…"


_CONNECTIONS: dict[str, Connection] = {}
_CONNECTIONS_LOCK = threading.Lock()
LOCK_WAIT_S = 120.0  # how long an operation waits for a local-mode folder another process is using


@contextmanager
def session(settings: Settings, create: bool = True) -> Iterator[Connection]:
    """A connection for one operation (a push, a load; `create=False` for a read, which refuses a folder holding no
    store rather than make one). A server's client, and the `:memory:` local mode, are shared by the process. A
    local-mode folder is opened for the operation and closed after it: the folder is locked by the process that
    opens it, so a `rag serve` reading it and a `rag index build` publishing into it take turns."""
    if settings.qdrant_url or str(settings.qdrant_path) == MEMORY:
        yield connect(settings)
        return
    if not settings.qdrant_path:
        raise ConfigError("store=qdrant needs RAG_QDRANT_URL or RAG_QDRANT_PATH")
    path = Path(settings.qdrant_path).resolve()
    if path.exists() and not path.is_dir():
        raise StoreUnavailableError(f"RAG_QDRANT_PATH {str(path)!r} is a file; name the folder of Qdrant's local mode")
    if not create and not (path / "meta.json").is_file():
        # a read (a load, info, search) of a folder that holds no store: opening it would make one there (its .lock
        # and meta.json, in whatever folder a mistyped path names) and then report an empty store
        raise IndexMissingError(f"no Qdrant local-mode store at RAG_QDRANT_PATH {str(path)!r}; build one with "
                                "`RAG_STORE=qdrant rag index build`, or push a local index with `rag index push`")
    _refuse_foreign_folder(path)
    conn = Connection(_open_folder(path), str(path), local=True, folder=True)
    try:
        yield conn
    finally:
        conn.client.close()


def _folder(settings: Settings) -> Path | None:
    """The local-mode folder `settings` name; None for a server, `:memory:`, or no path."""
    if settings.qdrant_url or not settings.qdrant_path or str(settings.qdrant_path) == MEMORY:
        return None
    return Path(settings.qdrant_path)


def _refuse_foreign_folder(path: Path) -> None:
    """A folder that holds other things and no store is not made one (a push into the seeds folder wrote Qdrant's
    collection/ and meta.json among the seeds)."""
    if path.is_dir() and not (path / "meta.json").is_file() and any(p.name != ".lock" for p in path.iterdir()):
        raise StoreUnavailableError(f"RAG_QDRANT_PATH {str(path)!r} holds other files and no Qdrant store; name an "
                                    "empty folder, or the folder of an existing store")


# what opening a folder that is no local-mode store raises, or reading a collection of it (a storage.sqlite cut short,
# a point's stored bytes damaged)
UNREADABLE = (OSError, KeyError, ValueError, TypeError, sqlite3.DatabaseError, pickle.UnpicklingError)


def unusable_folder(location: str, exc: BaseException, collection: str | None = None) -> StoreDamagedError:
    """A folder, or a collection in it, that cannot be read (a traceback in every command, and `rag serve` did not
    start), as one line; a collection's is named, and how a live version's is written again (the message named
    only the folder, and an operator could not tell which of its files was damaged: an operator's probe)."""
    unusable, why = f"RAG_QDRANT_PATH {location!r} cannot be used as Qdrant's local mode", \
        f"({exc.__class__.__name__}: {_reason(exc)})"
    if collection is None:
        return StoreDamagedError(f"{unusable} {why}")
    return StoreDamagedError(f"{unusable}: its collection {collection!r} cannot be read {why}; a damaged live version "
                             "is written again by `rag index push` or `RAG_STORE=qdrant rag index build`")


def _open_folder(path: Path) -> Any:
    """The local-mode client of the folder at `path`, waiting up to LOCK_WAIT_S while another process holds it.

    The stock client read every collection before it tried the folder's lock, so retrying it in a loop kept a core busy
    for the whole wait (94 % for 120 s); the lock is looked at first, with no reading, and the client is opened when
    it is free. A path that is no local-mode folder (a place that cannot be written, another program's meta.json) is
    a StoreUnavailableError naming it, not a traceback; `session`, its one caller, has refused a file already.
    Opening reads no points: each collection is read when an operation first uses it (rag/qdrant/folder.py)."""
    from .folder import open_folder

    deadline = time.monotonic() + LOCK_WAIT_S
    said = False
    while True:
        if not _held_elsewhere(path):
            try:
                return open_folder(str(path))
            except RuntimeError:  # taken between the look and the open: wait again
                pass
            except UNREADABLE as exc:
                raise unusable_folder(str(path), exc) from None
        if time.monotonic() > deadline:
            raise StoreUnavailableError(f"Qdrant's local mode at {path} stayed in use by another process for "
                              f"{LOCK_WAIT_S:.0f}s; try again when it is done") from None
        if not said:
            logger.warning("Qdrant's local mode at %s is in use by another process; waiting up to %.0fs", path,
                           LOCK_WAIT_S)
            said = True
        time.sleep(0.25)


def _held_elsewhere(path: Path) -> bool:
    """Whether another process (or another open of it here) holds the folder's lock (qdrant-client's local mode takes
    an exclusive flock on <folder>/.lock), found without reading the folder."""
    try:
        fd = os.open(path / ".lock", os.O_RDONLY)
    except OSError:  # no lock file yet (a new folder), or none readable: let the client say
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def serving_copy(conn: Connection, names: list[str]) -> Connection:
    """What a loaded version queries: a server's collections in place; a local-mode folder's kept in this process's
    memory (handed over, else copied), so that the folder is free for the next push while this version serves."""
    if not conn.folder:
        return conn
    from qdrant_client import QdrantClient

    from .sparse_local import install

    install()
    memory = QdrantClient(location=MEMORY)
    present = [n for n in names if conn.client.collection_exists(n)]
    if not _hand_over(conn.client, memory, present):
        conn.client.migrate(memory, collection_names=present, batch_size=512)
    return Connection(memory, conn.where, local=True)


def _hand_over(folder: Any, memory: Any, names: list[str]) -> bool:
    """Give the folder client's collections to the in-memory client, detached from the folder's files.

    Looking a collection up reads its points into memory (rag/qdrant/folder.py); `migrate` would scroll them all out
    and upsert them again, point by point (1.3 s of a 2 s load for the 245 seed passages). The folder client is
    closed right after, and a collection without its storage never writes to the folder again. qdrant-client's
    local mode is not an API, so anything unexpected leaves the copy to `migrate`."""
    try:
        loaded = [folder._client.collections[n] for n in names]
        into = memory._client.collections
        if not isinstance(into, dict) or not all(hasattr(c, "storage") and hasattr(c, "persistent") for c in loaded):
            return False
    except (AttributeError, KeyError, TypeError):
        return False
    for name, collection in zip(names, loaded):
        if collection.storage is not None:
            collection.storage.close()
        collection.storage, collection.persistent = None, False
        into[name] = collection
    return True


def connect(settings: Settings) -> Connection:
    """The process's shared connection to a server or cluster, or to the `:memory:` local mode."""
    from qdrant_client import QdrantClient

    if settings.qdrant_url:
        def remote() -> Any:
            with warnings.catch_warnings():  # said below in one line (and under pytest, whose filters are its own)
                warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
                return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=30)

        where, make = settings.qdrant_url, remote
        if settings.qdrant_api_key and settings.qdrant_url.lower().startswith("http://") and where not in _CONNECTIONS:
            # the client's own warning took two lines with its source line, at every command (an operator's probe)
            logger.warning("RAG_QDRANT_API_KEY is sent to %s over http://, readable on the way; use https://",
                           shown_url(where))
    elif str(settings.qdrant_path) == MEMORY:  # the local mode without a folder: tests, and trying it out
        from .sparse_local import install

        install()
        where, make = MEMORY, lambda: QdrantClient(location=MEMORY)
    else:
        raise ConfigError("a local-mode folder is opened per operation: use rag.qdrant.session(settings)")
    with _CONNECTIONS_LOCK:
        conn = _CONNECTIONS.get(where)
        if conn is None:
            conn = _CONNECTIONS[where] = Connection(make(), shown_url(where), local=not settings.qdrant_url)
            if len(_CONNECTIONS) == 1:
                atexit.register(_close_all)  # before the interpreter tears down what the client's close needs
        return conn


def _close_all() -> None:
    with _CONNECTIONS_LOCK:
        conns = list(_CONNECTIONS.values())
        _CONNECTIONS.clear()
    for conn in conns:
        conn.call(conn.client.close)
