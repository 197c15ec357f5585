"""Backends that answer the questions: the in-process Searcher or a running service's /v1/search, behind one protocol."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import numpy as np

from rag.answers.llm import retry_after_s
from rag.errors import QueryError
from rag.retrieval import SearchResult, Searcher
from rag.retrieval.conversation import search_conversation

from .errors import EvalError
from .questions import Question

logger = logging.getLogger(__name__)

TOP_K = 10
PROBE_QUERY = "warm-up probe"
# A mode name with this suffix searches a question through its conversation (rag.retrieval.conversation).
CONVERSATION = "+conversation"
BUSY_RETRIES = 5  # a crowded service's 429/503 is asked again this many times, after its Retry-After
MAX_RETRY_WAIT_S = 30.0
DOCUMENT_PAGE = 500  # /v1/documents' largest page


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One ranked passage as the evaluation needs it: its id and its span in the raw seed file."""

    passage_id: str
    doc_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Response:
    """A backend's answer to one query."""

    hits: tuple[Retrieved, ...]
    index_version: str
    shed: tuple[str, ...] = ()  # signals the service skipped because it was crowded (RAG_SHED_SPARSE_ABOVE)


@dataclass(frozen=True, slots=True)
class QuestionRun:
    """The ranking one mode returned for one question, with the wall-clock latency the evaluator observed."""

    question_id: str
    hits: tuple[Retrieved, ...]
    latency_ms: float


@dataclass(frozen=True, slots=True)
class ModeRun:
    """Every question's ranking for one mode."""

    mode: str
    runs: tuple[QuestionRun, ...]
    index_versions: tuple[str, ...]
    shed: int = 0  # questions answered by a search that went without a signal: not the configured ranking


