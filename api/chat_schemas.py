"""Wire formats of the OpenAI-compatible chat: requests, completions, chunks, and the citation shapes clients read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from .schemas import COVERED, TOP_K, AsksPassages, HitOut, SourceOut, TopK

# "function" is OpenAI's older name for a tool's result, still sent by clients of the functions API; like "tool" and
# "assistant", it is neither searched nor shown to the model
Role = Literal["system", "user", "assistant", "tool", "developer", "function"]


class ContentPart(Struct, kw_only=True):
    """One part of a multi-part message; only "text" parts are read, others are ignored."""

    type: str
    text: str | None = None


class ChatMessage(Struct, kw_only=True):
    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(Struct, kw_only=True):
    """OpenAI's stream_options: include_usage adds a last chunk with `usage` and empty `choices`."""

    include_usage: bool | None = False  # null, as the openai SDK may send, is the default


class ResponseFormat(Struct, kw_only=True):
    """OpenAI's response_format: only {"type": "text"} is answered (a schema and other fields are not read)."""

    type: str


class ChatRequest(AsksPassages, kw_only=True):
    """POST /v1/chat/completions: the last user message is the question, and a follow-up is also searched through
    the earlier user messages; other OpenAI fields are ignored."""

    messages: Annotated[list[ChatMessage], Meta(min_length=1)]
    model: str | None = None
    # null is the default for every optional OpenAI field (the openai SDK types them Optional and may send null)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    # not an OpenAI field, but a client that sends every field it knows may send it as null too: the default then
    top_k: TopK | None = TOP_K
    n: Annotated[int | None, Meta(description="how many choices; only 1 is supported")] = 1
    # OpenAI's sampling fields, in OpenAI's ranges: passed to nothing (the answer is extractive, or the configured
    # LLM's own settings apply), but a value OpenAI refuses (`"temperature": "hot"`, `"max_tokens": -5`) is refused
    # here too, rather than answered as if it meant something
    temperature: Annotated[float, Meta(ge=0, le=2)] | None = None
    top_p: Annotated[float, Meta(ge=0, le=1)] | None = None
    # the assistant text (the sources footer included) ends after this many cl100k tokens, with finish_reason "length"
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1)] | None = None
    # and before the first of these, with finish_reason "stop" (api/cut.py)
    stop: str | Annotated[list[str], Meta(max_length=4)] | None = None
    presence_penalty: Annotated[float, Meta(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Meta(ge=-2, le=2)] | None = None
    response_format: ResponseFormat | None = None
    # `tools` are accepted and never called: the answer is text, as a model's that chose to call none. A client that
    # demands a call ("required", or one function by name) would wait for one that never comes: refused
    tool_choice: str | dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    # no answer is sampled from token probabilities, so there are none to return: asking for them is refused
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Meta(ge=0, le=20)] | None = None
    # read by nothing (an extractive answer is the same every time), but typed as OpenAI types them
    seed: int | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None

    @property
    def limit(self) -> int | None:
        """The most tokens the assistant text may have (max_completion_tokens, OpenAI's newer name, first)."""
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    @property
    def stops(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or ())

    def __post_init__(self) -> None:
        if self.logprobs or self.top_logprobs:
            field = "logprobs" if self.logprobs else "top_logprobs"
            raise ValueError(f"{field}: this service's answers are not sampled from a model's token probabilities, "
                             "so it has no log probabilities to return; send logprobs false (top_logprobs 0) or leave "
                             "them out")
        if self.stream_options is not None and self.stream_options.include_usage and not self.stream:
            # a usage chunk is a stream's; a non-streamed completion always has its usage
            raise ValueError("stream_options: only allowed when stream is true")
        if self.n not in (1, None):  # refused rather than silently answering one choice where the client asked for several
            raise ValueError(f"n={self.n}: this service returns exactly one choice; send n=1 or leave n out")
        if self.response_format is not None and self.response_format.type != "text":
            # a client asking for JSON parses the content as JSON: text answered as if it were would break it later
            raise ValueError(f"response_format {self.response_format.type!r}: this service answers in text with [n] "
                             "citation markers; send {\"type\": \"text\"} or leave it out (the cited passages come "
                             "as JSON in the response's search_results, and POST /v1/search returns them alone)")
        if self.tool_choice not in (None, "auto", "none"):
            asked = self.tool_choice if isinstance(self.tool_choice, str) else "a named function"
            raise ValueError(f"tool_choice {asked!r}: this service calls no tools and answers in text; send \"auto\" "
                             "or \"none\", or leave tool_choice out")


