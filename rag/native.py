"""C libraries compiled once per machine and cached: the e5 engine (rag/embedders/e5_engine.py) and the indexes' inner
loops (rag/stores/kernels.py).

A library is kept in the cache folder under the hash of everything its compile reads (the source text, the flags, the
compiler's version), beside a checksum file: a process that starts while another compiles loads a whole library or
compiles its own, and a library damaged later (a library loaded half-written crashes the process) fails its checksum
and is compiled again. A compile runs in a temporary directory of the cache folder, renamed into place when done;
the directories of compiles that were killed are swept by the next compile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

STALE_S = 3600  # a compile takes seconds: an older temporary directory is a killed compile's


def cache_dir() -> Path:
    """Where compiled libraries are kept: RAG_ENGINE_CACHE, else $XDG_CACHE_HOME/newsrag/engines (~/.cache/...)."""
    explicit = os.environ.get("RAG_ENGINE_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsrag" / "engines"


def cpu_has(*flags: str) -> bool:
    """Whether this CPU has all the instruction-set `flags` (as /proc/cpuinfo names them: avx2, fma, f16c)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    have = set(line.split(":", 1)[-1].split())
    return all(f in have for f in flags)


def compiler() -> tuple[str | None, str]:
    """(the C compiler's path, its --version text), or (None, why not): gcc, or $CC."""
    cc = shutil.which(os.environ.get("CC", "gcc"))
    if cc is None:
        return None, "no C compiler (gcc, or $CC) on PATH"
    try:
        return cc, subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{cc} --version failed: {exc}"


def library_id(parts: Sequence[bytes]) -> str:
    """The id of a library compiled from `parts` (its sources, flags and compiler version): their hash."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def compile_library(where: Path, target: Path, prefix: str, sources: dict[str, bytes], main: str,
                    steps: Sequence[Sequence[str]]) -> str | None:
    """Compile `sources` (file name → text) in a temporary directory of `where` named `prefix`…, by running `steps`
    there (each a command line; "{src}" stands for the path of `main`, "{obj}" and "{lib}" for the object and the
    library), and rename the library and its checksum into place at `target`; None when done, else why not."""
    try:
        where.mkdir(parents=True, exist_ok=True)
        sweep(where, prefix)
        with tempfile.TemporaryDirectory(prefix=prefix, dir=where) as tmp:
            for name, text in sources.items():
                (Path(tmp) / name).write_bytes(text)
            paths = {"src": str(Path(tmp) / main), "obj": str(Path(tmp) / "lib.o"), "lib": str(Path(tmp) / "lib.so")}
            for step in steps:
                done = subprocess.run([arg.format(**paths) for arg in step], capture_output=True, text=True,
                                      timeout=300)
                if done.returncode != 0:
                    return f"compiling {main} failed: {done.stderr.strip()[-400:]}"
            lib = Path(paths["lib"])
            check = Path(tmp) / "lib.sha256"
            check.write_text(hashlib.sha256(lib.read_bytes()).hexdigest())
            # atomic renames, the checksum first: a process that starts meanwhile loads a whole library or compiles
            # its own; a file damaged later fails its checksum
            os.replace(check, checksum_path(target))
            os.replace(lib, target)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot compile {main} into {where}: {exc}"
    return None


def sweep(where: Path, prefix: str) -> None:
    """Remove the temporary directories of compiles that were killed (never those of one still running)."""
    for path in where.glob(f"{prefix}*"):
        try:
            if time.time() - path.stat().st_mtime > STALE_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def checksum_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def intact(target: Path) -> bool:
    """Whether the library at `target` is there and matches its checksum."""
    try:
        return hashlib.sha256(target.read_bytes()).hexdigest() == checksum_path(target).read_text().strip()
    except (OSError, ValueError):  # missing, unreadable, or not text at all
        return False
