"""manifest.json: what an index was built from and with, plus a checksum per file; read before anything else."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import IndexCorruptError, IndexMismatchError, IndexMissingError

FORMAT = "newsrag-index"
FORMAT_VERSION = 4  # 2: per-component entries (rag/components), sparse postings; 3: segments, BM25 term counts;
# 4: passages as columns (passages.npz) instead of passages.jsonl
UPGRADABLE = (3,)  # formats a build reuses from (then writes this one); serving needs FORMAT_VERSION
MANIFEST = "manifest.json"
BUILDS = "builds"


def rebuild_hint(index_dir: Path | str) -> str:
    """The one fix for an index that cannot be used as it is."""
    return f"rebuild with: rag index build --full --index {index_dir}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_entries(build_dir: Path, shared: tuple[Path, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """{relative path: {sha256, bytes, mtime_ns}} for every file under a build directory; a file that is the same
    inode as the `shared` (previous) build's file of that name keeps the entry recorded there."""
    out = {}
    for path in sorted(p for p in build_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(build_dir).as_posix()
        known = shared[1].get(rel) if shared else None
        if known is not None and _same_file(path, shared[0] / rel):
            out[rel] = dict(known)
        else:
            stat = path.stat()
            out[rel] = {"sha256": sha256_file(path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_manifest(index_dir: Path, manifest: dict[str, Any]) -> None:
    """Atomically replace index_dir/manifest.json (write, fsync, rename): readers see the old or the new one."""
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / MANIFEST)
    try:
        dir_fd = os.open(index_dir, os.O_RDONLY)
        os.fsync(dir_fd)
        os.close(dir_fd)
    except OSError:
        pass


def read_manifest(index_dir: Path, upgrading: bool = False) -> dict[str, Any]:
    """Parse and sanity-check the manifest; raises IndexMissingError / IndexCorruptError / IndexMismatchError.
    `upgrading`: a build reads an older format it can reuse from (UPGRADABLE) too."""
    path = Path(index_dir) / MANIFEST
    if Path(index_dir).exists() and not Path(index_dir).is_dir():
        raise IndexMissingError(f"{str(index_dir)!r} is a file, not an index folder; name the folder the index is in "
                                "(or is to be built in) with --index")
    if not path.is_file():
        raise IndexMissingError(f"no index at {str(index_dir)!r} (missing {MANIFEST}); build it with: rag index build --index {index_dir}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path}: unreadable manifest ({exc}); {rebuild_hint(index_dir)}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path}: not a {FORMAT} manifest; {rebuild_hint(index_dir)}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION and not (upgrading and version in UPGRADABLE):
        fix = (f"update it with: rag index build --index {index_dir} (its vectors are reused)" if version in UPGRADABLE
               else rebuild_hint(index_dir))
        raise IndexMismatchError(
            f"index format version {version!r} but this is version {FORMAT_VERSION} (package {__version__}); {fix}"
        )
    for key in ("build", "embedders", "components", "chunker", "documents", "files", "counts", "segments"):
        if key not in manifest:
            raise IndexCorruptError(f"{path}: manifest lacks {key!r}; {rebuild_hint(index_dir)}")
    wrong = _misshapen(manifest)
    if wrong:  # a hand-edited manifest: loading it would fail later, in a question or a health check (a 500)
        raise IndexCorruptError(f"{path}: manifest {wrong}; {rebuild_hint(index_dir)}")
    return manifest


_SHAPES = {"build": str, "embedders": list, "components": list, "chunker": dict, "documents": dict, "files": dict,
           "counts": dict, "segments": list}


def _misshapen(manifest: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a manifest's fields, if anything."""
    for key, kind in _SHAPES.items():
        if not isinstance(manifest[key], kind):
            return f"{key!r} is a {type(manifest[key]).__name__}, not a {kind.__name__}"
    for key in ("articles", "documents", "passages"):
        value = manifest["counts"].get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"counts[{key!r}] is {value!r}, not a count"
    names = [c.get("name") if isinstance(c, dict) else None for c in manifest["components"]]
    if not all(isinstance(n, str) and isinstance(c.get("kind"), str) for n, c in zip(names, manifest["components"])):
        return "lists a component without a name and a kind"
    if "bm25" not in names:  # every index has its lexical component; the searcher and the answers read it
        return f"lists no 'bm25' component (it lists {names})"
    return None


def verify_files(index_dir: Path, manifest: dict[str, Any], checksums: bool = True) -> Path:
    """Check every file of the build against the manifest (presence, size, and unless told not to, sha256); return
    the build directory. Without checksums, a file written since the manifest recorded it (another mtime) is still
    checksummed: a build must not carry an edited or damaged file into the next version."""
    build_dir = Path(index_dir) / BUILDS / manifest["build"]
    for problem in damaged_files(index_dir, manifest, checksums).values():
        raise IndexCorruptError(problem)
    return build_dir


def damaged_files(index_dir: Path, manifest: dict[str, Any], checksums: bool = True) -> dict[str, str]:
    """{file: what is wrong with it, with the fix} for each file of the build that fails verify_files' checks."""
    build_dir = Path(index_dir) / BUILDS / manifest["build"]
    fix = rebuild_hint(index_dir)
    damaged = {}
    for rel, entry in manifest["files"].items():
        path = build_dir / rel
        if not path.is_file():
            damaged[rel] = f"index file {rel!r} is missing from {build_dir}; {fix}"
            continue
        stat = path.stat()
        if stat.st_size != entry["bytes"]:
            damaged[rel] = (f"index file {rel!r} has {stat.st_size} bytes, manifest says {entry['bytes']} "
                            f"(truncated?); {fix}")
            continue
        touched = entry.get("mtime_ns", stat.st_mtime_ns) != stat.st_mtime_ns  # older manifests record no mtime
        if (checksums or touched) and sha256_file(path) != entry["sha256"]:
            damaged[rel] = f"index file {rel!r} fails its checksum (corrupted or edited); {fix}"
    return damaged


def check_models(manifest: dict[str, Any], embedders: dict[str, Any], index_dir: Path) -> None:
    """Refuse an index whose vectors came from another model (fingerprint) or width (dim) than the loaded one."""
    for e in manifest["embedders"]:
        model = embedders.get(e["spec"])
        if model is None:
            continue
        if model.fingerprint != e["fingerprint"] or model.dim != e["dim"]:
            raise IndexMismatchError(
                f"index at {str(index_dir)!r} embedded {e['spec']!r} with fingerprint {e['fingerprint']!r} (dim {e['dim']}) "
                f"but the loaded model is {model.fingerprint!r} (dim {model.dim}); {rebuild_hint(index_dir)}"
            )


def check_compatible(manifest: dict[str, Any], embedder_specs: tuple[str, ...], index_dir: Path | str,
                     fix: str | None = None) -> None:
    """Refuse an index built for other embedders than the ones configured (`fix`: how to rebuild it, when that is not
    `rebuild_hint(index_dir)`, as for a version in Qdrant)."""
    built = tuple(e["spec"] for e in manifest["embedders"])
    if sorted(built) != sorted(embedder_specs):  # the same models in another order serve the same index
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} was built with embedders {list(built)!r} but {list(embedder_specs)!r} "
            f"are configured; set RAG_EMBEDDERS={','.join(built)} or {fix or rebuild_hint(index_dir)}", built
        )
