"""Live rebuilds against a real `rag serve` subprocess: POST /v1/admin/rebuild and `--watch` (RAG_WATCH_SECONDS) pick
up a seed dropped into the seeds directory while eight threads search, without a restart and without a failed or
mixed response; a failed build keeps the old index serving and says why."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
from http.client import HTTPConnection
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.process import SearchLoad, fresh_connections, running_server

from api_support import ADMIN_TOKEN, EN_QUESTION, JA_QUESTION, assert_error

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NEW_DOC = "950_live_rebuild_probe"
BASE_SEED = "003_4dfd093ef708d448.txt"  # a real seed; the new one is a copy with a changed title and a new section
NEW_SECTION = """北極海航路で日露の研究機関が共同観測を開始

北極海航路の海氷の状態を調べるため、日本とロシアの研究機関が共同観測を始めた。観測船はベーリング海峡から東シベリア海までを三週間かけて航行し、海氷の厚さと海水温を記録する。

観測に参加する稚内の港湾関係者は、砕氷船の運航費用が下がれば北極海航路を使う貨物船が増えると期待している。
"""
NEW_QUESTION = "北極海航路の共同観測で観測船はどこを航行するか"
QUESTIONS = (EN_QUESTION, JA_QUESTION, NEW_QUESTION, "Which ship sails from the Bering Strait to the East Siberian Sea?",
             "プーチンと習近平の関係")
BUILD_TIMEOUT_S = 600
_FRESH = fresh_connections(120)  # index_status's client: a new connection per request


def new_seed_text(seeds: Path) -> str:
    """The real seed with its headline replaced by a new one and the new section inserted after it."""
    text = (seeds / BASE_SEED).read_text(encoding="utf-8")
    headline = "習近平とプーチンの「兄弟関係」が逆転...兄が頼りの弟分は付き従うのみ"
    assert headline in text
    return text.replace(headline, NEW_SECTION, 1)


@dataclass(frozen=True)
class Server:
    url: str
    seeds: Path
    index: Path


def _server(built_index, root: Path, env: dict[str, str]):
    settings, _ = built_index
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    return running_server(seeds, index, root / "server.log", env={"RAG_ADMIN_TOKEN": ADMIN_TOKEN, **env}), seeds, index


@pytest.fixture(scope="module")
def server(built_index, tmp_path_factory):
    context, seeds, index = _server(built_index, tmp_path_factory.mktemp("live"), {})
    with context as url:
        yield Server(url, seeds, index)


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


def rebuild_and_wait(http: httpx.Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """POST /v1/admin/rebuild, then follow GET /v1/index until the build is over: (final build, every status seen)."""
    live = http.get("/v1/index").json()["index_version"]
    r = http.post("/v1/admin/rebuild", headers=AUTH)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["state"] == "running" and accepted["index_version"] == live and accepted["status"] == "/v1/index"
    return wait_for_build(http, accepted["build_id"])


def index_status(http: httpx.Client) -> dict[str, Any]:
    """GET /v1/index on a connection of its own: the test's observation channel stays out of keep-alive races with
    the server's 5 s idle timeout when this process is starved on a loaded machine (the eight searching threads keep
    their connections, as real clients do)."""
    return _FRESH.get(f"{http.base_url}".rstrip("/") + "/v1/index").json()


def wait_for_build(http: httpx.Client, build_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen = []
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while True:
        body = index_status(http)
        seen.append(body)
        build = body["build"]
        assert build["build_id"] == build_id
        if build["state"] != "running":
            return build, seen
        assert time.monotonic() < deadline, f"build still running: {build}"
        time.sleep(0.2)


def served_every_question(load: SearchLoad, version: str) -> None:
    """Wait until the load has had each of its questions answered from `version` (instead of a fixed sleep: as long
    as that takes on this machine, and no longer)."""
    deadline = time.monotonic() + 120
    while {b["query"] for b in load.bodies if b["index_version"] == version} != set(load.questions):
        assert time.monotonic() < deadline and not load.failures, load.failures
        time.sleep(0.05)


def doc_texts(seeds: Path) -> dict[str, str]:
    return {p.stem: p.read_bytes().decode("utf-8") for p in seeds.glob("*.txt")}


def search_docs(http: httpx.Client, query: str) -> list[str]:
    r = http.post("/v1/search", json={"query": query, "top_k": 5})
    assert r.status_code == 200, r.text
    return [h["citation"]["doc_id"] for h in r.json()["results"]]


def test_a_dropped_in_seed_is_served_after_a_rebuild_and_gone_after_the_next_under_load(server, http):
    v0 = http.get("/v1/index").json()["index_version"]
    texts = {v0: doc_texts(server.seeds)}
    assert NEW_DOC not in search_docs(http, NEW_QUESTION)
    with SearchLoad(server.url, QUESTIONS) as load:
        served_every_question(load, v0)
        (server.seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(server.seeds), encoding="utf-8")
        added, seen = rebuild_and_wait(http)
        v1 = added["index_version"]
        texts[v1] = doc_texts(server.seeds)
        served_every_question(load, v1)
        (server.seeds / f"{NEW_DOC}.txt").unlink()
        removed, _ = rebuild_and_wait(http)
        v2 = removed["index_version"]
        texts[v2] = doc_texts(server.seeds)
        served_every_question(load, v2)

    assert added["state"] == "succeeded" and added["error"] is None, added
    assert added["changes"]["added"] == 1 and v1 != v0
    assert removed["state"] == "succeeded" and removed["changes"]["removed"] == 1 and v2 not in (v0, v1)
    # while the build ran, the old version was the one served, and the build said where it was
    running = [s for s in seen if s["build"]["state"] == "running"]
    assert running and all(s["index_version"] == v0 for s in running)
    assert all(s["build"]["started_at"] == added["started_at"] and s["build"]["total"] >= s["build"]["done"] >= 0
               for s in running)
    assert seen[-1]["index_version"] == v1

    assert load.failures == []
    assert len({b["index_version"] for b in load.bodies}) >= 2
    for body in load.bodies:  # every response comes wholly from the one version it names
        assert body["index_version"] in texts, body["index_version"]
        docs = texts[body["index_version"]]
        assert len(body["results"]) == 5
        for hit in body["results"]:
            c = hit["citation"]
            assert c["doc_id"] in docs and docs[c["doc_id"]][c["start"] : c["end"]] == hit["text"]
    assert any(h["citation"]["doc_id"] == NEW_DOC for b in load.bodies if b["index_version"] == v1
               for h in b["results"])
    assert http.get("/v1/index").json()["index_version"] == v2
    assert NEW_DOC not in search_docs(http, NEW_QUESTION)


def test_the_new_document_is_found_right_after_its_rebuild(server, http):
    v0 = http.get("/v1/index").json()["index_version"]
    path = server.seeds / f"{NEW_DOC}.txt"
    path.write_text(new_seed_text(server.seeds), encoding="utf-8")
    try:
        build, _ = rebuild_and_wait(http)
        assert build["state"] == "succeeded" and build["index_version"] != v0
        assert search_docs(http, NEW_QUESTION)[0] == NEW_DOC
        doc = http.get(f"/v1/documents/{NEW_DOC}")
        assert doc.status_code == 200 and doc.json()["index_version"] == build["index_version"]
    finally:
        path.unlink()
    build, _ = rebuild_and_wait(http)
    assert build["state"] == "succeeded" and NEW_DOC not in search_docs(http, NEW_QUESTION)
    assert_error(http.get(f"/v1/documents/{NEW_DOC}"), 404)


def test_an_idle_keep_alive_connection_outlasts_the_clients_pool_expiry(server):
    """httpx keeps an idle connection for 5 s and then drops it; a server closing at the same 5 s made a client that
    reused a connection idle for about that long (the observation channel above, waiting for a build) read a reset."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", "/healthz")
        assert conn.getresponse().read()
        time.sleep(6)  # longer than httpx's pool expiry: after this, httpx itself would open a new connection
        conn.request("GET", "/healthz")  # on the same socket: a server that had closed it fails this
        response = conn.getresponse()
        assert response.status == 200 and response.read()
    finally:
        conn.close()


