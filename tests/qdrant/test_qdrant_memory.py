"""Qdrant's local mode at :memory: lives in the serving process alone: a live rebuild there must run in that
process, or a build process publishes into its own memory, reports success, and the server serves the old version.
Its sparse queries are scored in numpy (rag/qdrant/sparse_local.py) over what the collection holds at each query."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.local import local_collection
from qdrant_client.local.sparse_distances import calculate_distance_sparse as clients_own

from rag.indexing import backend
from rag.indexing.live import LiveBuilder
from rag.qdrant import sparse_local

pytestmark = pytest.mark.slow


def test_a_live_rebuild_on_the_in_memory_store_serves_the_new_version(built_index, embedders, tmp_path: Path):
    local, _ = built_index
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(local.seeds_dir, seeds)
    shutil.copytree(local.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    collection = f"memory{tmp_path.name[-8:].replace('-', '_')}"
    settings = local.replace(store="qdrant", qdrant_path=":memory:", qdrant_collection=collection,
                             seeds_dir=seeds, index_dir=index, live_build="process")
    backend.push(settings)
    before = backend.open_index(settings).version
    installed = []
    builder = LiveBuilder(settings, embedders, lambda _: installed.append(backend.open_index(settings)) or installed[-1])
    smallest = min(seeds.glob("*.txt"), key=lambda p: p.stat().st_size)
    text = smallest.read_text(encoding="utf-8")
    (seeds / f"{smallest.stem}x.txt").write_text(text.replace("ロシア", "ルミナ"), encoding="utf-8")
    builder.start("test")
    status = builder.wait(600)
    assert status.state == "succeeded", status
    served = backend.open_index(settings)
    assert status.index_version == served.version == installed[-1].version != before
    assert f"{smallest.stem}x" in served.docs
    # nothing new since: the version stays in the store, which is asked whether it keeps it (its layout is the same)
    builder.start("test")
    again = builder.wait(600)
    assert again.state == "succeeded" and again.up_to_date, again
    assert again.index_version == status.index_version == backend.open_index(settings).version
    # what the publishing did, in the status as `rag index build --json` says it (it was only in the log)
    assert status.store["qdrant"]["upserted"] > 0 and not status.store["qdrant"]["already_live"]
    assert again.store["qdrant"]["already_live"] and again.as_json()["store"] == again.store


def _dot(a: dict[int, float], b: dict[int, float]) -> float:
    return sum(v * b[i] for i, v in sorted(a.items()) if i in b)


def test_a_stored_vector_replaced_or_deleted_is_scored_as_it_now_stands():
    """The flat form of the stored vectors is kept between queries; an upsert replaces a vector, a delete masks one,
    an insert adds one, and the next query scores what the collection holds then."""
    sparse_local.install()
    client = QdrantClient(location=":memory:")
    client.create_collection("c", sparse_vectors_config={"s": models.SparseVectorParams()})
    rng = np.random.default_rng(3)

    def vector() -> dict[int, float]:
        indices = rng.choice(400, int(rng.integers(5, 40)), replace=False)
        return {int(i): float(rng.uniform(0.1, 2.0)) for i in indices}

    held = {pid: vector() for pid in range(60)}

    def put(pid: int, v: dict[int, float]) -> None:
        client.upsert("c", [models.PointStruct(id=pid, vector={"s": models.SparseVector(indices=list(v),
                                                                                        values=list(v.values()))})])

    def check(query: dict[int, float]) -> None:
        got = client.query_points("c", models.SparseVector(indices=list(query), values=list(query.values())),
                                  using="s", limit=100).points
        want = {pid: np.float32(_dot(v, query)) for pid, v in held.items() if set(v) & set(query)}
        assert {p.id: np.float32(p.score) for p in got} == want

    for pid, v in held.items():
        put(pid, v)
    query = {i: 1.0 for i in range(0, 400, 3)}
    check(query)
    check(query)  # the kept flat form
    held[5] = {1: 9.0, 3: 2.0}
    put(5, held[5])
    check(query)
    client.delete("c", [7, 8])
    del held[7], held[8]
    check(query)
    held[60] = {0: 4.0}
    put(60, held[60])
    check(query)
    client.close()


def _vectors(rng: np.random.Generator, n: int, make=models.SparseVector) -> list:
    out = []
    for _ in range(n):
        indices = np.sort(rng.choice(300, int(rng.integers(1, 30)), replace=False))
        out.append(make(indices=[int(i) for i in indices], values=[float(v) for v in rng.uniform(-1, 2, len(indices))]))
    return out


def test_values_the_client_keeps_in_another_type_are_scored_as_its_own_loop_scores_them():
    """`SparseVector.model_construct` keeps numpy float32 values, which the client's loop adds in float32: those
    are scored by the client's function, as are Python ints (exact in its loop), and a float's overflow is silent."""
    rng = np.random.default_rng(5)
    plain = _vectors(rng, 60)
    as_f32 = [models.SparseVector.model_construct(indices=v.indices, values=[np.float32(x) for x in v.values])
              for v in plain]
    query = models.SparseVector(indices=list(range(0, 300, 2)), values=[0.5 + i / 7 for i in range(150)])
    query_f32 = models.SparseVector.model_construct(indices=query.indices, values=[np.float32(x) for x in query.values])
    query_int = models.SparseVector.model_construct(indices=query.indices, values=[3**40 + i for i in range(150)])
    for q, vectors in ((query, as_f32), (query_f32, plain), (query_int, plain), (query, plain)):
        assert sparse_local.calculate_distance_sparse(q, vectors).tobytes() == clients_own(q, vectors).tobytes()
    huge = models.SparseVector(indices=[1, 2], values=[1e300, float("inf")])
    stored = [models.SparseVector(indices=[1, 2], values=[1e300, 0.0])] * 40
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        ours = sparse_local.calculate_distance_sparse(huge, stored)
    assert ours.tobytes() == clients_own(huge, stored).tobytes()  # inf*0 is nan, 1e300*1e300 inf, neither raised


def test_flat_forms_of_vectors_no_longer_held_are_dropped_and_a_patch_of_anothers_is_left():
    rng = np.random.default_rng(6)
    query = models.SparseVector(indices=list(range(300)), values=[1.0] * 300)
    for _ in range(3):  # versions loaded and let go
        sparse_local.calculate_distance_sparse(query, _vectors(rng, 50))
    held = _vectors(rng, 50)
    sparse_local.calculate_distance_sparse(query, held)
    assert all(refs[0]() is not None and refs[-1]() is not None for refs, _ in sparse_local._kept.values())
    assert any(refs[0]() is held[0] for refs, _ in sparse_local._kept.values())

    def theirs(*args, **kwargs):
        return clients_own(*args, **kwargs)

    before = local_collection.calculate_distance_sparse
    try:
        local_collection.calculate_distance_sparse = theirs
        sparse_local.install()
        assert local_collection.calculate_distance_sparse is theirs
    finally:
        local_collection.calculate_distance_sparse = before
