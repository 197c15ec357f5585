"""The HTTP surface against the real app (in-process): HEAD and OPTIONS, headers, the /schema page, what the
service discloses about itself, and /v1/documents pages."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.app import create_app
from rag.settings import Settings
from rag.shown import without_server_paths

from api_support import ADMIN_TOKEN, EN_QUESTION, JA_QUESTION, assert_error, assert_openai_error, sse_data


def _get_paths(client, searcher) -> list[str]:
    """Every GET route of the OpenAPI schema, with real values for its parameters, plus the schema itself."""
    spec = client.get("/schema/openapi.json").json()
    values = {"{doc_id}": sorted(searcher.index.docs)[0], "{model_id}": "newsrag"}
    paths = []
    for path, operations in spec["paths"].items():
        if "get" in operations:
            for name, value in values.items():
                path = path.replace(name, value)
            paths.append(path)
    return [*paths, "/schema", "/schema/openapi.json", "/v1/documents/no-such-doc", "/v1/nothing-here"]


def test_head_answers_every_get_route_like_get_without_a_body(client, searcher):
    paths = _get_paths(client, searcher)
    assert {"/healthz", "/readyz", "/v1/index", "/v1/documents", "/v1/models"} <= set(paths)
    for path in paths:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content)), path


def test_every_get_route_lists_head_where_it_lists_its_methods(client, searcher):
    """The Edge answers HEAD on every GET route, so Allow says so: in OPTIONS, and in a 405's header and message."""
    for path in _get_paths(client, searcher):
        allow = client.options(path).headers.get("allow")
        if allow is not None:  # a path no route takes (a 404) has no Allow
            assert [m.strip() for m in allow.split(",")][:2] == ["GET", "HEAD"], (path, allow)
    refused = client.put("/v1/index")
    assert refused.status_code == 405 and "GET, HEAD" in refused.headers["allow"]
    assert "GET, HEAD" in refused.json()["detail"]
    post_only = client.options("/v1/search").headers["allow"]
    assert "HEAD" not in post_only and "POST" in post_only  # HEAD is a 405 there, as the next test shows


def test_head_on_a_post_only_route_is_still_a_405(client):
    response = client.head("/v1/search")
    assert response.status_code == 405 and "POST" in response.headers["allow"] and response.content == b""


def test_options_on_admin_routes_needs_no_token(client):
    response = client.options("/v1/admin/reload")
    assert response.status_code == 204 and "POST" in response.headers["allow"]
    assert assert_error(client.post("/v1/admin/reload"), 401)["error"] == "unauthorized"  # the token still guards POST


def test_a_cors_preflight_on_admin_routes_is_answered_before_the_token_guard(serve_app, api_settings):
    with serve_app(api_settings.replace(cors_origins=("https://app.example",))) as c:
        preflight = c.options("/v1/admin/reload", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        plain = c.options("/v1/admin/reload", headers={"Origin": "https://app.example"})
        post = c.post("/v1/admin/reload", headers={"Origin": "https://app.example"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert plain.status_code == 204
    assert post.status_code == 401 and post.headers["access-control-allow-origin"] == "https://app.example"


def test_every_response_says_nosniff_and_how_to_cache_it(client):
    responses = {
        "json": client.get("/v1/index"), "error": client.get("/v1/nothing-here"), "schema": client.get("/schema"),
        "search": client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1}),
        "too-large": client.post("/v1/search", content=b"x" * 1_000_001, headers={"content-type": "application/json"}),
        "head": client.head("/healthz"), "options": client.options("/v1/search"),
    }
    for name, response in responses.items():
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["cache-control"] == "no-store", name
    stream = client.post("/v1/chat/completions", json={"stream": True, "top_k": 2,
                                                        "messages": [{"role": "user", "content": JA_QUESTION}]})
    assert stream.headers["x-content-type-options"] == "nosniff"
    assert stream.headers["cache-control"] == "no-cache"  # the stream's own, kept
    assert sse_data(stream.text)[-1] == "[DONE]"


def test_the_schema_page_is_self_contained(client):
    page = client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html and "//" not in html.replace("http://www.w3.org", "")  # no external resource
    assert "href='/schema/openapi.json'" in html
    for path in ("/v1/search", "/v1/ask", "/v1/chat/completions", "/v1/documents/{doc_id}"):
        assert f"<code>{path}</code>" in html
    assert client.get("/schema/openapi.json").json()["paths"]
    for gone in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert assert_error(client.get(gone), 404)["error"] == "not_found"


# -- what the service says about itself -------------------------------------------------------------------------

def _source_files(body) -> list[str]:
    found = []
    if isinstance(body, dict):
        for k, v in body.items():
            found += [v] if k == "source_file" else _source_files(v)
    elif isinstance(body, list):
        for v in body:
            found += _source_files(v)
    return found


def test_no_response_names_a_server_path(client, api_settings, searcher):
    seeds, index = str(Path(api_settings.seeds_dir).resolve()), str(Path(api_settings.index_dir).resolve())
    doc_id = sorted(searcher.index.docs)[0]
    bodies = [client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 10}),
              client.post("/v1/ask", json={"question": JA_QUESTION, "top_k": 3}),
              client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}]}),
              client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EN_QUESTION}],
                                                        "stream": True}),
              client.get("/v1/documents"), client.get(f"/v1/documents/{doc_id}")]
    for response in bodies:
        assert response.status_code == 200, response.text
        assert seeds not in response.text and index not in response.text and str(Path.home()) not in response.text
        if "json" in response.headers["content-type"]:
            files = _source_files(response.json())
            assert files and all(re.fullmatch(r"[^/\\]+\.txt", f) for f in files), files


