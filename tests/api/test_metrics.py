"""GET /metrics: the real app's series in Prometheus's text format, read back with Prometheus's own parser; and the
access log (api/edge.py)."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rag.retrieval import Searcher

from api_support import EN_QUESTION, assert_error


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of one scrape; the parser refuses anything not in the text format."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def requests(samples: dict, method: str, route: str, status: int) -> float:
    return samples.get(("newsrag_http_requests_total",
                        (("method", method), ("route", route), ("status", str(status)))), 0.0)


def test_requests_are_counted_by_route_template_and_status_and_a_raw_path_is_never_a_label(serve_app, api_settings):
    with serve_app(api_settings) as c:
        before = scrape(c)
        assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 2}).status_code == 200
        assert c.post("/v1/search", json={"query": ""}).status_code == 422
        for n in range(3):  # each raw path a client makes up is one more series unless the template is the label
            assert c.get(f"/v1/documents/made-up-{n}").status_code == 404
            assert c.get(f"/no/such/path/{n}").status_code == 404
        assert c.head("/healthz").status_code == 200
        text = c.get("/metrics").text
        after = scrape(c)
    assert requests(after, "POST", "/v1/search", 200) - requests(before, "POST", "/v1/search", 200) == 1
    assert requests(after, "POST", "/v1/search", 422) - requests(before, "POST", "/v1/search", 422) == 1
    assert requests(after, "GET", "/v1/documents/{doc_id}", 404) - \
        requests(before, "GET", "/v1/documents/{doc_id}", 404) == 3
    assert requests(after, "GET", "unrouted", 404) - requests(before, "GET", "unrouted", 404) == 3
    assert requests(after, "HEAD", "/healthz", 200) - requests(before, "HEAD", "/healthz", 200) == 1
    assert "made-up" not in text and "/no/such" not in text
    timed = after[("newsrag_http_request_duration_seconds_count", (("method", "POST"), ("route", "/v1/search")))]
    assert timed >= 2 and after[("newsrag_http_request_duration_seconds_sum",
                                 (("method", "POST"), ("route", "/v1/search")))] > 0
    assert after[("process_resident_memory_bytes", ())] > 0


def test_a_client_cannot_add_series_with_methods_of_its_own(serve_app, api_settings):
    """The server's HTTP parser takes any token as a method: each made-up one was a new series of every request
    metric."""
    with serve_app(api_settings) as c:
        for n in range(3):
            assert c.request(f"FOO{n}", "/v1/search").status_code == 405
        assert c.request("PUT", "/v1/search").status_code == 405
        assert c.request("PUT", "/v1/search/").status_code == 405  # the router reads it without its trailing slash
        assert c.request("DELETE", "/v1/documents/made-up").status_code == 405
        assert c.request("POST", "/schema/openapi.json").status_code == 405
        samples = scrape(c)
    assert scope_methods(samples) == {"PUT", "DELETE", "POST", "other"}  # the scrape itself is counted after it answers
    # a 405 is labelled with the route its path named (Litestar refuses the method before it writes the template),
    # the template for a path with parameters, never the raw path
    assert requests(samples, "other", "/v1/search", 405) == 3 and requests(samples, "PUT", "/v1/search", 405) == 2
    assert requests(samples, "DELETE", "/v1/documents/{doc_id}", 405) == 1
    assert requests(samples, "POST", "/schema/openapi.json", 405) == 1
    assert not any(dict(labels).get("route") == "unrouted" for _, labels in samples)


def scope_methods(samples: dict) -> set[str]:
    return {dict(labels)["method"] for name, labels in samples if name == "newsrag_http_requests_total"}


def test_the_served_index_and_its_counts_are_what_v1_index_says(serve_app, api_settings):
    with serve_app(api_settings) as c:
        index = c.get("/v1/index").json()
        samples = scrape(c)
    version = index["index_version"]
    assert samples[("newsrag_index_ready", ())] == 1
    assert samples[("newsrag_index_info", (("index_version", version), ("store", "local")))] == 1
    for kind, n in index["counts"].items():
        assert samples[("newsrag_index_items", (("kind", kind),))] == n
    assert samples[("newsrag_index_loaded_timestamp_seconds", ())] > 0
    assert samples[("newsrag_build_running", ())] == 0
    assert samples[("newsrag_builds_total", (("outcome", "succeeded"),))] == 0


def test_a_question_refused_because_the_encoders_are_busy_is_counted_by_reason(serve_app, api_settings, searcher):
    settings = api_settings.replace(max_pending_queries=1)
    busy = Searcher(searcher.index, searcher.embedders, searcher.analyzer, settings)
    with serve_app(settings, searcher=busy) as c:
        with busy.intake.admit(10):  # the one place is taken, as by a question still being answered
            assert scrape(c)[("newsrag_queries_pending", ())] == 1
            refused = c.post("/v1/search", json={"query": EN_QUESTION})
            assert assert_error(refused, 503)["error"] == "overloaded" and refused.headers["Retry-After"] == "1"
        samples = scrape(c)
    assert samples[("newsrag_queries_refused_total", (("reason", "queue_full"),))] == 1
    assert samples[("newsrag_queries_refused_total", (("reason", "long_questions_busy"),))] == 0
    assert samples[("newsrag_queries_pending", ())] == 0
    assert requests(samples, "POST", "/v1/search", 503) == 1


def test_serving_without_an_index_says_not_ready(serve_app, api_settings, embedders, tmp_path):
    from litestar.testing import TestClient

    from api.app import create_app

    settings = api_settings.replace(seeds_dir=tmp_path / "no-seeds", index_dir=tmp_path / "index")
    with TestClient(create_app(settings, embedders=embedders)) as c:
        samples = scrape(c)
    assert samples[("newsrag_index_ready", ())] == 0
    assert not any(name == "newsrag_index_info" for name, _ in samples)


@pytest.mark.parametrize("method", ["get", "head"])
def test_rag_metrics_0_removes_the_route(serve_app, api_settings, method):
    with serve_app(api_settings.replace(metrics=False)) as c:
        response = getattr(c, method)("/metrics")
        assert response.status_code == 404
        assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).status_code == 200


@pytest.mark.parametrize("on", [True, False])
def test_rag_access_log_0_turns_the_access_lines_off(serve_app, api_settings, caplog, on):
    with caplog.at_level("INFO", logger="api.access"), serve_app(api_settings.replace(access_log=on)) as c:
        assert c.get("/healthz").status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert (lines == [lines[0]] and '"GET /healthz" 200 ' in lines[0]) if on else lines == [], lines


def test_an_access_line_keeps_what_the_client_sent_inside_its_quotes(serve_app, api_settings, caplog):
    """A quote in a path closed the request's field early: `"GET /v1/documents/a" 200 1.0 ms" 404 0.9 ms` read as a
    200. Quotes, backslashes and format characters are escaped; a Japanese path stays readable, and the path is the
    one sent, not the router's normalised form."""
    with caplog.at_level("INFO", logger="api.access"), serve_app(api_settings) as c:
        assert c.get('/v1/documents/a" 200 1.0 ms\\n\u202e').status_code == 404
        assert c.get("/v1/documents/ラブロフ").status_code == 404
        assert c.get("/v1/documents//x//").status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert len(lines) == 3 and all(line.count('"') == 2 for line in lines), lines
    assert '/v1/documents/a\\x22 200 1.0 ms\\\\n\\u202e" 404 ' in lines[0], lines[0]
    assert '"GET /v1/documents/ラブロフ" 404 ' in lines[1] and '"GET /v1/documents//x//" 404 ' in lines[2], lines


def test_a_405_of_a_path_parameter_is_labelled_with_its_route_though_the_value_holds_slashes():
    """A parameter of type `path` takes slashes (`/files/a/b.txt`); one of type str does not."""
    from litestar import Litestar, get

    from api.edge import _route_of

    @get("/files/{p:path}")
    async def files(p: str) -> str:
        return p

    @get("/docs/{doc_id:str}")
    async def docs(doc_id: str) -> str:
        return doc_id

    app = Litestar([files, docs], openapi_config=None)
    assert _route_of({"app": app, "path": "/files/a/b.txt"}) == "/files/{p}"
    assert _route_of({"app": app, "path": "/files/a"}) == "/files/{p}"
    assert _route_of({"app": app, "path": "/docs/a"}) == "/docs/{doc_id}"
    assert _route_of({"app": app, "path": "/docs/a/b"}) is None
