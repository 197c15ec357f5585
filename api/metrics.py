"""GET /metrics: the service as Prometheus sees it, in its text format.

Requests are counted by the Edge (api/edge.py), outside routing, so 404s, 405s and early 413s count too; each is
labelled with its route's template (`/v1/documents/{doc_id}`), never its raw path, and with its method only if it
is one of HTTP's (any other token is `other`), so that a client cannot grow the series without end. The rest is read from the app's state when scraped: the index served, the live builds
(rag/indexing/live.py), the questions refused as overload (rag/retrieval/intake.py), and the process itself. Each app
has a registry of its own, so that apps created in one process (tests, an embedding program) do not share series.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from prometheus_client import (CollectorRegistry, Counter, GCCollector, Gauge, Histogram,
                               PlatformCollector, ProcessCollector, generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# the classic text format, which every Prometheus and other scrapers read (Litestar adds "; charset=utf-8")
MEDIA_TYPE = "text/plain; version=0.0.4"
UNROUTED = "unrouted"  # answered before routing (413) or by no route (404); a 405 has its route (api/edge.py)
# What the server (api/server.py) answers or closes itself, before any app sees a request, by reason: a 503 beyond
# RAG_MAX_CONNECTIONS, a 400 for what is not HTTP, a connection closed for headers that did not arrive in time.
# Counted on the event loop; one server per process, so a process-wide tally.
SERVER_REFUSALS: Tally[str] = Tally()
# seconds: a search of cached vectors ~5 ms, a cold one ~50-150 ms, a streamed chat answer up to the LLM's timeout
# (20 s, twice with a retry)
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """One app's registry: the request series the Edge records, and the state read at each scrape."""

    def __init__(self, state: State) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter("newsrag_http_requests", "HTTP requests answered, by method, route and status",
                                 ["method", "route", "status"], registry=self.registry)
        self._seconds = Histogram("newsrag_http_request_duration_seconds",
                                  "Time from a request's arrival to its response's last byte (a stream's end)",
                                  ["method", "route"], buckets=BUCKETS, registry=self.registry)
        self.in_flight = Gauge("newsrag_http_requests_in_flight", "HTTP requests being answered now",
                               registry=self.registry)
        self.registry.register(_ServiceCollector(state))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        route = route or UNROUTED
        self._requests.labels(method, route, str(status)).inc()
        self._seconds.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ServiceCollector(Collector):
    """The index, the live builds and the query intake, as they are at the moment of the scrape."""

    def __init__(self, state: State) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        searcher = self._state.get("searcher")
        ready = GaugeMetricFamily("newsrag_index_ready", "1 when an index is loaded and served, else 0")
        ready.add_metric([], 1.0 if searcher is not None else 0.0)
        yield ready
        if searcher is not None:
            index = searcher.index
            info = GaugeMetricFamily("newsrag_index_info", "The index version served (always 1)",
                                     labels=["index_version", "store"])
            # the store's kind only: the manifest names a Qdrant folder's path or its server's URL
            info.add_metric([index.version, index.summary()["store"]["kind"]], 1.0)
            yield info
            counts = GaugeMetricFamily("newsrag_index_items", "What the served index holds, by kind",
                                       labels=["kind"])
            for kind, n in index.manifest["counts"].items():
                counts.add_metric([kind], float(n))
            yield counts
            loaded = self._state.get("loaded_at")
            if loaded is not None:
                yield _gauge("newsrag_index_loaded_timestamp_seconds", "When the served index was put in service",
                             loaded)
            intake = searcher.intake
            yield _gauge("newsrag_queries_pending", "Questions being answered or waiting for the encoders",
                         intake.pending)
            refused = CounterMetricFamily("newsrag_queries_refused", "Questions refused with 503 and Retry-After "
                                          "because the encoders were busy, by reason", labels=["reason"])
            for reason, n in dict(intake.refused).items():
                refused.add_metric([reason], float(n))
            yield refused
        server = CounterMetricFamily("newsrag_http_refused_by_server", "Requests the server answered or closed "
                                     "itself, before the app saw them, by reason: concurrency_limit (503), "
                                     "invalid_http (400; 431 for headers too large, 501 for a transfer coding, 505 "
                                     "for another major version), header_timeout (408 to a request begun, then "
                                     "closed), idle_closed (a connection idle 1 s or more closed for a request, "
                                     "at the limit)",
                                     labels=["reason"])
        for reason in ("concurrency_limit", "invalid_http", "header_timeout", "idle_closed"):
            server.add_metric([reason], float(SERVER_REFUSALS[reason]))
        yield server
        builder = self._state.get("builder")
        if builder is not None:
            yield from _build_metrics(builder)


def _build_metrics(builder: Any) -> Iterator[Metric]:
    status = builder.status()
    yield _gauge("newsrag_build_running", "1 while a live build (POST /v1/admin/rebuild, --watch) runs",
                 1.0 if status is not None and status.state == "running" else 0.0)
    finished = CounterMetricFamily("newsrag_builds", "Live builds finished, by outcome", labels=["outcome"])
    for outcome, n in dict(builder.finished).items():
        finished.add_metric([outcome], float(n))
    yield finished
    if builder.last_duration_s is not None:
        yield _gauge("newsrag_build_last_duration_seconds", "How long the last finished live build took",
                     builder.last_duration_s)
    if builder.last_success_at is not None:
        yield _gauge("newsrag_build_last_success_timestamp_seconds", "When the last live build succeeded",
                     builder.last_success_at)


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(name, text)
    metric.add_metric([], float(value))
    return metric


class MetricsController(Controller):
    """The service's metrics in Prometheus's text format."""

    path = "/metrics"

    @get("/", sync_to_thread=False, media_type=MEDIA_TYPE, include_in_schema=False)  # text for scrapers, not JSON
    def metrics(self, state: State) -> Response[bytes]:
        return Response(state.metrics.render(), media_type=MEDIA_TYPE)