class UrlCitation(Struct):
    """Where [n] sits in the answer text (`content[start_index:end_index] == "[n]"`) and what it cites."""

    url: str
    title: str
    start_index: int
    end_index: int


class Annotation(Struct):
    """OpenAI's message annotation."""

    type: Literal["url_citation"]
    url_citation: UrlCitation


class ChatMessageOut(Struct):
    role: Literal["assistant"]
    content: str
    annotations: list[Annotation]
    refusal: None = None  # OpenAI's field, always present: this service never refuses by writing a refusal


class ChatChoice(Struct):
    index: int
    message: ChatMessageOut
    finish_reason: Literal["stop", "length"]
    logprobs: None = None  # present and null, as OpenAI sends it when logprobs were not asked for


class Usage(Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class SearchResultOut(Struct):
    """One cited passage, Perplexity-style, with everything a citation carries: `snippet == raw[start:end]`."""

    title: str
    url: Annotated[str, Meta(description="the service's article view with this passage highlighted")]
    date: str | None
    snippet: str
    doc_id: str
    start: int
    end: int
    passage_id: str
    source_file: str
    source_url: Annotated[str | None, Meta(description="the article's original http(s) source, when known")]
    sources: list[SourceOut]


class OpenWebUIRef(Struct):
    id: str
    name: str
    url: str


class OpenWebUIMeta(Struct):
    source: Annotated[str, Meta(description="the passage id, unique per passage")]
    name: str
    source_url: str


class OpenWebUISource(Struct):
    """One cited passage in Open WebUI's `sources` shape; the n-th entry is marker [n]."""

    source: OpenWebUIRef
    document: list[str]
    metadata: list[OpenWebUIMeta]


class ChatCompletion(Struct):
    """An OpenAI chat.completion. The cited passages travel as `message.annotations` (OpenAI), `sources`
    (Open WebUI), `citations` (URLs) and `search_results` (Perplexity); [n] is the n-th entry of each list."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[str]
    search_results: list[SearchResultOut]
    sources: list[OpenWebUISource]
    passages: Annotated[list[HitOut], Meta(description="every passage retrieved, ranked, cited or not")]
    lang: Literal["en", "ja"]
    index_version: str
    generator: Literal["extractive", "llm"]
    shed: Annotated[list[str], Meta(description="signals the search went without because the service was crowded "
                                                "(RAG_SHED_SPARSE_ABOVE); empty normally")] = []
    covered: Annotated[bool, COVERED] = True


class Delta(Struct, omit_defaults=True):
    role: Literal["assistant"] | None = None
    content: str | None = None
    annotations: list[Annotation] | None = None


class ChunkChoice(Struct):
    index: int
    delta: Delta
    finish_reason: Literal["stop", "length"] | None
    logprobs: None = None


class ChatCompletionChunk(Struct, omit_defaults=True, kw_only=True):
    """One server-sent event of a streamed completion; the one with finish_reason 'stop' carries the citations."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    index_version: str
    # with stream_options.include_usage: null on every chunk but the last, as OpenAI sends it; left out otherwise
    usage: Usage | None | UnsetType = UNSET
    citations: list[str] | None = None
    search_results: list[SearchResultOut] | None = None
    sources: list[OpenWebUISource] | None = None
    passages: list[HitOut] | None = None
    lang: Literal["en", "ja"] | None = None
    generator: Literal["extractive", "llm"] | None = None
    shed: list[str] | None = None  # on the final chunk: as in a non-streamed completion
    covered: bool | None = None  # on the final chunk: as in a non-streamed completion


class ModelCard(Struct):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(Struct):
    object: Literal["list"]
    data: list[ModelCard]
