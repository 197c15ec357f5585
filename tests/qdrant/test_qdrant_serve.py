"""`rag serve` on the Qdrant backend: it publishes a missing index at start, and a live rebuild moves the alias while
eight threads search over HTTP, with no failed request and every response wholly from the version it names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.process import SearchLoad, fresh_connections, running_server

from .seeds_support import NEW_DOC, NEW_QUESTION, copy_index, new_seed_text

pytestmark = pytest.mark.slow
TOKEN = "qdrant-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
QUESTIONS = ("What did Lavrov say about an alliance with China?", "ラヴロフ外相は中国との同盟について何と言ったか",
             NEW_QUESTION, "プーチンと習近平の関係")


def wait_for_build(url: str, build_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 600
    with fresh_connections(120) as http:
        while True:
            build = http.get(f"{url}/v1/index").json()["build"]
            assert build["build_id"] == build_id
            if build["state"] != "running":
                return build
            assert time.monotonic() < deadline, build
            time.sleep(0.2)


def test_a_live_rebuild_moves_the_alias_under_eight_searching_threads(built_index, tmp_path, qdrant_dir):
    local, _ = built_index
    seeds, index = copy_index(local.seeds_dir, local.index_dir, tmp_path)
    env = {"RAG_STORE": "qdrant", "RAG_QDRANT_PATH": str(qdrant_dir), "RAG_ADMIN_TOKEN": TOKEN}
    with running_server(seeds, index, tmp_path / "server.log", env=env) as url:
        http = httpx.Client(base_url=url, timeout=120)
        v0 = http.get("/v1/index").json()["index_version"]
        texts = {v0: {p.stem: p.read_text(encoding="utf-8") for p in seeds.glob("*.txt")}}
        with SearchLoad(url, QUESTIONS) as load:
            deadline = time.monotonic() + 120  # the load is under way: every question answered from v0
            while {b["query"] for b in load.bodies if b["index_version"] == v0} != set(QUESTIONS):
                assert time.monotonic() < deadline and not load.failures, load.failures
                time.sleep(0.05)
            (seeds / f"{NEW_DOC}.txt").write_text(new_seed_text(seeds), encoding="utf-8")
            r = http.post("/v1/admin/rebuild", headers=AUTH)
            assert r.status_code == 202, r.text
            build = wait_for_build(url, r.json()["build_id"])
            v1 = build["index_version"]
            texts[v1] = {p.stem: p.read_text(encoding="utf-8") for p in seeds.glob("*.txt")}
            # searched on the new version until every question has been (a loaded machine answers slowly)
            deadline = time.monotonic() + 120
            while {b["query"] for b in load.bodies if b["index_version"] == v1} != set(QUESTIONS):
                assert time.monotonic() < deadline and not load.failures, load.failures
                time.sleep(0.2)
        assert build["state"] == "succeeded" and build["changes"]["added"] == 1 and v1 != v0, build
        published = build["store"]["qdrant"]  # what the push did, in the status (it was only in the server's log)
        assert published["index_version"] == v1 and published["upserted"] > 0 and not published["already_live"]
        assert load.failures == []
        assert {b["index_version"] for b in load.bodies} == {v0, v1}
        for body in load.bodies:  # each response comes wholly from the version it names
            docs = texts[body["index_version"]]
            assert len(body["results"]) == 5
            for hit in body["results"]:
                c = hit["citation"]
                assert c["doc_id"] in docs and docs[c["doc_id"]][c["start"]:c["end"]] == hit["text"]
        assert any(h["citation"]["doc_id"] == NEW_DOC for b in load.bodies if b["index_version"] == v1
                   for h in b["results"])

        hits = http.post("/v1/search", json={"query": NEW_QUESTION, "top_k": 3}).json()["results"]
        assert hits[0]["citation"]["doc_id"] == NEW_DOC
        answer = http.post("/v1/ask", json={"question": NEW_QUESTION}).json()
        assert "[1]" in answer["answer"] and answer["index_version"] == v1

        # an operator's build in another process publishes into the same local-mode folder; reload serves it
        (seeds / f"{NEW_DOC}.txt").unlink()
        rag = Path(sys.executable).parent / "rag"
        done = subprocess.run([str(rag), "index", "build", "--seeds", str(seeds), "--index", str(index), "--json"],
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        pushed = json.loads(done.stdout)["store"]["qdrant"]
        assert pushed["deleted"] > 0 and pushed["upserted"] == 0 and pushed["previous"].endswith(v1.lower())
        assert http.get("/v1/index").json()["index_version"] == v1  # served until reloaded
        reloaded = http.post("/v1/admin/reload", headers=AUTH)
        assert reloaded.status_code == 200, reloaded.text
        assert reloaded.json()["index_version"] == pushed["index_version"] != v1
        hits = http.post("/v1/search", json={"query": NEW_QUESTION, "top_k": 5}).json()["results"]
        assert NEW_DOC not in {h["citation"]["doc_id"] for h in hits}
        # a monitor sees the version and the store's kind, never the folder (or a server's URL) the manifest names
        metrics = http.get("/metrics").text
        assert f'newsrag_index_info{{index_version="{pushed["index_version"]}",store="qdrant"}} 1.0' in metrics
        assert str(qdrant_dir) not in metrics and 'newsrag_builds_total{outcome="succeeded"} 1.0' in metrics
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "published index" in log and "Traceback" not in log
    # the alias was missing, not the working copy: the start says where it looked (it named the index folder)
    assert f"no index under the alias 'newsrag' in Qdrant at RAG_QDRANT_PATH {qdrant_dir}" in log


def test_a_start_that_finds_the_folder_in_use_answers_at_once_and_loads_when_it_is_free(published, embedders,
                                                                                       tmp_path):
    """A build in another process was publishing into the local-mode folder: the start waited for it, up to two
    minutes, before the port opened, so a liveness probe saw no server. It now serves its 503 at once, says why,
    and loads the version as soon as the folder is free."""
    import fcntl
    import shutil

    from litestar.testing import TestClient

    from api.app import create_app
    from rag.indexing.backend import open_index

    local, settings = published
    folder = tmp_path / "store"
    shutil.copytree(settings.qdrant_path, folder, ignore=shutil.ignore_patterns(".lock"))
    (folder / ".lock").write_text("tmp lock file")
    fd = os.open(folder / ".lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the other process, publishing
    try:
        app = create_app(settings.replace(qdrant_path=folder, admin_token=None, live_build="thread"),
                         embedders=embedders)
        with TestClient(app) as c:
            assert c.get("/healthz").status_code == 200
            ready = c.get("/readyz")
            assert ready.status_code == 503 and "is in use by another process" in ready.json()["detail"], ready.text
            os.close(fd)  # that build is done
            fd = None
            deadline = time.monotonic() + 120
            while c.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, c.get("/readyz").text
                time.sleep(0.2)
            assert c.get("/v1/index").json()["index_version"] == open_index(local).version  # the version pushed
            hits = c.post("/v1/search", json={"query": QUESTIONS[0], "top_k": 3}).json()["results"]
            assert hits and hits[0]["citation"]["doc_id"]
    finally:
        if fd is not None:
            os.close(fd)


def test_a_start_whose_qdrant_server_has_hung_answers_at_once(published, embedders):
    """A server that accepts connections and never answers kept `rag serve`'s port closed for 32 s (the client's
    version check, then its 30 s timeout): no /healthz. The start now gives it two seconds, then serves its 503 and
    loads again in the background."""
    import socket
    import threading

    from litestar.testing import TestClient

    from api.app import create_app

    _, settings = published
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept_and_say_nothing() -> None:
        try:
            while True:
                accepted.append(listener.accept()[0])
        except OSError:  # closed
            pass

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        app = create_app(settings.replace(qdrant_url=url, qdrant_path=None, admin_token=None), embedders=embedders)
        with TestClient(app) as c:
            assert c.get("/healthz").status_code == 200
            ready = c.get("/readyz")
            assert ready.status_code == 503 and f"Qdrant at {url} did not answer within 2s" in ready.json()["detail"]
            listener.close()  # the background load's connection ends now, not after its 30 s timeout
            for conn in list(accepted):
                conn.close()
    finally:
        listener.close()


def test_a_replica_that_does_not_build_waits_for_the_builders_version_and_refuses_a_rebuild(built_index, embedders,
                                                                                           tmp_path, qdrant_dir):
    """An operator's probe: a replica as docs/qdrant.md's compose file starts it (the admin token, the seeds, no index
    folder) took `POST /v1/admin/rebuild`, embedded the whole corpus on CPUs meant for serving and moved the alias
    off the builder's working copy. With RAG_LIVE_BUILD=off it builds nothing, at its start or when asked: it serves
    the version the builder publishes, once there is one, and says where rebuilds happen."""
    from litestar.testing import TestClient

    from api.app import create_app
    from rag.errors import ConfigError
    from rag.indexing import backend
    from rag.qdrant import session

    from .conftest import qdrant_settings

    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir, index_dir=tmp_path / "no-working-copy", admin_token=TOKEN,
                               live_build="off")
    with TestClient(create_app(settings, embedders=embedders)) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "no Qdrant local-mode store at" in ready.json()["detail"], ready.text
        refused = c.post("/v1/admin/rebuild", headers=AUTH)
        assert refused.status_code == 409 and refused.json()["error"] == "builds_off", refused.text
        assert "does not build (RAG_LIVE_BUILD=off)" in refused.json()["detail"]
        pushed = backend.push(settings.replace(index_dir=local.index_dir))  # the builder publishes
        deadline = time.monotonic() + 120
        while c.get("/readyz").status_code != 200:  # loaded again by itself (api/live.py LoadRetry)
            assert time.monotonic() < deadline, c.get("/readyz").text
            time.sleep(0.2)
        assert c.get("/v1/index").json()["index_version"] == pushed.index_version
        assert c.post("/v1/admin/rebuild", headers=AUTH).status_code == 409
        assert c.post("/v1/search", json={"query": QUESTIONS[0], "top_k": 3}).json()["results"]
    assert not settings.index_dir.exists()  # no working copy made, nothing embedded
    with session(settings) as conn:
        assert conn.live_collection(settings.qdrant_collection) == pushed.collection
    with pytest.raises(ConfigError, match="with live_build='off'"):
        settings.replace(watch_seconds=2)
