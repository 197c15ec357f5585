"""What the service shows of its own setup to anyone who asks: URLs without the password they may carry, and
messages without the server's absolute paths (the log keeps the full text)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from .settings import Settings


def shown_url(url: str) -> str:
    """A URL as logs and errors show it: without the user and password it may carry (they reached the public
    /readyz detail and the log)."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
    except (ValueError, IndexError):
        return "<RAG_QDRANT_URL>"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


# an absolute path in a message: "/" after no word, path or label character, then at least one more "/"
_ABSOLUTE_PATH = re.compile(r"(?<![\w/.~>-])/(?:[^\s'\"/:,;()]+/)+[^\s'\"/:,;()]*")


def without_server_paths(text: str, settings: Settings) -> str:
    """`text` as the service shows it to anyone (an error's detail, a live build's status): the index and seeds
    directories, and Qdrant's local-mode folder, named <index>, <seeds> and <qdrant>, and any other absolute path cut to
    its last component; the log keeps the full text. Only absolute forms are replaced: the default folders are
    "seeds" and "index", words that a message also uses as words ("is 'seeds' the right seeds folder?"), and a
    relative path tells nothing of the server's disk."""
    folders = [(settings.index_dir, "<index>"), (settings.seeds_dir, "<seeds>")]
    if settings.qdrant_path and str(settings.qdrant_path) != ":memory:":
        folders.append((settings.qdrant_path, "<qdrant>"))  # "Qdrant's local mode at /srv/… stayed in use"
    for root, label in folders:
        for form in sorted({str(root), str(Path(root).resolve())}, key=len, reverse=True):
            if Path(form).is_absolute() and len(form) > 1:
                text = text.replace(form, label)
    return _ABSOLUTE_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)
