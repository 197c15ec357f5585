"""The live build a new build starts from: its manifest read once, the checks it must pass, and what is reused.

A build reads the live manifest once, under the folder's lock. It refuses an incremental build the manifest says would
harm the index, and reuses the live build's passages, layout and each component's files by key, except the components
whose files are damaged, which it makes again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..components import Previous
from ..errors import CorpusError, IndexCorruptError, IndexError_
from ..stores.segments import Layout
from . import records
from .columns import PASSAGE_COLUMNS, PassageColumns
from .manifest import BUILDS, MANIFEST, damaged_files, read_manifest

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Live:
    """The live manifest as a build reads it, once: `manifest` (None when there is none or it cannot be read) and
    `error`, why it could not be read."""

    manifest: dict[str, Any] | None
    error: IndexError_ | None = None


def read_live(index_dir: Path) -> Live:
    if not (index_dir / MANIFEST).is_file():
        return Live(None)
    try:
        return Live(read_manifest(index_dir, upgrading=True))
    except IndexError_ as exc:
        return Live(None, exc)


def previous_build(index_dir: Path, live: Live) -> Previous | None:
    """The live build to reuse data from, or None; a broken one is ignored with a warning."""
    if live.error is not None:
        logger.warning("previous index is not reusable, building from scratch: %s", live.error)
    if live.manifest is None:
        return None
    try:
        manifest = _salvaged(index_dir, live.manifest)
        build_dir = index_dir / BUILDS / manifest["build"]
        if (build_dir / PASSAGE_COLUMNS).is_file():
            columns = PassageColumns.load(build_dir / PASSAGE_COLUMNS)
        else:  # an index of format 3 (passages.jsonl): read once here, written as columns by this build
            passages, keys = records.read_passages(build_dir / records.PASSAGES)
            columns = PassageColumns.of(passages, keys)
        columns.ranges()  # each document's rows consecutive: the plan reuses them by range
        return Previous(manifest, build_dir, columns.keys(), Layout.load(build_dir, manifest["segments"]), columns)
    except (IndexError_, OSError, ValueError, KeyError) as exc:
        logger.warning("previous index is not reusable, building from scratch: %s", exc)
        return None


def _salvaged(index_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The live manifest without the components whose files are damaged, which this build makes again while it
    reuses the others (one damaged vectors file re-embedded every embedder: hours at scale); IndexCorruptError when a
    file the whole build stands on (passages, layout, documents) is damaged. Sizes only: re-hashing gigabytes on
    every build would cost more than the build; the server checks every checksum when it loads, and a file shared
    from here keeps its recorded one (a file written since the manifest is checksummed all the same)."""
    damaged = damaged_files(index_dir, manifest, checksums=False)
    if not damaged:
        return manifest
    owned = {f: row["name"] for row in manifest["components"] for f in row.get("files", ())}
    core = [f for f in damaged if f not in owned]
    if core:
        raise IndexCorruptError(damaged[core[0]])
    lost = sorted({owned[f] for f in damaged})
    logger.warning("previous index's %s data is not reusable (%s): built again, the rest is reused", ", ".join(lost),
                   "; ".join(damaged.values()))
    return {**manifest, "components": [row for row in manifest["components"] if row["name"] not in lost]}


def check_live_manifest(index_dir: Path, live: Live, names: list[str], full: bool) -> None:
    """Refuse an incremental build the live manifest says would harm the index (`--full` does either on purpose):
    - over a manifest that is there but cannot be read (a hand edit gone wrong): the build could tell neither which
      build serves (its cleanup removed them all) nor what it removes (a mistyped --seeds replaced the index);
    - configured without an embedder the index holds (`names`): it dropped that embedder's vectors and what is built
      on them (USE's term alignment), said "unchanged", and every reader configured as before then refused the
      index. Adding an embedder is incremental."""
    if full:
        return
    if isinstance(live.error, IndexCorruptError):
        kept = sorted(p.name for p in (index_dir / BUILDS).iterdir()) if (index_dir / BUILDS).is_dir() else []
        raise IndexCorruptError(f"{live.error}. This build was refused and changed nothing ({len(kept)} build(s) kept "
                                f"under {BUILDS}/): fix the manifest, or rebuild from the seeds with --full")
    if live.manifest is None:  # none, or a format it cannot read or upgrade: built afresh, as before
        return
    held = [e["name"] for e in live.manifest["embedders"]]
    dropped = [n for n in held if n not in names]
    if dropped:
        raise CorpusError(f"the index holds the embedders {held} and this build is configured with {names}: it would "
                          f"drop {dropped} and everything built on them. The index was left as it was. Build with "
                          f"the index's embedders (--embedders {','.join(dict.fromkeys([*held, *names]))}, or "
                          "RAG_EMBEDDERS), or rebuild it with only these with --full")
