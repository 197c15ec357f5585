"""A quality floor: the team set's hybrid metrics stay within 0.02 of the published numbers (docs/results.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.pipeline import evaluate
from eval.questions import load_questions
from eval.runner import InProcessBackend

REPO = Path(__file__).resolve().parents[2]
TEAM = REPO / "eval" / "questions" / "team.jsonl"
# The shipped defaults' numbers on the team set, as published in the README's results table.
PUBLISHED = {"recall@5": 0.986, "mrr@10": 0.923}
TOLERANCE = 0.02

pytestmark = pytest.mark.slow


def test_team_set_hybrid_quality_stays_at_the_published_numbers(searcher, built_index) -> None:
    settings, _ = built_index
    result = evaluate(InProcessBackend(searcher), load_questions(TEAM), ("hybrid",), settings.seeds_dir, (1, 5, 10),
                      [str(TEAM)]).as_json()["hybrid"]["all"]
    for metric, published in PUBLISHED.items():
        assert result[metric] >= published - TOLERANCE, (metric, result[metric], published)


def test_the_readme_publishes_the_numbers_this_floor_checks() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(f"{v:.3f}" in readme for v in PUBLISHED.values())