def test_5xx_details_carry_no_server_path(embedders, api_settings, index_copy, tmp_path):
    (index_copy / "manifest.json").write_text("{not json")
    with TestClient(create_app(api_settings.replace(index_dir=index_copy), embedders=embedders)) as c:
        responses = [c.get("/readyz"), c.post("/v1/search", json={"query": "q"}), c.get("/v1/documents"),
                     c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "q"}]})]
        reload = c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    for response in [*responses[:3], reload]:
        detail = assert_error(response, response.status_code)["detail"]
        assert response.status_code in (503, 409) and str(tmp_path) not in detail and "/tmp" not in detail, detail
        assert "<index>" in detail, detail
    message = assert_openai_error(responses[3], 503)["message"]
    assert str(tmp_path) not in message and "<index>" in message


# -- /v1/documents pages ----------------------------------------------------------------------------------------

def test_documents_come_in_pages_that_cover_the_index_once(client, searcher):
    ids, offset, pages = [], 0, 0
    while offset is not None:
        body = client.get("/v1/documents", params={"limit": 2, "offset": offset}).json()
        assert body["count"] == len(searcher.index.docs) and body["limit"] == 2 and body["offset"] == offset
        assert 1 <= len(body["documents"]) <= 2
        ids += [d["doc_id"] for d in body["documents"]]
        offset, pages = body["next_offset"], pages + 1
    assert ids == sorted(searcher.index.docs) and pages == -(-len(ids) // 2)
    first = client.get("/v1/documents").json()
    assert first["limit"] == 50 and first["offset"] == 0 and first["next_offset"] is None
    past = client.get("/v1/documents", params={"offset": 10_000}).json()
    assert past["documents"] == [] and past["next_offset"] is None and past["count"] == len(ids)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "all"}])
def test_documents_page_bounds_are_enforced(client, params):
    body = assert_error(client.get("/v1/documents", params=params), 400)
    assert body["error"] == "invalid_request" and next(iter(params)) in body["detail"]


def test_an_oversized_body_is_a_413_in_each_endpoints_shape(client):
    big = b"x" * 1_000_001
    assert assert_error(client.post("/v1/search", content=big, headers={"content-type": "application/json"}),
                        413)["error"] == "body_too_large"
    assert assert_openai_error(client.post("/v1/chat/completions", content=big,
                                           headers={"content-type": "application/json"}), 413)["code"] == \
        "body_too_large"
    ok = client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 1})  # the same client goes on
    assert ok.status_code == 200


def test_a_stream_cancelled_while_its_model_call_runs_is_closed_at_once_not_left_to_the_garbage_collector():
    """A client leaving while the model's next token was awaited in a worker thread cancelled the stream; the close
    in its `finally` then awaited in a cancelled scope, so it never ran: the model's HTTP stream stayed open until the
    garbage collector closed the generator, in whatever thread it ran, holding whatever lock that thread held
    (in a fresh clone's page tests, every later chat request of that server hung). The close is shielded now."""
    import anyio

    from api.controllers.chat import _in_thread

    started, release, closed = threading.Event(), threading.Event(), threading.Event()

    def tokens():
        try:
            yield "first"
            started.set()
            release.wait(10)  # the model's next token, awaited in a worker thread
            yield "second"
            yield "third"
        finally:
            closed.set()

    items = tokens()  # held here: only an explicit close can run its finally

    async def main() -> None:
        async def consume() -> None:
            async for _ in _in_thread(items):
                pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)
            await anyio.to_thread.run_sync(started.wait, 10)
            tg.cancel_scope.cancel()  # the client left
            release.set()  # the model answers; the thread returns, and the cancellation is delivered

    # in a thread of its own: a worker that ran the page tests keeps Playwright's event loop set on this one
    runner = threading.Thread(target=anyio.run, args=(main,))
    runner.start()
    runner.join(30)
    assert not runner.is_alive() and closed.wait(5), "the stream's generator was left open"


