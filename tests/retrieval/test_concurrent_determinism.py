"""A question ranks the same, score for score, whether it is asked alone or beside other questions in flight: the
query batcher only groups encoders whose rows do not depend on the rest of the batch (rag/runtime.py)."""

from __future__ import annotations

import threading

import numpy as np

from rag.retrieval import Searcher

QUESTIONS = [
    "What did Lavrov say about an alliance with China?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "When did the Russian offensive near Kharkiv begin?",
    "How many agreements did Russia and China sign?",
    "北京はハリコフの攻勢をどう見ている？",
    "Who did Lavrov meet in Astana the next morning?",
    "What did the ISW report say about Russian losses?",
    "中国とロシアの貿易額はどれくらいか",
]


def _fresh(searcher: Searcher) -> Searcher:
    """A Searcher over the session index with a query-vector cache of its own (nothing encoded yet)."""
    return Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings)


def _ranked(result) -> list[tuple[str, float]]:
    return [(h.passage.passage_id, h.score) for h in result.hits]


def test_questions_asked_together_rank_exactly_as_each_asked_alone(searcher: Searcher) -> None:
    alone = _fresh(searcher)
    expected = {q: _ranked(alone.search(q, top_k=10)) for q in QUESTIONS}
    before = searcher.embedders["e5"].stats()
    for _ in range(3):
        together = _fresh(searcher)
        got: dict[str, list[tuple[str, float]]] = {}
        barrier = threading.Barrier(len(QUESTIONS))

        def ask(q: str) -> None:
            barrier.wait()  # released at once, so that their encodings meet in the batcher
            got[q] = _ranked(together.search(q, top_k=10))

        threads = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert got == expected
    after = searcher.embedders["e5"].stats()
    assert after.calls - before.calls < after.requests - before.requests  # e5's encodings did share calls


def test_a_question_ranks_the_same_whatever_was_asked_before_it(searcher: Searcher) -> None:
    # the two English questions share words ("Lavrov", "did"), whose USE vectors the term alignment reads
    first, then = QUESTIONS[5], QUESTIONS[0]
    alone = _fresh(searcher)
    expected = _ranked(alone.search(then, top_k=10))
    after = _fresh(searcher)
    after.search(first, top_k=10)
    assert _ranked(after.search(then, top_k=10)) == expected
    # and below the ranking: every vector the search read (served from each Searcher's cache) is the same
    lang = "en"
    a, b = (s._encode(then, lang, s.components, {}).encoded for s in (alone, after))
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_search_never_switches_blass_thread_count(searcher: Searcher, monkeypatch) -> None:
    # threadpoolctl sets a thread count for the whole process, so two requests in flight that each switched it and
    # restored it could leave USE running on two threads, whose vectors differ in the last bits (rag/openmp.py)
    import threadpoolctl

    switched: list[object] = []
    real = threadpoolctl._ThreadpoolLimiter.__init__

    def spy(self, *args, **kwargs):
        switched.append(kwargs.get("limits"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(threadpoolctl._ThreadpoolLimiter, "__init__", spy)
    fresh = _fresh(searcher)  # nothing cached: every encoder and the term alignment run
    for q in QUESTIONS:
        assert fresh.search(q, top_k=10).hits
    assert switched == []
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]
    assert blas and {i["num_threads"] for i in blas} == {1}
