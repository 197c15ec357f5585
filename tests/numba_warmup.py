"""Compile ranx's numba functions into NUMBA_CACHE_DIR, in a process of its own (tests/conftest.py starts it on a run
with an empty cache, beside the session index build, which leaves a core idle in its single-threaded stages).

The calls are the ones eval/metrics.py and its tests make, so the compiled signatures are the ones they load. Run
alone, it only warms the cache: `NUMBA_CACHE_DIR=.cache/numba python tests/numba_warmup.py`.
"""

from __future__ import annotations

import warnings


def main() -> None:
    from ranx import Qrels, Run, evaluate

    from eval.metrics import Judged, by_group, metric_names, ranx_inputs, scores

    runs = (Judged("q1", "en", ("a", "b", "c"), (False, True, False)), Judged("q2", "ja", ("d",), (True,)),
            Judged("q3", "ja", (), ()))
    by_group(runs, metric_names((1, 5, 10)))
    scores(runs[:1], ["mrr@10"])
    qrels, run = ranx_inputs(runs[:1])
    qrels.to_dict(), run.to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(Qrels({"q": {"a": 1}}), Run({"q": {"a": 1.0, "b": 0.5}}), "ndcg@10")


if __name__ == "__main__":
    main()
