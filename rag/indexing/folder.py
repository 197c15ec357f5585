"""The index folder a build writes: its lock, the checks before a build starts, the switch, and what builds/ keeps.

An index folder holds manifest.json, which names the live build, and builds/<id>/ (the live build and the one before
it, which a reader may still be opening). A build takes the folder's lock, writes builds/<id>/ beside the live one,
and switches by replacing manifest.json atomically; what it drops afterwards is only what it can tell is a build's.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import BuildBusyError, IndexFolderError
from .manifest import BUILDS, MANIFEST, write_manifest


@contextmanager
def exclusive(index_dir: Path) -> Iterator[None]:
    """An advisory lock so two builds never write the same index at once (index/.build.lock; the file stays)."""
    lock = FileLock(index_dir / ".build.lock", timeout=0, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        raise BuildBusyError(f"another build is already running on {str(index_dir)!r}; wait for it to finish") \
            from None
    except OSError as exc:  # a read-only folder
        raise IndexFolderError(f"cannot write in the index folder {str(index_dir)!r} ({exc.strerror or exc}); the "
                               "index there is unchanged") from None
    try:
        yield
    finally:
        lock.release()


def switch(index_dir: Path, manifest: dict[str, Any], live_build: str | None) -> None:
    try:
        write_manifest(index_dir, manifest)  # the atomic switch: before this line the old index is live
    except OSError as exc:  # the old index stays live; the new build would be an orphan no manifest names
        shutil.rmtree(index_dir / BUILDS / manifest["build"], ignore_errors=True)
        for tmp in index_dir.glob(f".{MANIFEST}.{os.getpid()}.tmp"):
            if tmp.is_file():
                tmp.unlink()
        raise IndexFolderError(f"cannot write the manifest in {str(index_dir)!r} ({exc.strerror or exc}); the index "
                               "there is unchanged") from None
    collect_garbage(index_dir / BUILDS, keep={manifest["build"], live_build or ""})


def check_writable(index_dir: Path) -> None:
    """Refuse an index folder where the manifest could not be written (read-only, immutable, full)."""
    try:
        with tempfile.NamedTemporaryFile(dir=index_dir, prefix=".rag-write-probe-"):
            pass
    except OSError as exc:
        raise IndexFolderError(f"cannot write in the index folder {str(index_dir)!r} ({exc.strerror or exc}); the "
                               "index there is unchanged") from None


# what a build names its folders under builds/: the build id, and its scratch beside it (`.tmp-<id>`, `.carry`)
_BUILD_FOLDER = re.compile(r"^(\.tmp-)?\d{8}T\d{12}Z-[0-9a-f]{6}(\.carry)?$")
# what an index folder holds (and the README the repository's index/ keeps): anything else is not ours
_INDEX_ENTRIES = {"builds", ".cache", ".build.lock", MANIFEST, "README.md", ".gitignore"}


def collect_garbage(builds: Path, keep: set[str], scratch_only: bool = False) -> None:
    """Keep the new and the previous build (a reader may still be opening it); drop the rest and dead temp dirs, and
    nothing whose name is not a build's (a folder someone put there is theirs, not ours). `scratch_only`: only what
    killed builds left (`.tmp-<id>`, `<id>.carry`), every build kept."""
    for path in builds.iterdir():
        scratch = path.name.startswith(".tmp-") or path.name.endswith(".carry")
        if path.name not in keep and _BUILD_FOLDER.match(path.name) and (scratch or not scratch_only):
            shutil.rmtree(path, ignore_errors=True)


def check_is_index_folder(index_dir: Path) -> None:
    """Refuse a folder that holds no index but holds other things: a build there would mix the index with them, and a
    later build's cleanup of builds/ would have removed what someone kept under that name."""
    if (index_dir / MANIFEST).exists():
        return
    foreign = sorted(p.name for p in index_dir.iterdir() if p.name not in _INDEX_ENTRIES
                     and not p.name.startswith((f".{MANIFEST}.", ".rag-write-probe-")))
    builds = index_dir / BUILDS
    if builds.is_dir():
        foreign += sorted(f"{BUILDS}/{p.name}" for p in builds.iterdir() if not _BUILD_FOLDER.match(p.name))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise IndexFolderError(f"{str(index_dir)!r} holds no index but other things ({shown}); name an empty folder, "
                               "or the folder of an existing index (RAG_INDEX_DIR / --index)")
