"""The `rag` command on Qdrant: `rag index push` migrates a local index (embedding nothing), `rag index info` and
`rag search` read the live version, and a missing place is a clear usage error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.cli import main
from isolated import isolated_env

pytestmark = pytest.mark.slow
RAG = Path(sys.executable).parent / "rag"


@contextmanager
def other_http_service(status: int, content_type: str, body: bytes) -> Iterator[str]:
    """The URL of an HTTP server on 127.0.0.1 that is not Qdrant: every GET gets `status` with `body`."""
    import http.server
    import threading

    class NotQdrant(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotQdrant)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def rag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(RAG), *args], env=isolated_env(env), capture_output=True, text=True,
                          timeout=600)


def test_push_then_info_and_search_read_the_published_version(built_index, qdrant_dir):
    local, _ = built_index
    done = rag("index", "push", "--path", str(qdrant_dir), "--index", str(local.index_dir), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    pushed = json.loads(done.stdout)
    manifest = json.loads((local.index_dir / "manifest.json").read_text())
    assert pushed["index_version"] == manifest["build"] and pushed["points"] == manifest["counts"]["passages"]
    assert pushed["previous"] is None and not pushed["already_live"] and pushed["shards"] == pushed["replicas"] == 1
    # progress counts each stage's Qdrant points (documents and files, aligned terms), not "passages"
    stages = [line for line in done.stderr.splitlines() if line.startswith("[index push] qdrant: ")]
    assert {line.split(": ")[1] for line in stages} >= {"passages", "documents and files"}
    assert all(line.endswith((" points", " points, done")) or " points, done in " in line for line in stages), stages
    # pushed again with another layout: the version is whole there already and stays as it is; the operator is told
    again = rag("index", "push", "--path", str(qdrant_dir), "--index", str(local.index_dir), "--json",
                env={"RAG_QDRANT_SHARDS": "2"})
    assert again.returncode == 0 and json.loads(again.stdout)["already_live"] and json.loads(again.stdout)["shards"] == 1
    assert "note: index " in again.stderr and "on 1 shard(s) × 1 replica(s)" in again.stderr
    assert "the 2 shard(s) × 1 replica(s) asked for apply to the next version" in again.stderr
    # and read by a person: the same facts, from the report the store's publishing returns
    said = rag("index", "push", "--path", str(qdrant_dir), "--index", str(local.index_dir))
    assert said.returncode == 0
    live = f"index {pushed['index_version']} is already live in {pushed['collection']}; nothing written"
    assert said.stdout.strip() == live

    env = {"RAG_STORE": "qdrant", "RAG_QDRANT_PATH": str(qdrant_dir), "RAG_INDEX_DIR": str(qdrant_dir / "none")}
    info = rag("index", "info", env=env)
    assert info.returncode == 0, info.stderr[-2000:]
    summary = json.loads(info.stdout)
    assert summary["index_version"] == manifest["build"]
    # what serves it: Qdrant and how the version was published, not the local build's FAISS kind
    assert summary["faiss_kind"] == "qdrant" and summary["store"] == {"kind": "qdrant", "shards": 1, "replicas": 1,
                                                                      "bm25_idf": "qdrant"}
    found = rag("search", "What did Lavrov say about an alliance with China?", "--json", env=env)
    assert found.returncode == 0, found.stderr[-2000:]
    body = json.loads(found.stdout)
    assert body["index_version"] == manifest["build"] and body["results"][0]["citation"]["doc_id"].startswith("001_")

    again = rag("index", "push", "--path", str(qdrant_dir), "--index", str(local.index_dir))
    assert again.returncode == 0 and "already live" in again.stdout and "nothing written" in again.stdout


def test_push_without_a_qdrant_to_push_to_is_a_usage_error():
    done = rag("index", "push")
    assert done.returncode == 2 and "--url/RAG_QDRANT_URL or --path/RAG_QDRANT_PATH" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_qdrant_store_without_a_place_is_refused_before_anything_loads():
    done = rag("search", "anything", env={"RAG_STORE": "qdrant"})
    assert done.returncode == 2 and "needs exactly one of RAG_QDRANT_URL" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("key", ["ключ", "two words", "line\nbreak"])
def test_an_api_key_that_cannot_be_an_http_header_is_a_configuration_error_that_does_not_show_it(key):
    """An operator's probe: a key with a letter outside ASCII was a UnicodeEncodeError's traceback in every command,
    and `rag serve` died before it listened."""
    for argv in (("index", "info"), ("serve", "--port", "0")):
        done = rag(*argv, env={"RAG_STORE": "qdrant", "RAG_QDRANT_URL": "http://127.0.0.1:6399",
                               "RAG_QDRANT_API_KEY": key})
        assert done.returncode == 2 and "RAG_QDRANT_API_KEY): printable ASCII characters only" in done.stderr, argv
        assert "Traceback" not in done.stderr and key.split()[0] not in done.stderr


def test_a_read_of_a_folder_holding_no_store_makes_none_there(tmp_path, monkeypatch, capsys):
    """`rag index info` or `rag search` at a mistyped RAG_QDRANT_PATH made an empty store there (its .lock and
    meta.json, in whatever folder was named) and then said the alias was missing."""
    for path in (tmp_path / "typo", tmp_path):  # a folder that does not exist, and one that holds no store
        monkeypatch.setenv("RAG_STORE", "qdrant")
        monkeypatch.setenv("RAG_QDRANT_PATH", str(path))
        assert main(["index", "info"]) == 1
        err = capsys.readouterr().err
        assert "no Qdrant local-mode store at" in err and "rag index push" in err and "Traceback" not in err
        assert not (path / "meta.json").exists() and not (path / ".lock").exists()
    assert not (tmp_path / "typo").exists()


def test_a_missing_alias_says_how_to_build_it(published):
    _, settings = published  # a store, but not of this alias
    env = {"RAG_STORE": "qdrant", "RAG_QDRANT_PATH": str(settings.qdrant_path), "RAG_QDRANT_COLLECTION": "other"}
    done = rag("search", "anything", env=env)
    assert done.returncode == 1 and "no index under the alias 'other'" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_qdrant_server_is_a_clear_error_not_a_traceback():
    env = {"RAG_STORE": "qdrant", "RAG_QDRANT_URL": "http://127.0.0.1:9"}  # the discard port: nothing listens
    done = rag("search", "anything", env=env)
    assert done.returncode == 1 and "Qdrant at http://127.0.0.1:9 did not answer" in done.stderr
    assert "Traceback" not in done.stderr
    # a key over http:// is said once, in one line (the client's warning took two, with its source line)
    keyed = rag("search", "anything", env={**env, "RAG_QDRANT_API_KEY": "s3cret-key"})
    assert keyed.returncode == 1 and "Qdrant at http://127.0.0.1:9 did not answer" in keyed.stderr
    assert keyed.stderr.count("RAG_QDRANT_API_KEY is sent to http://127.0.0.1:9 over http://") == 1
    assert "UserWarning" not in keyed.stderr and "s3cret" not in keyed.stderr


NOT_FOUND = b'{"status": {"error": "Not found: Collection `newsrag-x` doesn\'t exist!"}}'


@pytest.mark.parametrize(("status", "body", "says"), [
    (404, NOT_FOUND, "a newer version has replaced this one, reload the index"),
    (503, NOT_FOUND, "answered 503"),
    # another HTTP service at the URL (or a proxy's page): it said "reload the index", over three lines
    (404, b'{"error":"not_found","detail":"no endpoint at /aliases"}', "answered 404 .*: is RAG_QDRANT_URL a Qdrant"),
    # a key the server refuses: it said only "Forbidden" (an operator's probe)
    (403, b'{"status":{"error":"Invalid api-key"}}', "answered 403 .*; check RAG_QDRANT_API_KEY"),
    (401, b'{"status":{"error":"Must provide an API key"}}', "answered 401 .*; check RAG_QDRANT_API_KEY"),
])
def test_a_server_error_becomes_an_unavailable_index_that_says_what_to_do(status, body, says):
    """What a Qdrant server answers when a version was collected (404) or it is overloaded (503), and what another
    server answers, through the client's own exception type; one line each."""
    import httpx
    from qdrant_client.http.exceptions import UnexpectedResponse

    from rag.errors import StoreUnavailableError
    from rag.qdrant import Connection

    def fail(*_args, **_kwargs):
        raise UnexpectedResponse(status, "x", body, httpx.Headers())

    with pytest.raises(StoreUnavailableError, match=says) as raised:
        Connection(client=None, where="http://qdrant:6333", local=False).call(fail)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("place", ["a file", "another program's meta.json", "under /proc"])
