"""Wire formats: the msgspec Structs the HTTP API reads and writes. They live here and nowhere else."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

# -- shared pieces ----------------------------------------------------------------------------------------------

# a seed file's name without ".txt": up to 251 bytes on common file systems, so 255 characters hold every one
DocId = Annotated[str, Meta(min_length=1, max_length=255, examples=["000_77323e78f047d601"])]
# The length bound matters: in a regex, `$` also matches before a final newline ("2024-01-01\n").
IsoDate = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", min_length=10, max_length=10,
                              description="an ISO date, YYYY-MM-DD", examples=["2025-02-28"])]
# The upper bound is settings.max_top_k, known only at run time: create_app writes it into the OpenAPI schema and the
# strict body check (api/body.py) enforces it, with the same 400 as the lower bound.
TOP_K = 5  # how many passages a request uses when its top_k is left out or null
TopK = Annotated[int, Meta(ge=1, description="how many passages to use: 1..max_top_k (50 unless configured)")]
Question = Annotated[str, Meta(description="a question in English or Japanese (at most max_query_chars characters)",
                               examples=["What did Lavrov say about an alliance with China?"])]


class ErrorBody(Struct):
    """Every 4xx/5xx body: a short machine-readable code and a human message."""

    error: Annotated[str, Meta(examples=["invalid_query"])]
    detail: Annotated[str, Meta(examples=["top_k: Expected `int` <= 50"])]


class OpenAIError(Struct):
    message: str
    type: Annotated[str, Meta(examples=["invalid_request_error"])]
    code: Annotated[str, Meta(examples=["invalid_query"])]
    param: Annotated[str | None, Meta(description="the request field at fault, when one is; OpenAI always sends the key")] = None


class OpenAIErrorBody(Struct):
    """Errors on the OpenAI-compatible endpoints, in OpenAI's shape, so that its clients show the message."""

    error: OpenAIError


class SourceOut(Struct):
    title: str | None
    url: str | None


def seed_path(source_file: str) -> str:
    """A seed file's path as the API shows it: relative to the seeds directory (seeds are never in subdirectories)."""
    return source_file.rsplit("/", 1)[-1]  # the index stores posix paths


class CitationOut(Struct):
    """Where a passage comes from: `text == raw[start:end]` of `source_file` (relative to the seeds directory)."""

    doc_id: str
    title: str
    published: str | None
    source_file: str
    start: int
    end: int
    url: str | None
    sources: list[SourceOut]


class HitOut(Struct):
    rank: int
    score: float
    passage_id: str
    text: str
    citation: CitationOut
    source: Annotated[bool, Meta(description="a source row (who wrote the article, where it first appeared, its "
                                             "link), not article text, or, for an article of a document that has "
                                             "none, its first passage (title, date, byline) standing in for one: "
                                             "only a question about the article's origin is shown one")] = False


# -- search -----------------------------------------------------------------------------------------------------

class FiltersIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """Optional restrictions; dates are inclusive."""

    doc_ids: Annotated[list[DocId], Meta(max_length=1000, description="search only these documents; an empty list, "
                                         "like null, restricts nothing (a picker with nothing chosen)")] | None = None
    published_from: IsoDate | None = None
    published_to: IsoDate | None = None


class AsksPassages(Struct):
    """A request with an optional `top_k` (each subclass declares it, in its own place among its fields)."""

    @property
    def passages(self) -> int:
        """How many passages to use (top_k; null is the default, as left out: a client that sends every field it
        knows may send it as null)."""
        return self.top_k if self.top_k is not None else TOP_K  # type: ignore[attr-defined]


class SearchRequest(AsksPassages, forbid_unknown_fields=True, kw_only=True):
    """POST /v1/search."""

    query: Question
    # null is the default, as for `mode` and `filters` (a client that sends every field it knows may send it so)
    top_k: TopK | None = TOP_K
    mode: Annotated[str, Meta(description="hybrid (default), bm25, an embedder name (e5, use), or a sparse head (e5-sparse)",
                              examples=["hybrid"])] | None = None
    filters: FiltersIn | None = None


class SearchResponse(Struct):
    """The canonical search result shape (built from the core's SearchResult by api.wire.search_response)."""

    query: str
    mode: str
    lang: Literal["en", "ja"]
    took_ms: float
    index_version: str
    results: list[HitOut]
    shed: Annotated[list[str], Meta(description="signals this hybrid search went without because the service was "
                                                "crowded (RAG_SHED_SPARSE_ABOVE); empty normally")] = []


# -- ask --------------------------------------------------------------------------------------------------------

COVERED = Meta(description="false when no passage found was about the question (a greeting, a general question; "
                           "RAG_NOT_COVERED_BELOW): the extractive answer then says so, quotes nothing and cites the "
                           "closest passages. Always true for an LLM's answer and for a follow-up")


class AskRequest(AsksPassages, forbid_unknown_fields=True, kw_only=True):
    """POST /v1/ask."""

    question: Question
    top_k: TopK | None = TOP_K  # null: the default
    # as /v1/search takes them: the answer is drawn from those documents and dates only (a probe's: one article's
    # answer could not be asked for)
    filters: FiltersIn | None = None