class Backend(Protocol):
    """Something that ranks passages for a query in a named mode."""

    description: str
    conversations: bool  # whether it can search a question through its conversation

    def check_modes(self, modes: Sequence[str]) -> None:
        """Raise EvalError unless every mode can be searched (also warms each mode up)."""

    def search(self, query: str, mode: str) -> Response:
        """The top TOP_K passages for `query`."""

    def documents(self) -> dict[str, str]:
        """Every indexed document: doc_id → the sha256 of the seed file's text the index was built from."""

    def search_conversation(self, turns: Sequence[str], mode: str) -> Response:
        """The top TOP_K passages for the last of `turns`, searched through the conversation."""

    def passage_spans(self, doc_ids: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        """Each document's indexed passages as [start, end) spans of its raw text."""


class InProcessBackend:
    """Searches a loaded index directly, as `rag search` does."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.description = f"in-process index at {searcher.settings.index_dir}"
        self.conversations = True
        # One view per mode, each with its own query-vector cache: otherwise the first mode to embed a question
        # (e.g. hybrid) would make the later ones (e5, use) look faster than they are.
        self._views: dict[str, Searcher] = {}

    def check_modes(self, modes: Sequence[str]) -> None:
        missing = [m for m in modes if m not in self.searcher.modes]
        if missing:
            raise EvalError(f"mode(s) {missing!r} not available in the index at {self.searcher.settings.index_dir}; "
                            f"available: {list(self.searcher.modes)!r}")
        for mode in modes:
            self.search(PROBE_QUERY, mode)

    def search(self, query: str, mode: str) -> Response:
        return _response(self._view(mode).search(query, TOP_K, mode))

    def documents(self) -> dict[str, str]:
        return {doc_id: record.sha256 for doc_id, record in self.searcher.index.docs.items()}

    def passage_spans(self, doc_ids: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        table = self.searcher.index.passages  # columns: no passage is made for this
        number = {d: i for i, d in enumerate(table.doc_ids)}
        out: dict[str, list[tuple[int, int]]] = {}
        for doc in doc_ids:
            rows = np.flatnonzero(table.doc == number[doc]) if doc in number else np.empty(0, np.int64)
            out[doc] = list(zip(table.start[rows].tolist(), table.end[rows].tolist()))
        return out

    def search_conversation(self, turns: Sequence[str], mode: str) -> Response:
        return _response(search_conversation(self._view(mode + CONVERSATION), turns, TOP_K, mode).result)

    def _view(self, name: str) -> Searcher:
        view = self._views.get(name)
        if view is None:
            s = self.searcher
            view = self._views[name] = Searcher(s.index, s.embedders, s.analyzer, s.settings)
        return view


def _response(result: SearchResult) -> Response:
    hits = tuple(Retrieved(h.passage.passage_id, h.citation.doc_id, h.citation.start, h.citation.end, h.score)
                 for h in result.hits)
    return Response(hits, result.index_version, result.shed)


class HttpBackend:
    """POSTs each query to a running service's /v1/search."""

    def __init__(self, url: str, timeout_s: float = 60.0, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.description = f"service at {self.url}"
        self.conversations = False  # /v1/search takes one question
        self._client = client or httpx.Client(timeout=timeout_s)
        self.busy_waits = 0  # requests asked again after a 429/503 (their latency includes the wait)

    def close(self) -> None:
        self._client.close()

    def check_modes(self, modes: Sequence[str]) -> None:
        for mode in modes:  # the service says which modes it has only by answering (or refusing) a search
            self.search(PROBE_QUERY, mode)

    def search_conversation(self, turns: Sequence[str], mode: str) -> Response:
        raise EvalError("conversations are scored in process only (/v1/search takes one question): run rag eval "
                        "without --url to score the conversation modes")

    def documents(self) -> dict[str, str]:
        """GET /v1/documents, page by page."""
        endpoint = f"{self.url}/v1/documents"
        out: dict[str, str] = {}
        offset: int | None = 0
        while offset is not None:
            r = self.request("GET", endpoint, "listing the documents", params={"offset": offset, "limit": DOCUMENT_PAGE})
            try:
                body = r.json()
                out.update((str(d["doc_id"]), str(d["sha256"])) for d in body["documents"])
                following = body["next_offset"]
                before, offset = offset, None if following is None else int(following)
            except (ValueError, KeyError, TypeError) as exc:
                raise EvalError(f"{endpoint} answered 200 with a body that is not a /v1/documents page "
                                f"({type(exc).__name__}: {exc})") from None
            if offset is not None and offset <= before:  # a page that points back would be asked for ever
                raise EvalError(f"{endpoint} answered offset {before} with next_offset {offset}, which does not move "
                                "on: not a /v1/documents listing")
        return out

    def passage_spans(self, doc_ids: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        """GET /v1/documents/{doc_id} of each, its passages' spans."""
        out: dict[str, list[tuple[int, int]]] = {}
        for doc in doc_ids:
            endpoint = f"{self.url}/v1/documents/{quote(doc, safe='')}"
            r = self.request("GET", endpoint, f"document {doc!r}")
            try:
                out[doc] = [(int(p["start"]), int(p["end"])) for p in r.json()["passages"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise EvalError(f"{endpoint} answered 200 with a body that is not a document "
                                f"({type(exc).__name__}: {exc})") from None
        return out

    def search(self, query: str, mode: str) -> Response:
        endpoint = f"{self.url}/v1/search"
        r = self.request("POST", endpoint, f"mode={mode!r}", json={"query": query, "top_k": TOP_K, "mode": mode})
        try:
            body = r.json()
            hits = tuple(_retrieved(item) for item in body["results"])
            return Response(hits, str(body.get("index_version", "")), tuple(body.get("shed") or ()))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalError(f"{endpoint} answered 200 with a body that is not a /v1/search result "
                            f"({type(exc).__name__}: {exc})") from None


    def request(self, method: str, endpoint: str, what: str, **kwargs: Any) -> httpx.Response:
        """One request, its 200 response; a 429 or 503 (a crowded service) is asked again after its Retry-After, up
        to BUSY_RETRIES times, as the service asks, instead of ending a run of hundreds of questions at the first."""
        for attempt in range(BUSY_RETRIES + 1):
            try:
                r = self._whole(method, endpoint, **kwargs)
            except httpx.TimeoutException:
                raise EvalError(f"the service at {self.url!r} did not answer within {self._client.timeout.read}s "
                                f"({what})") from None
            except httpx.TransportError as exc:
                raise EvalError(f"cannot reach the service at {self.url!r} ({type(exc).__name__}: {exc}); "
                                f"start it with `rag serve` or pass the right --url") from None
            if r.status_code not in (429, 503) or attempt == BUSY_RETRIES:
                break
            said = retry_after_s(r, MAX_RETRY_WAIT_S)
            wait = 1.0 if said is None else max(said, 0.1)  # none (or a date): 1 s
            self.busy_waits += 1
            logger.warning("%s answered HTTP %d (%s); asking again in %.1fs (%d of %d)", endpoint, r.status_code,
                           _detail(r), wait, attempt + 1, BUSY_RETRIES)
            time.sleep(wait)
        if r.status_code != 200:
            raise EvalError(f"{endpoint} answered HTTP {r.status_code} for {what}: {_detail(r)}")
        return r

    def _whole(self, method: str, endpoint: str, **kwargs: Any) -> httpx.Response:
        """One response, read whole within the client's timeout (--timeout): httpx's timeout bounds each wait for
        the next piece, so a reply sent a little at a time took ten times as long."""
        limit = self._client.timeout.read
        deadline = None if limit is None else time.monotonic() + limit
        with self._client.stream(method, endpoint, **kwargs) as r:
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if deadline is not None and time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"the reply took longer than {limit}s", request=r.request)
            # the body as read is decoded already: the copy does not say it is compressed
            headers = [(k, v) for k, v in r.headers.multi_items() if k.lower() not in _READ_AS_IS]
            return httpx.Response(r.status_code, headers=headers, content=bytes(body), request=r.request)


_READ_AS_IS = {"content-encoding", "content-length", "transfer-encoding"}


def _retrieved(item: dict[str, Any]) -> Retrieved:
    c = item["citation"]
    return Retrieved(str(item["passage_id"]), str(c["doc_id"]), int(c["start"]), int(c["end"]), float(item["score"]))


def _detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:300] or "(empty body)"
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:300]


def run_mode(backend: Backend, questions: Sequence[Question], mode: str) -> ModeRun:
    """Ask every question in one mode, timing each call as the evaluator sees it."""
    t0 = time.perf_counter()
    runs, versions, shed = [], [], 0
    base = mode.removesuffix(CONVERSATION)
    for q in questions:
        t = time.perf_counter()
        try:
            if mode.endswith(CONVERSATION):
                response = backend.search_conversation(q.turns or (q.question,), base)
            else:
                response = backend.search(q.question, mode)
        except QueryError as exc:
            raise EvalError(f"question {q.id!r} was refused in mode {mode!r}: {exc}") from None
        runs.append(QuestionRun(q.id, response.hits, (time.perf_counter() - t) * 1000))
        versions.append(response.index_version)
        shed += bool(response.shed)
    logger.info("mode %s: %d questions in %.2fs", mode, len(runs), time.perf_counter() - t0)
    if shed:
        logger.warning("mode %s: %d of %d questions were answered without the sparse head because the service was "
                       "crowded (RAG_SHED_SPARSE_ABOVE): score an idle service, or one with the setting at 0", mode,
                       shed, len(runs))
    return ModeRun(mode, tuple(runs), tuple(dict.fromkeys(versions)), shed)
