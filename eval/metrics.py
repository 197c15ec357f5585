"""Judge rankings with the relevance rule and score them with trec_eval (through ir-measures), per language and overall.

The README defines every metric from r, the rank of the *first* relevant passage: hit@1 = [r == 1],
recall@k (success@k) = [r <= k], mrr@10 = 1/r and ndcg@10 = 1/log2(1 + r) when r <= 10, else 0.
Several retrieved passages can be relevant to one question; trec_eval's nDCG would then reward the later ones too.
So it is given, per question, only the first relevant retrieved passage as relevant (the single relevant item
of the README), and a sentinel that no ranking contains when none is relevant: its Success@k, RR@10 and nDCG@10
then equal the README numbers exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ir_measures
import numpy as np

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


Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


def measure_inputs(judged: Sequence[Judged]) -> tuple[Qrels, Run]:
    """Single-relevant-item qrels and a run whose scores reproduce the returned order exactly."""
    qrels: Qrels = {}
    run: Run = {}
    for j in judged:
        keys = _unique_keys(j.passage_ids)
        # Rank-derived scores: trec_eval sorts by score, and tied service scores would otherwise be reordered.
        run[j.question_id] = {key: float(len(keys) - i) for i, key in enumerate(keys)}
        if not keys:  # an empty ranking is left out of trec_eval's mean; a non-relevant placeholder scores the same (0)
            run[j.question_id] = {EMPTY: 0.0}
        r = j.first_relevant_rank
        qrels[j.question_id] = {keys[r - 1] if r else NOT_FOUND: 1}
    return qrels, run


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


def _measure(name: str) -> ir_measures.Measure:
    kind, cutoff = name.split("@")
    measure = {"hit": ir_measures.Success, "recall": ir_measures.Success,  # success@k: a relevant one in the first k
               "mrr": ir_measures.RR, "ndcg": ir_measures.nDCG}[kind]
    return measure @ int(cutoff)


def scores(judged: Sequence[Judged], names: Sequence[str]) -> dict[str, float]:
    """Mean of each metric over the questions, computed by trec_eval (ir-measures' pytrec_eval provider)."""
    if not judged:
        return {}
    qrels, run = measure_inputs(judged)
    wanted = {n: _measure(n) for n in names}
    result = ir_measures.pytrec_eval.calc_aggregate(set(wanted.values()), qrels, run)
    return {n: float(result[m]) for n, m in wanted.items()}


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
