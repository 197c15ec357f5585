"""The corpus-wide boilerplate rule without splitting every seed again (linekeys.npz).

Cleaning drops lines that half the documents share (site templates), so every document's cleaning depends on every
other's lines. A one-document update still had to split all seeds into lines and normalise them to find that set
again: ~3.5 s of a 10 s update at a million passages (13,420 documents). A build therefore keeps, per document (by
its content's sha256), the 128-bit digests of its candidate lines' keys, and the build's boilerplate lines
themselves. The next build counts digests instead of lines: new and changed documents are split, the others' digests
are read back. When the count gives exactly the previous build's boilerplate, its lines are reused; otherwise the
lines are found again from every document's text, as a full build does (such a change re-chunks everything anyway).
Two different lines sharing a 128-bit digest is the only way this differs from counting the lines themselves.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

LINE_KEYS = "linekeys.npz"
DIGEST = "S16"


def digests(keys: Iterable[str]) -> np.ndarray:
    """The sorted, distinct 128-bit digests of line keys."""
    out = np.array(sorted({hashlib.blake2b(k.encode("utf-8"), digest_size=16).digest() for k in keys}), DIGEST)
    return out if out.size else np.zeros(0, DIGEST)


def shared_digests(per_document: Iterable[np.ndarray], need: int | None) -> np.ndarray:
    """The digests found in at least `need` of the documents (each document's digests distinct), sorted."""
    parts = list(per_document)
    if need is None or not parts:
        return np.zeros(0, DIGEST)
    values, counts = np.unique(np.concatenate(parts), return_counts=True)
    return values[counts >= need]


@dataclass(frozen=True, slots=True)
class LineKeys:
    """Per document (by doc_id): its content's sha256 and its line-key digests; the build's boilerplate lines."""

    documents: Mapping[str, tuple[str, np.ndarray]]
    boilerplate: tuple[str, ...]

    def save(self, path: Path) -> None:
        ids = list(self.documents)
        parts = [self.documents[d][1] for d in ids]
        offsets = np.cumsum([0] + [p.size for p in parts]).astype(np.int64)
        with open(path, "wb") as fh:
            np.savez(fh, doc_ids=np.array(ids, dtype=str), sha256=np.array([self.documents[d][0] for d in ids], "S64"),
                     offsets=offsets, digests=np.concatenate(parts) if parts else np.zeros(0, DIGEST),
                     boilerplate=np.array(self.boilerplate, dtype=str))

    @classmethod
    def load(cls, path: Path) -> LineKeys | None:
        """The stored line keys, or None (a build before this file, or one that cannot be read: counted afresh)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                ids, shas = data["doc_ids"].tolist(), data["sha256"].tolist()
                offsets, found = data["offsets"], data["digests"]
                boilerplate = tuple(data["boilerplate"].tolist())
            if len(ids) != len(shas) or offsets.shape != (len(ids) + 1,) or int(offsets[-1]) != found.size \
                    or found.dtype != np.dtype(DIGEST) or (offsets.size > 1 and (np.diff(offsets) < 0).any()):
                raise ValueError("its columns disagree")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("previous line keys are not reusable (every seed is split again): %s", exc)
            return None
        bounds = offsets.tolist()
        docs = {d: (sha.decode("ascii"), found[a:b]) for d, sha, a, b in zip(ids, shas, bounds, bounds[1:])}
        return cls(docs, boilerplate)
