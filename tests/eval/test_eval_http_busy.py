"""`rag eval --url` against a crowded service: a 429/503 is asked again after its Retry-After, a bounded number of
times (a run of hundreds of questions ended at the first 503 of a service that said when to come back)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.cli import main
from eval.answers import ask_http
from eval.errors import EvalError
from eval.questions import Evidence, Question
from eval.runner import BUSY_RETRIES, HttpBackend

RESULT = {"query": "q", "mode": "hybrid", "lang": "en", "took_ms": 1.0, "index_version": "v1", "shed": [],
          "results": [{"rank": 1, "score": 0.5, "passage_id": "001_x#0-10", "text": "t",
                       "citation": {"doc_id": "001_x", "start": 0, "end": 10}}]}
ANSWER = {"answer": "本文。[1]", "citations": [{"doc_id": "001_x", "start": 0, "end": 10}]}


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that answers JSON and logs nothing."""

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # a client that gave up (a run's timeout): nothing to print
            pass

    def log_message(self, *args) -> None:  # quiet
        pass


class Crowded(JsonHandler):
    """/v1/search and /v1/ask answer 503 (or 429) with a Retry-After for its first `busy` requests, then a result."""

    busy = 0
    status = 503
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(self.path)
        if type(self).busy > 0:
            type(self).busy -= 1
            self._send(type(self).status, {"error": "overloaded", "detail": "the encoders are busy; retry shortly"},
                       {"Retry-After": "0"})
        else:
            self._send(200, ANSWER if self.path == "/v1/ask" else RESULT)


@contextmanager
def _serving(handler: type[JsonHandler]) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def crowded():
    with _serving(Crowded) as server:
        Crowded.seen = []
        yield server


@pytest.mark.parametrize("status", [503, 429])
def test_a_busy_answer_is_asked_again_after_its_retry_after(crowded, status):
    Crowded.busy, Crowded.status = 2, status
    backend = HttpBackend(f"http://127.0.0.1:{crowded.server_port}")
    try:
        response = backend.search("q", "hybrid")
    finally:
        backend.close()
    assert [h.passage_id for h in response.hits] == ["001_x#0-10"] and response.index_version == "v1"
    assert backend.busy_waits == 2 and Crowded.seen == ["/v1/search"] * 3


def test_a_service_that_stays_busy_ends_the_run_with_its_own_words(crowded):
    Crowded.busy, Crowded.status = BUSY_RETRIES + 5, 503
    backend = HttpBackend(f"http://127.0.0.1:{crowded.server_port}")
    try:
        with pytest.raises(EvalError, match="answered HTTP 503 for mode='hybrid': the encoders are busy"):
            backend.search("q", "hybrid")
    finally:
        backend.close()
    assert len(Crowded.seen) == BUSY_RETRIES + 1


def test_an_answer_asked_of_a_busy_service_is_asked_again_too(crowded):
    Crowded.busy, Crowded.status = 1, 503
    backend = HttpBackend(f"http://127.0.0.1:{crowded.server_port}")
    question = Question("a", "ja", "同盟?", (Evidence("001_x", "本文"),))
    try:
        run = ask_http(backend, question)
    finally:
        backend.close()
    assert run.answer == "本文。[1]" and [(c.doc_id, c.start, c.end) for c in run.citations] == [("001_x", 0, 10)]
    assert backend.busy_waits == 1 and Crowded.seen == ["/v1/ask"] * 2


class Slow(JsonHandler):
    """Answers every GET after `delay` seconds (a service slower than the run allows)."""

    delay = 1.0
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).seen.append(self.path.split("?")[0])
        time.sleep(type(self).delay)
        self._send(200, {"documents": [], "next_offset": None})


@pytest.fixture
def slow():
    with _serving(Slow) as server:
        Slow.seen = []
        yield server


def _eval_one_question(server: ThreadingHTTPServer, tmp_path, capsys, timeout: str) -> tuple[int, str, str]:
    """`rag eval --url` of one question at `server` with `--timeout`: (exit code, stdout, stderr)."""
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "lang": "ja", "question": "同盟?",
                                     "evidence": [{"doc": "001_x", "quote": "本文"}]}) + "\n", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "001_x.txt").write_text("見出し\n\n本文。\n", encoding="utf-8")
    code = main(["eval", "--questions", str(questions), "--seeds", str(tmp_path / "seeds"), "--url",
                 f"http://127.0.0.1:{server.server_port}", "--timeout", timeout, "--json"])
    out, err = capsys.readouterr()
    return code, out, err


def test_rag_eval_timeout_bounds_each_request_to_the_service(slow, tmp_path, capsys):
    code, out, err = _eval_one_question(slow, tmp_path, capsys, "0.3")
    assert code == 1 and out == "" and "Traceback" not in err
    assert "did not answer within 0.3s (listing the documents)" in err
    assert Slow.seen == ["/v1/documents"]  # the run ended at its first request, not after a minute of it


class Trickle(JsonHandler):
    """Answers /v1/documents a few bytes at a time, `delay` seconds apart (each wait shorter than the run's timeout)."""

    delay = 0.2

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        data = json.dumps({"documents": [], "next_offset": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(0, len(data), 4):
                self.wfile.write(data[i:i + 4])
                self.wfile.flush()
                time.sleep(type(self).delay)
        except (BrokenPipeError, ConnectionResetError):  # the run gave up on it, as it should
            pass


def test_rag_eval_timeout_bounds_a_reply_that_arrives_a_little_at_a_time(tmp_path, capsys):
    """A reply sent in 20 pieces 0.5 s apart took 10 s a request at --timeout 2: each wait was under 2 s."""
    with _serving(Trickle) as server:
        code, out, err = _eval_one_question(server, tmp_path, capsys, "0.5")
    assert code == 1 and out == "" and "Traceback" not in err
    # the whole reply takes ~2.4 s in 12 pieces 0.2 s apart: each wait is within the timeout, the whole is not
    assert "did not answer within 0.5s (listing the documents)" in err


@pytest.mark.parametrize(("flags", "says"), [
    (["--timeout", "5"], "--timeout applies to --url only"),
    (["--url", "http://127.0.0.1:9", "--timeout", "0"], "--timeout 0: give seconds above 0 and at most 3600"),
    (["--url", "http://127.0.0.1:9", "--timeout", "-1"], "--timeout -1: give seconds above 0"),
    (["--url", "http://127.0.0.1:9", "--timeout", "nan"], "--timeout nan: give seconds above 0"),
    (["--url", "http://127.0.0.1:9", "--timeout", "inf"], "--timeout inf: give seconds above 0"),
])
def test_a_timeout_that_cannot_apply_is_refused_before_any_request(tmp_path, capsys, flags, says):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "lang": "en", "question": "?",
                                     "evidence": [{"doc": "001_x", "quote": "q"}]}) + "\n", encoding="utf-8")
    code = main(["eval", "--questions", str(questions), *flags])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and says in err and "Traceback" not in err
