"""Judge rankings with the relevance rule and score them with ranx, per language and overall.

The README defines every metric from r, the rank of the *first* relevant passage: hit@1 = [r == 1],
recall@k (success@k) = [r <= k], mrr@10 = 1/r and ndcg@10 = 1/log2(1 + r) when r <= 10, else 0.
Several retrieved passages can be relevant to one question; ranx's nDCG would then reward the later ones too.
So ranx is given, per question, only the first relevant retrieved passage as relevant (the single relevant item
of the README), and a sentinel that no ranking contains when none is relevant: ranx's hit_rate@k, mrr@10 and
ndcg@10 then equal the README numbers exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ranx import Qrels, Run, evaluate

from .questions import LANGS, Question
from .relevance import Occurrence, is_relevant
from .runner import ModeRun

GROUPS: tuple[str, ...] = ("all", *LANGS)
DEPTH = 10
NOT_FOUND = "__no_relevant_passage__"
EMPTY = "__empty_ranking__"


@dataclass(frozen=True, slots=True)
class Judged:
    """One question's ranking with the rule's verdict for each rank."""

    question_id: str
    lang: str
    passage_ids: tuple[str, ...]
    relevant: tuple[bool, ...]

    @property
    def first_relevant_rank(self) -> int | None:
        """1-based rank of the first relevant passage, or None."""
        return next((i + 1 for i, rel in enumerate(self.relevant) if rel), None)


def judge(questions: Sequence[Question], mode_run: ModeRun, evidence: Mapping[str, tuple[Occurrence, ...]]) -> tuple[Judged, ...]:
    """Apply the relevance rule to every ranked passage of one mode."""
    by_id = {q.id: q for q in questions}
    out = []
    for run in mode_run.runs:
        q = by_id[run.question_id]
        hits = run.hits[:DEPTH]
        out.append(Judged(q.id, q.lang, tuple(h.passage_id for h in hits),
                          tuple(is_relevant(h.doc_id, h.start, h.end, evidence[q.id]) for h in hits)))
    return tuple(out)


def ranx_inputs(judged: Sequence[Judged], rank_ids: bool = False) -> tuple[Qrels, Run]:
    """Single-relevant-item qrels and a run whose scores reproduce the returned order exactly.

    With `rank_ids`, each passage is named by its rank ("001", "002", …; the sentinels "nfd" and "emp"), which gives
    the same metrics: ranx turns the ids into fixed-width numpy strings, and numba compiles its functions again for
    every new width (~30 s of CPU each time), so ids that always have one width are compiled once per machine."""
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    not_found, empty = ("nfd", "emp") if rank_ids else (NOT_FOUND, EMPTY)
    for j in judged:
        keys = [f"{i:03d}" for i in range(1, len(j.passage_ids) + 1)] if rank_ids else _unique_keys(j.passage_ids)
        # Rank-derived scores: ranx sorts by score, and tied service scores would otherwise be reordered.
        run[j.question_id] = {key: float(len(keys) - i) for i, key in enumerate(keys)}
        if not keys:  # ranx cannot hold an empty ranking; a non-relevant placeholder scores the same (zero)
            run[j.question_id] = {empty: 0.0}
        r = j.first_relevant_rank
        qrels[j.question_id] = {keys[r - 1] if r else not_found: 1}
    return Qrels(qrels), Run(run)


def _unique_keys(passage_ids: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    keys = []
    for rank, pid in enumerate(passage_ids, start=1):
        key = pid if pid not in seen else f"{pid}@{rank}"
        seen.add(key)
        keys.append(key)
    return keys


def metric_names(ks: Sequence[int]) -> tuple[str, ...]:
    """Output metric names in report order: hit@1, recall@k for each k, mrr@10, ndcg@10."""
    return ("hit@1", *(f"recall@{k}" for k in ks), "mrr@10", "ndcg@10")


def _ranx_name(name: str) -> str:
    if name.startswith(("hit@", "recall@")):
        return "hit_rate@" + name.split("@")[1]  # success@k: at least one relevant in the first k
    return name


def scores(judged: Sequence[Judged], names: Sequence[str]) -> dict[str, float]:
    """Mean of each metric over the questions, computed by ranx."""
    if not judged:
        return {}
    qrels, run = ranx_inputs(judged, rank_ids=True)
    wanted = list(dict.fromkeys(_ranx_name(n) for n in names))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*unsafe cast.*")  # a numba notice inside ranx, harmless here
        result = evaluate(qrels, run, wanted)
    if not isinstance(result, dict):  # ranx returns a bare number for a single metric
        result = {wanted[0]: result}
    return {n: float(result[_ranx_name(n)]) for n in names}


def by_group(judged: Sequence[Judged], names: Sequence[str]) -> dict[str, dict[str, float]]:
    """{"all": {...}, "en": {...}, "ja": {...}}; a language with no questions is left out."""
    out = {}
    for group in GROUPS:
        part = [j for j in judged if group == "all" or j.lang == group]
        if part:
            out[group] = scores(part, names)
    return out


def recall_curve(judged: Sequence[Judged], depth: int = DEPTH) -> tuple[float, ...]:
    """recall@k for k = 1..depth."""
    names = [f"recall@{k}" for k in range(1, depth + 1)]
    values = scores(judged, names)
    return tuple(values[n] for n in names) if values else ()


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of per-question wall-clock latency in milliseconds (linear interpolation)."""

    p50: float
    p95: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Latency:
        if not samples_ms:
            return cls(0.0, 0.0)
        p50, p95 = np.percentile(np.asarray(samples_ms, dtype=float), [50, 95])
        return cls(float(p50), float(p95))