def test_a_path_that_is_no_local_mode_folder_is_one_clear_line(qdrant_dir, place, monkeypatch, capsys):
    path = {"a file": qdrant_dir / "a-file", "another program's meta.json": qdrant_dir / "other",
            "under /proc": Path("/proc/newsrag-test/q")}[place]
    if place == "a file":
        path.write_text("x")
    elif place == "another program's meta.json":
        path.mkdir()
        (path / "meta.json").write_text('{"version": 3}')
    monkeypatch.setenv("RAG_STORE", "qdrant")
    monkeypatch.setenv("RAG_QDRANT_PATH", str(path))
    assert main(["index", "info"]) == 1  # in process: the same entry point, without a process start per case
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"RAG_QDRANT_PATH {str(path)!r}" in err, err[-2000:]


def test_a_folder_in_use_is_waited_for_without_reading_it_again_and_again(qdrant_dir, monkeypatch):
    """The local-mode client reads every collection before it tries the folder's lock: opened in a loop while
    another process held the folder, it kept a core busy for the whole wait. The lock is looked at first."""
    import rag.qdrant as rq
    import rag.qdrant.folder as folder

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from qdrant_client import QdrantClient; "
                               f"c = QdrantClient(path={str(qdrant_dir)!r}); print('held', flush=True); "
                               "sys.stdin.readline(); c.close()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        opened = []
        real = folder.open_folder
        monkeypatch.setattr(folder, "open_folder", lambda path: opened.append(path) or real(path))
        monkeypatch.setattr(rq, "LOCK_WAIT_S", 0.6)
        with pytest.raises(rq.StoreUnavailableError, match="stayed in use by another process"):
            rq._open_folder(qdrant_dir)
        assert opened == []  # waited on the lock alone: the folder was never read while it was held
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(60)
        client = rq._open_folder(qdrant_dir)  # free now: opened once
        client.close()
        assert len(opened) == 1
    finally:
        holder.kill()