def test_two_rebuild_calls_at_once_give_one_202_and_one_409(server, http):
    barrier = threading.Barrier(2)
    responses: list[httpx.Response] = []

    def call() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            barrier.wait()
            responses.append(c.post("/v1/admin/rebuild", headers=AUTH))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(r.status_code for r in responses) == [202, 409], [r.text for r in responses]
    accepted = next(r for r in responses if r.status_code == 202).json()
    busy = assert_error(next(r for r in responses if r.status_code == 409), 409)
    assert busy["error"] == "build_running" and accepted["build_id"] in busy["detail"]
    build, _ = wait_for_build(http, accepted["build_id"])
    assert build["state"] == "succeeded"
    assert http.post("/v1/admin/rebuild").status_code == 401  # token-guarded like reload


def builds(http: httpx.Client) -> dict[str, float]:
    """The live builds' series of GET /metrics, read with Prometheus's parser: {sample name or outcome: value}."""
    out = {}
    for family in text_string_to_metric_families(http.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "newsrag_builds_total":
                out[sample.labels["outcome"]] = sample.value
            elif sample.name.startswith("newsrag_build") or sample.name == "newsrag_index_info":
                out[sample.name] = sample.labels.get("index_version", sample.value)
    return out


def test_a_failed_build_keeps_the_old_index_serving_and_says_why(server, http):
    live = http.get("/v1/index").json()["index_version"]
    counted = builds(http)
    expected = search_docs(http, JA_QUESTION)
    # another process holding the build lock (an operator's `rag index build`): refused at once with 409, as the
    # README says of a build already running (it was accepted with 202, then failed)
    with open(server.index / ".build.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            busy = assert_error(http.post("/v1/admin/rebuild", headers=AUTH), 409)
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    assert busy["error"] == "build_running" and "another process is building this index" in busy["detail"]
    assert http.get("/v1/index").json()["index_version"] == live
    assert search_docs(http, JA_QUESTION) == expected

    # the seeds directory gone (moved away by mistake): the same
    moved = server.seeds.with_name("seeds-moved")
    server.seeds.rename(moved)
    try:
        build, _ = rebuild_and_wait(http)
    finally:
        moved.rename(server.seeds)
    assert build["state"] == "failed" and "does not exist" in build["error"]
    assert str(server.seeds) not in build["error"] and "<seeds>" in build["error"]  # no server paths in public
    failed = builds(http)  # a monitor sees the failure and that the old version still serves
    assert failed["failed"] == counted["failed"] + 1 and failed["succeeded"] == counted["succeeded"]
    assert failed["newsrag_index_info"] == live and failed["newsrag_build_running"] == 0
    body = http.get("/v1/index").json()
    assert body["index_version"] == live and body["build"]["error"] == build["error"]
    assert search_docs(http, JA_QUESTION) == expected
    # a later good build clears `error` but keeps the last failure in view
    build, _ = rebuild_and_wait(http)
    assert build["state"] == "succeeded" and build["error"] is None
    assert "does not exist" in build["last_error"] and "failed at" in build["last_error"]
    done = builds(http)
    assert done["succeeded"] == counted["succeeded"] + 1 and done["failed"] == failed["failed"]
    assert done["newsrag_index_info"] == build["index_version"] and done["newsrag_build_last_duration_seconds"] > 0
    assert done["newsrag_build_last_success_timestamp_seconds"] > failed.get(
        "newsrag_build_last_success_timestamp_seconds", 0)


def _build_processes(index: Path) -> list[int]:
    """The pids of live-build processes whose parent is the server of `index` (Linux /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or b"child_main" not in (proc / "cmdline").read_bytes():
                continue
            ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            if str(index).encode() in Path(f"/proc/{ppid}/cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue  # gone meanwhile
    return found


def test_a_killed_build_process_is_a_failed_build_and_the_old_index_keeps_serving(server, http):
    # RAG_LIVE_BUILD=process (the default): a crash or a kill of the build is the build's, not the server's
    live = http.get("/v1/index").json()["index_version"]
    expected = search_docs(http, JA_QUESTION)
    new = server.seeds / f"{NEW_DOC}.txt"
    new.write_text(new_seed_text(server.seeds), encoding="utf-8")
    try:
        r = http.post("/v1/admin/rebuild", headers=AUTH)
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 60
        # killed mid-build: once it has loaded its models, taken the build lock and started embedding
        while not index_status(http)["build"]["stage"].startswith("embedding"):
            assert time.monotonic() < deadline and index_status(http)["build"]["state"] == "running"
            time.sleep(0.02)
        (pid,) = _build_processes(server.index)
        os.kill(pid, signal.SIGKILL)
        build, _ = wait_for_build(http, r.json()["build_id"])
    finally:
        new.unlink()
    assert build["state"] == "failed" and build["index_version"] is None, build
    assert build["error"] == "the build process was killed by SIGKILL before it finished"
    assert http.get("/v1/index").json()["index_version"] == live and search_docs(http, JA_QUESTION) == expected
    assert _build_processes(server.index) == []
    build, _ = rebuild_and_wait(http)  # the next one runs: no lock or half-written build is left in its way
    assert build["state"] == "succeeded" and NEW_DOC not in search_docs(http, NEW_QUESTION)


def test_a_bad_seed_file_is_skipped_and_reported_by_the_build(server, http):
    bad = server.seeds / "951_not_utf8.txt"
    bad.write_bytes("ロシア".encode("utf-8") + b"\xff\xfe broken" * 20)
    try:
        build, _ = rebuild_and_wait(http)
    finally:
        bad.unlink()
    assert build["state"] == "succeeded", build
    assert any("<seeds>/951_not_utf8.txt" in w and "UTF-8" in w for w in build["warnings"]), build["warnings"]
    assert not any(str(server.seeds) in w for w in build["warnings"])
    body = http.get("/v1/index").json()
    assert body["index_version"] == build["index_version"]
    assert body["counts"]["documents"] == len(doc_texts(server.seeds))


def test_serve_watch_rebuilds_when_seeds_change_and_settle(built_index, tmp_path):
    context, seeds, _ = _server(built_index, tmp_path, {"RAG_WATCH_SECONDS": "0.5"})
    with context as url, httpx.Client(base_url=url, timeout=120) as http:
        v0 = http.get("/v1/index").json()["index_version"]
        with SearchLoad(url, QUESTIONS) as load:
            (seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(seeds), encoding="utf-8")
            v1 = _wait_for_version(http, other_than=v0)
            assert NEW_DOC in search_docs(http, NEW_QUESTION)
            (seeds / f"{NEW_DOC}.txt").unlink()
            v2 = _wait_for_version(http, other_than=v1)
        assert NEW_DOC not in search_docs(http, NEW_QUESTION)
        build = http.get("/v1/index").json()["build"]
        assert build["trigger"] == "watch" and build["state"] == "succeeded" and build["index_version"] == v2
        assert build["changes"]["removed"] == 1
    assert load.failures == [] and load.bodies


def test_serve_watch_chunks_again_an_index_chunked_under_other_code_though_no_seed_changed(built_index, tmp_path):
    # an upgrade that changes cleaning or chunking (a new CHUNKING_ID) leaves the seeds as they were: the watcher
    # compares the index's recorded chunker with the running code's too, and rebuilds at its first settled poll.
    # Built on a thread of the server (RAG_LIVE_BUILD=thread): the other tests build in a process of its own.
    context, seeds, index = _server(built_index, tmp_path, {"RAG_WATCH_SECONDS": "0.5", "RAG_LIVE_BUILD": "thread"})
    manifest_path = index / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    current = dict(manifest["chunker"])
    manifest["chunker"]["chunking"] = "an older chunking id"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with context as url, httpx.Client(base_url=url, timeout=120) as http:
        v0 = http.get("/v1/index").json()["index_version"]
        v1 = _wait_for_version(http, other_than=v0)
        build = http.get("/v1/index").json()["build"]
        assert build["trigger"] == "watch" and build["index_version"] == v1
        assert build["changes"]["added"] == build["changes"]["removed"] == 0  # the same seeds, chunked again
        assert json.loads(manifest_path.read_text(encoding="utf-8"))["chunker"] == current
        time.sleep(1.5)  # three more polls: the rebuilt index matches, so nothing starts again
        assert http.get("/v1/index").json()["build"]["build_id"] == build["build_id"]
        assert search_docs(http, EN_QUESTION)
    assert "chunked under other settings or code" in (tmp_path / "server.log").read_text(encoding="utf-8")


def _wait_for_version(http: httpx.Client, other_than: str) -> str:
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while True:
        body = index_status(http)
        build = body["build"]
        if build is not None and build["state"] == "failed":
            pytest.fail(f"watch build failed: {build}")
        if body["index_version"] != other_than and build is not None and build["state"] == "succeeded":
            return body["index_version"]
        assert time.monotonic() < deadline, f"no new version: {body}"
        time.sleep(0.2)


def test_an_unknown_live_build_mode_is_refused_by_name() -> None:
    from rag.errors import ConfigError
    from rag.settings import Settings

    with pytest.raises(ConfigError, match=r"live_build='Process' \(RAG_LIVE_BUILD\): expected one of 'process'"):
        Settings.from_env({"RAG_LIVE_BUILD": "Process"})
    with pytest.raises(ConfigError, match="live_build='Process': allowed"):  # set in code, not read from the env
        Settings(live_build="Process").validate()


def test_a_build_process_refuses_to_build_with_other_code_than_the_servers(tmp_path: Path) -> None:
    # code upgraded in place under a running server: its build would write an index that server may not read
    from rag.errors import BuildProcessError
    from rag.indexing.live_child import build_in_child, source_id
    from rag.settings import Settings

    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    with pytest.raises(BuildProcessError, match="the code on disk has changed since the server started"):
        build_in_child(settings, lambda *_: None, source="0" * 16)
    assert not (tmp_path / "index").exists() and len(source_id()) == 16