class AskResponse(Struct):
    """An answer whose [n] markers point into `citations`, with the passages it was drawn from. An answer without
    markers (not covered, or a model's answer that cites no passage) lists the first passages as its citations."""

    question: str
    answer: str
    citations: list[CitationOut]
    passages: list[HitOut]
    took_ms: float
    generator: Literal["extractive", "llm"]
    fallback: Annotated[str | None, Meta(description="why the LLM was not used, when it was configured")]
    index_version: str
    shed: Annotated[list[str], Meta(description="signals the search went without because the service was "
                                                "crowded (RAG_SHED_SPARSE_ABOVE); empty normally")] = []
    covered: Annotated[bool, COVERED] = True
    # last, so that the keys clients read keep their order (a default only because fields after defaults need one)
    lang: Annotated[Literal["en", "ja"],
                    Meta(description="the question's language: a model's answer is written in it; the extractive "
                                     "answer quotes the Japanese articles as written, with its notices in it")] = "en"


# -- OpenAI-compatible chat: api/chat_schemas.py ----------------------------------------------------------------

# -- documents --------------------------------------------------------------------------------------------------

class TextSpan(Struct):
    start: int
    end: int


class ArticleOut(Struct):
    """An article inside a seed file; `start`/`end` index the document's raw text."""

    index: int
    title: str
    published: str | None
    url: str | None
    start: int
    end: int
    sources: list[SourceOut]
    kept: Annotated[list[TextSpan], Meta(description="the spans of raw text that were indexed; the rest of "
                                                  "[start, end) is page furniture that cleaning excluded")]
    source_rows: Annotated[list[TextSpan], Meta(description="those of `kept` that say where the article came from "
                                                         "(a source block, a 元ネタ: line, the site's name), each one "
                                                         "passage, shown only to a question about its origin")] = []


class DocumentSummary(Struct):
    doc_id: str
    source_file: Annotated[str, Meta(description="relative to the seeds directory")]
    sha256: str
    chars: int
    titles: list[str]
    articles: list[ArticleOut]


class DocumentList(Struct):
    """One page of the indexed documents, in doc_id order; `count` is the total."""

    index_version: str
    count: int
    offset: int
    limit: int
    next_offset: Annotated[int | None, Meta(description="the offset of the next page; null on the last page")]
    documents: list[DocumentSummary]


class PassageSpan(Struct):
    passage_id: str
    article: int
    start: int
    end: int


class DocumentDetail(Struct):
    """A document with its raw text; every span (articles, passages, citations) indexes `raw`."""

    doc_id: str
    source_file: Annotated[str, Meta(description="relative to the seeds directory")]
    sha256: str
    index_version: str
    raw: str
    excluded: dict[str, int]
    articles: list[ArticleOut]
    passages: list[PassageSpan]


# -- health and index -------------------------------------------------------------------------------------------

class Health(Struct):
    status: Literal["ok"]


class EmbedderInfo(Struct):
    spec: str
    dim: int
    fingerprint: str  # the model
    vectors: str | None = None  # the model and the engine that rounded its vectors (null: an index from before Dec 2)


class IndexSummary(Struct):
    """The loaded index's manifest summary."""

    index_version: str
    created_at: str
    package_version: str
    format_version: int
    counts: dict[str, int]
    chunker: dict[str, Any]
    faiss_kind: Annotated[str, Meta(description="the dense search: flat, hnsw or ivf in the local store; qdrant")]
    embedders: list[EmbedderInfo]
    store: Annotated[dict[str, Any], Meta(description='{"kind": "local"}, or {"kind": "qdrant", "shards", '
                                                      '"replicas", "bm25_idf"}')] = {}


class Readiness(Struct):
    status: Literal["ready"]
    index: IndexSummary


class ReloadResponse(Struct):
    index_version: str
    previous_version: str | None
    counts: dict[str, int]
    took_ms: float


# -- live rebuilds ----------------------------------------------------------------------------------------------

class BuildOut(Struct):
    """The current or last background build (POST /v1/admin/rebuild, or `rag serve --watch`)."""

    build_id: str
    trigger: Literal["api", "watch", "start"]  # "start": the index was still missing once another build ended
    state: Literal["running", "succeeded", "failed"]
    stage: str  # "reading seeds", "embedding e5", "sparse e5", ..., "loading the new index", "done"
    done: int  # passages done in this stage (0 for stages without a count)
    total: int
    started_at: str
    finished_at: str | None
    index_version: str | None  # the version the build produced and swapped in
    error: str | None  # why it failed; the previous index kept serving
    warnings: list[str]  # seed files skipped, with the reason
    changes: dict[str, int]  # documents added, changed, removed, unchanged
    last_error: str | None  # the latest failure of any build since the server started, with its build id and time
    # the seeds, settings and code held nothing new: the live version stayed (index_version), no version was made
    up_to_date: bool = False
    # what publishing did with RAG_STORE=qdrant ({"qdrant": {collection, upserted, unchanged, deleted, previous,
    # already_live, shards, replicas, ...}}, as `rag index build --json` says it); null for local files
    store: dict[str, Any] | None = None


class IndexStatus(IndexSummary):
    """The live index's summary (index_version is the version being served) and the background build, if any."""

    build: BuildOut | None = None


class IndexUnavailable(Struct):
    """GET /v1/index while no index is served: the error, and the background build (a repair one may be running)."""

    error: Annotated[str, Meta(examples=["index_unavailable"])]
    detail: str
    build: BuildOut | None = None


class RebuildAccepted(Struct):
    build_id: str
    state: Literal["running"]
    started_at: str
    index_version: str | None  # the version serving while the build runs
    status: str  # where to follow it