def test_a_version_built_for_other_embedders_says_how_to_rebuild_it_in_qdrant(published, monkeypatch, capsys):
    _, settings = published
    for name, value in {"RAG_STORE": "qdrant", "RAG_QDRANT_PATH": str(settings.qdrant_path),
                        "RAG_INDEX_DIR": "/srv/newsrag/index"}.items():
        monkeypatch.setenv(name, value)
    assert main(["index", "info", "--embedders", "e5"]) == 1
    err = capsys.readouterr().err
    # the working copy it is built from, with the store named: not --index qdrant:<path>, a stray local folder
    assert "rebuild with: RAG_STORE=qdrant rag index build --full --index /srv/newsrag/index" in err
    assert "--index qdrant:" not in err and "Traceback" not in err
    # configured otherwise (RAG_EMBEDDERS) and asked what the version holds: shown, with the mismatch as a warning
    monkeypatch.setenv("RAG_EMBEDDERS", "e5")
    assert main(["index", "info"]) == 0
    out, err = capsys.readouterr()
    assert [e["spec"] for e in json.loads(out)["embedders"]] == ["e5", "use"]
    assert err.startswith("warning: ") and "was built with embedders ['e5', 'use'] but ['e5'] are configured" in err


def test_a_build_checks_its_qdrant_destination_before_embedding_and_leaves_the_local_index(built_index, tmp_path):
    """A destination that cannot be used was found after the embedding, with the local index moved on to a build
    never published; a push into a folder of other files (the seeds) made a store among them."""
    local, _ = built_index
    index = tmp_path / "index"
    shutil.copytree(local.index_dir, index)
    before = (index / "manifest.json").read_text()
    not_a_store = tmp_path / "seeds-copy"
    shutil.copytree(local.seeds_dir, not_a_store)

    # another HTTP service on the URL: 404 to /collections
    with other_http_service(404, "application/json", b'{"detail": "Not Found"}') as url:
        cases = [({"RAG_QDRANT_URL": url}, f"{url} answered 404 to Qdrant's GET /collections: is RAG_QDRANT_URL a "
                                           "Qdrant server? Nothing was built"),
                 ({"RAG_QDRANT_PATH": str(not_a_store)}, "holds other files and no Qdrant store; name an empty folder"),
                 ({"RAG_QDRANT_PATH": str(next(not_a_store.iterdir()))}, "is a file; name the folder")]
        for where, says in cases:
            env = {"RAG_STORE": "qdrant", "RAG_INDEX_DIR": str(index), "RAG_SEEDS_DIR": str(local.seeds_dir), **where}
            done = rag("index", "build", "--full", env=env)  # --full: it would embed everything before publishing
            assert done.returncode == 1 and says in done.stderr and "Traceback" not in done.stderr, done.stderr
            assert (index / "manifest.json").read_text() == before
    pushed = rag("index", "push", "--path", str(not_a_store), "--index", str(index))
    assert pushed.returncode == 1 and "holds other files and no Qdrant store" in pushed.stderr
    assert not (not_a_store / "meta.json").exists() and not (not_a_store / "collection").exists()


