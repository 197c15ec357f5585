"""What is checked of a Qdrant store without opening it or waiting for it: whether a local-mode folder holds a
version, why opening the store would wait now (`rag serve`'s start must not keep its port closed that long), and,
before a build embeds anything, whether the Qdrant it will publish to can be used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError, StoreUnavailableError
from ..settings import Settings
from ..shown import shown_url
from . import KEY_HINT, MEMORY, _folder, _held_elsewhere, _reason, _refuse_foreign_folder, connect


def alias_in_folder(settings: Settings) -> bool | None:
    """Whether the local-mode folder of `settings` holds a version under its alias, read from the folder's meta.json
    (where the client keeps its collections and aliases) without opening the folder, which waits while another process
    holds it; None for a server, `:memory:`, or a meta.json not as expected, where the client must be asked."""
    path = _folder(settings)
    if path is None:
        return None
    if not path.is_dir():  # a file is refused by the session, with its own message; nothing there is no store
        return None if path.exists() else False
    meta_file = path / "meta.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        aliases, present = meta["aliases"], meta["collections"]
    except FileNotFoundError:
        found = False  # no store there yet
    except (OSError, ValueError, KeyError, TypeError):
        return None
    else:
        if not isinstance(aliases, dict) or not isinstance(present, dict):
            return None
        live = aliases.get(settings.qdrant_collection)
        found = isinstance(live, str) and live in present
    if not found and _held_elsewhere(path.resolve()):
        return None  # another process may be publishing the first version right now: wait for it, as before
    return found


QUICK_ANSWER_S = 2.0  # how long `rag serve`'s start waits for a Qdrant server to answer before it serves its 503


def store_busy(settings: Settings) -> str | None:
    """Why opening the store of `settings` would wait now, or None, found without waiting for it: `rag serve` asks at
    its start, which must not keep its port closed for what an open may wait (LOCK_WAIT_S for a local-mode folder
    another process holds, a build publishing into it; the client's 30 s timeout, twice, for a server that has hung:
    32 s with no /healthz)."""
    if settings.qdrant_url:
        return _server_slow(settings)
    return _folder_busy(settings)


def _server_slow(settings: Settings) -> str | None:
    """Whether the server answers anything (its /readyz) within QUICK_ANSWER_S; one that refuses the connection, or
    answers in a way that is not Qdrant's, is left to the open, which says so at once."""
    import httpx

    headers = {"api-key": settings.qdrant_api_key} if settings.qdrant_api_key else {}
    try:
        httpx.get(f"{settings.qdrant_url.rstrip('/')}/readyz", headers=headers, timeout=QUICK_ANSWER_S)
    except httpx.TimeoutException:
        return (f"Qdrant at {shown_url(settings.qdrant_url)} did not answer within {QUICK_ANSWER_S:.0f}s; the server "
                "loads the index once it does")
    except httpx.HTTPError:
        pass
    return None


def _folder_busy(settings: Settings) -> str | None:
    """Why opening the local-mode folder of `settings` would wait now (another process holds it: a build publishing
    into it, a command reading it), or None; `:memory:`, or a folder nobody holds, None."""
    path = _folder(settings)
    path = path.resolve() if path is not None else None
    if path is None or not path.is_dir() or not _held_elsewhere(path):
        return None
    return (f"Qdrant's local mode at {path} is in use by another process (a build publishing into it, or a command "
            "reading it); the server loads the version live then once it is free")


def check_destination(settings: Settings) -> None:
    """Before a build embeds anything: the Qdrant it will publish to can be used (it was found out after the
    embedding, with the local index already moved on to the unpublished build). A server is asked for its
    collections; a local-mode folder is looked at, not opened (opening waits while another process holds it)."""
    if settings.qdrant_url:
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        conn = connect(settings)
        try:  # not through call(): a 404 here is no Qdrant, not a collected version
            names = [c.name for c in conn.client.get_collections().collections]
        except ValueError as exc:  # a 200 that is not Qdrant's JSON
            raise StoreUnavailableError(f"{conn.where} answered Qdrant's GET /collections in a form that is not "
                                        f"Qdrant's ({exc.__class__.__name__}): is RAG_QDRANT_URL a Qdrant server? "
                                        "Nothing was built") from None
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):
                raise StoreUnavailableError(f"Qdrant at {shown_url(settings.qdrant_url)} answered {exc.status_code} "
                                            f"to GET /collections: {KEY_HINT}. Nothing was built") from None
            raise StoreUnavailableError(f"{shown_url(settings.qdrant_url)} answered {exc.status_code} to Qdrant's "
                                        "GET /collections: is RAG_QDRANT_URL a Qdrant server? Nothing was built") from None
        except (ResponseHandlingException, OSError) as exc:
            raise StoreUnavailableError(f"Qdrant at {shown_url(settings.qdrant_url)} did not answer ({_reason(exc)}); "
                                        "check that it is running and reachable, then retry. Nothing was built") from None
        check_alias_name(settings.qdrant_collection, names)
        return
    if not settings.qdrant_path or str(settings.qdrant_path) == MEMORY:
        return
    path = Path(settings.qdrant_path).resolve()
    if path.exists() and not path.is_dir():
        raise StoreUnavailableError(f"RAG_QDRANT_PATH {str(path)!r} is a file; name the folder of Qdrant's local mode")
    _refuse_foreign_folder(path)
    try:  # looked at, not opened
        check_alias_name(settings.qdrant_collection, json.loads((path / "meta.json").read_text("utf-8"))["collections"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no store yet, or one the session will say more about


def check_alias_name(alias: str, collections_there: Any) -> None:
    """Refuse an alias that is the name of a collection (a version's name copied from a push's JSON): the push wrote
    every point, then failed with a traceback at the alias switch, and left collections no cleanup matched."""
    if alias in collections_there:
        raise ConfigError(f"RAG_QDRANT_COLLECTION {alias!r} names a collection in Qdrant, not an alias: name the alias "
                          "replicas open, such as 'newsrag' (each version's collections are named '<alias>-<build>'). "
                          "Nothing was published")