def test_a_stream_whose_client_leaves_while_a_chunk_is_sent_has_its_iterator_closed():
    """Litestar steps a stream with `async for` and cancels it when the client leaves, without closing the iterator:
    one cancelled while a chunk was being sent stayed suspended at its `yield` (and a chat answer went on being made
    for no one) until the garbage collector came by. The chat's EventStream closes it when the stream ends."""
    import anyio

    from api.controllers.chat import EventStream

    closed = threading.Event()
    sent: list[bytes] = []

    async def chunks():
        try:
            for text in (b"a", b"b", b"c"):
                yield text
        finally:
            closed.set()

    async def main() -> None:
        iterator = chunks()
        response = EventStream(iterator, media_type="text/event-stream").to_asgi_response(None, None)  # type: ignore[arg-type]

        async def send(event) -> None:
            if event["type"] == "http.response.body":
                sent.append(event["body"])
                await anyio.sleep_forever()  # the client is slow to take this chunk, then leaves

        async def receive():
            await anyio.sleep(0.05)
            return {"type": "http.disconnect"}

        await response.send_body(send, receive)
        seen.append(closed.is_set())  # now, with the loop still running (its shutdown would close it anyway)
        del iterator

    seen: list[bool] = []
    runner = threading.Thread(target=anyio.run, args=(main,))  # a thread of its own, as above
    runner.start()
    runner.join(30)
    assert not runner.is_alive() and sent == [b"a"] and seen == [True]


def test_a_stream_abandoned_between_its_pieces_is_still_finished_and_closed_by_its_own_thread():
    """Litestar does not close a stream's iterator when the client leaves while a chunk is being sent: the generators
    stayed suspended until the garbage collector finalised them, and it closed the model's HTTP response in whatever
    thread it ran in; inside httpcore's pool (its lock is not reentrant) that thread hung, and every later model call
    of the server with it (the page tests' hang in fresh clones). Here the reader takes one piece and is dropped
    without a close, held alive as a suspended stream is: the answer's generator must still be closed, in the thread
    that stepped it."""
    import anyio

    from api.controllers.chat import _in_thread

    release, closed = threading.Event(), threading.Event()
    closed_in: list[str] = []

    def tokens():
        try:
            yield "first"
            release.wait(10)  # the model's next token
            yield "second"
        finally:
            closed_in.append(threading.current_thread().name)
            closed.set()

    seen: list[bool] = []

    async def main() -> None:
        stream = _in_thread(tokens())
        assert await stream.__anext__() == "first"
        # the stream is suspended at its yield and never closed, what a hung-up client leaves; the server goes on
        release.set()
        seen.append(await anyio.to_thread.run_sync(closed.wait, 10))
        del stream

    runner = threading.Thread(target=anyio.run, args=(main,))  # a thread of its own, as above
    runner.start()
    runner.join(30)
    assert not runner.is_alive() and seen == [True], "the answer's generator was left for the garbage collector"
    assert closed_in == ["answer-stream"]


def test_a_closed_stream_stops_its_thread_at_the_next_piece_and_the_thread_closes_the_answer():
    """A reader closed (the client left and the stream was closed) tells the thread to stop: it takes at most one
    more piece of an answer that would go on for ever, then closes the answer's generator itself."""
    import anyio

    from api.controllers.chat import _in_thread

    closed, go, pieces = threading.Event(), threading.Event(), []
    closed_in: list[str] = []

    def endless():
        try:
            n = 0
            while True:
                pieces.append(n)
                yield str(n)
                n += 1
                go.wait(10)  # the model's next token comes once the reader has gone
        finally:
            closed_in.append(threading.current_thread().name)
            closed.set()

    async def main() -> None:
        stream = _in_thread(endless())
        assert await stream.__anext__() == "0"
        await stream.aclose()
        go.set()
        seen.append(await anyio.to_thread.run_sync(closed.wait, 10))

    seen: list[bool] = []
    runner = threading.Thread(target=anyio.run, args=(main,))
    runner.start()
    runner.join(30)
    assert not runner.is_alive() and seen == [True] and closed_in == ["answer-stream"]
    assert pieces == [0, 1]  # the one read, and the one that found the stop


def test_the_relative_default_folders_are_left_as_words_and_their_absolute_paths_are_named(tmp_path, monkeypatch):
    """`make serve` runs with seeds_dir "seeds" and index_dir "index": a live build's status replaced those words
    wherever they stood ("is '<seeds>' the right <seeds> folder? … `rag <index> build`", "<seeds>/re<index>_…"), so the
    command it suggested and the file it skipped could not be read. Only absolute paths are the server's."""
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({}, seeds_dir=Path("seeds"), index_dir=Path("index"))
    said = ("this build would remove 5 of the 7 documents the index holds: is 'seeds' the right seeds folder? If the "
            "removal is meant: `rag index build --allow-removals`; skipped seeds/reindex_seeds_notes.txt (empty); "
            f"cannot read {tmp_path}/seeds/004.txt nor {tmp_path}/index/builds/b1/passages.npy; "
            f"cache at {tmp_path}/elsewhere/tables/jmdict.sqlite")
    shown = without_server_paths(said, settings)
    assert shown == ("this build would remove 5 of the 7 documents the index holds: is 'seeds' the right seeds folder? "
                     "If the removal is meant: `rag index build --allow-removals`; skipped "
                     "seeds/reindex_seeds_notes.txt (empty); cannot read <seeds>/004.txt nor "
                     "<index>/builds/b1/passages.npy; cache at jmdict.sqlite")