def test_a_push_of_an_index_for_other_embedders_than_the_settings_is_refused_before_the_alias_moves(built_index,
                                                                                                   qdrant_dir):
    """It was published, and every replica configured like the pusher then refused it (and a restarted server served
    nothing)."""
    local, _ = built_index
    done = rag("index", "push", "--path", str(qdrant_dir), "--index", str(local.index_dir),
               env={"RAG_EMBEDDERS": "e5"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "was built with embedders ['e5', 'use'] but ['e5'] are configured; set RAG_EMBEDDERS=e5,use or push an " \
           "index built with them" in done.stderr
    assert not (qdrant_dir / "meta.json").exists()  # nothing was opened or written


def _store_copy(settings, tmp_path: Path) -> tuple[Path, str, dict]:
    """A copy of a published local-mode folder, its live collection and its meta.json."""
    folder = tmp_path / "store"
    shutil.copytree(settings.qdrant_path, folder, ignore=shutil.ignore_patterns(".lock"))
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return folder, meta["aliases"][settings.qdrant_collection], meta


def test_a_collection_cut_short_in_a_local_mode_folder_is_one_clear_line(published, tmp_path, monkeypatch, capsys):
    _, settings = published
    folder, live, _ = _store_copy(settings, tmp_path)
    storage = folder / "collection" / live / "storage.sqlite"
    storage.write_bytes(storage.read_bytes()[:20_000])  # "database disk image is malformed": was a traceback
    monkeypatch.setenv("RAG_STORE", "qdrant")
    monkeypatch.setenv("RAG_QDRANT_PATH", str(folder))
    assert main(["index", "info"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"RAG_QDRANT_PATH {str(folder)!r} cannot be used" in err, err[-2000:]
    assert "DatabaseError" in err and len(err.strip().splitlines()) == 1


def test_an_alias_that_names_a_collection_is_refused_before_anything_is_written(published, tmp_path, monkeypatch,
                                                                                capsys):
    local, settings = published
    folder, live, meta = _store_copy(settings, tmp_path)
    monkeypatch.setenv("RAG_STORE", "qdrant")
    monkeypatch.setenv("RAG_QDRANT_PATH", str(folder))
    monkeypatch.setenv("RAG_QDRANT_COLLECTION", live)  # a version's name, copied from a push's JSON
    assert main(["index", "push", "--index", str(local.index_dir)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"RAG_QDRANT_COLLECTION {live!r} names a collection in Qdrant" in err, err
    after = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert after["collections"].keys() == meta["collections"].keys()  # it wrote every point, then failed


@pytest.mark.parametrize("argv", [["index", "push"], ["index", "build"]])
def test_publishing_into_a_store_that_dies_with_the_command_is_refused(built_index, argv, monkeypatch, capsys):
    """`:memory:` is Qdrant in the command's own memory: push and build reported a version published, and the next
    command found no alias."""
    local, _ = built_index
    monkeypatch.setenv("RAG_STORE", "qdrant")
    monkeypatch.setenv("RAG_QDRANT_PATH", ":memory:")
    assert main([*argv, "--index", str(local.index_dir)]) == 2
    err = capsys.readouterr().err
    assert "RAG_QDRANT_PATH=:memory: keeps Qdrant in this command's own memory" in err and "Traceback" not in err


@pytest.mark.parametrize("content_type, body", [("text/html", b"<html><body>Sign in</body></html>"),
                                                ("application/json", b'{"result": {}}')])
def test_a_url_that_answers_a_page_is_one_line_and_the_urls_password_is_never_shown(built_index, monkeypatch,
                                                                                    capsys, content_type, body):
    """A proxy's login page (200, HTML) at RAG_QDRANT_URL was a JSONDecodeError traceback in every command, and a
    password in the URL reached the public /readyz detail and the log. JSON in another shape than Qdrant's was
    "did not answer (1 validation error for ParsingModel[…] …); check that it is running"."""
    local, _ = built_index
    with other_http_service(200, content_type, body) as url:
        monkeypatch.setenv("RAG_STORE", "qdrant")
        monkeypatch.setenv("RAG_QDRANT_URL", url.replace("http://", "http://reader:secretpw@"))
        for argv in (["index", "info"], ["index", "push", "--index", str(local.index_dir)]):
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err[-2000:]
            assert "in a form that is not Qdrant's" in err and "is RAG_QDRANT_URL a Qdrant server?" in err
            assert "secretpw" not in err and url in err


def test_a_key_the_server_refuses_says_to_check_the_key_before_a_build_embeds_anything(built_index, tmp_path,
                                                                                      monkeypatch, capsys):
    """A 403 from the server said "Unexpected Response: 403 (Forbidden) … Invalid api-key" and nothing of the setting
    to check (an operator's probe); a build found it before embedding, and said "is RAG_QDRANT_URL a Qdrant server?"."""
    local, _ = built_index
    with other_http_service(403, "application/json", b'{"status":{"error":"Invalid api-key"}}') as url:
        monkeypatch.setenv("RAG_STORE", "qdrant")
        monkeypatch.setenv("RAG_QDRANT_URL", url)
        monkeypatch.setenv("RAG_QDRANT_API_KEY", "wrong-key")
        for argv in (["index", "info"], ["index", "build", "--seeds", str(local.seeds_dir), "--index",
                                         str(tmp_path / "index")]):
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert "Traceback" not in err and "answered 403" in err and "check RAG_QDRANT_API_KEY" in err, err[-2000:]
            assert "wrong-key" not in err
        assert not (tmp_path / "index").exists()  # nothing embedded
