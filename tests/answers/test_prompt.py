"""The chat prompt: numbered passages, the question's language, and the token budget."""

from __future__ import annotations

import pytest

from rag import tokens
from rag.answers.prompt import build_prompt, count_tokens, passage_block
from rag.errors import LLMError
from rag.types import Hit

from .support import EN_QUESTION, JA_QUESTION

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hits(searcher) -> tuple[Hit, ...]:
    return searcher.search(EN_QUESTION, 5).hits


def test_prompt_numbers_every_passage_with_its_title_and_text(hits) -> None:
    prompt = build_prompt(EN_QUESTION, hits, "en", 100_000)
    user = prompt.messages[-1][1]
    assert prompt.hits == hits
    for n, h in enumerate(hits, start=1):
        assert f"[{n}] {h.citation.title}\n{h.passage.text.strip()}" in user
    assert user.endswith(f"Question: {EN_QUESTION}")
    assert "English" in prompt.messages[0][1]


def test_prompt_asks_for_the_questions_language(hits) -> None:
    assert "Japanese" in build_prompt(JA_QUESTION, hits, "ja", 100_000).messages[0][1]


def test_over_budget_prompt_drops_the_lowest_ranked_passages(hits) -> None:
    full = build_prompt(EN_QUESTION, hits, "en", 100_000)
    two = build_prompt(EN_QUESTION, hits[:2], "en", 100_000)
    prompt = build_prompt(EN_QUESTION, hits, "en", two.tokens)
    assert prompt.hits == hits[:2] and prompt.tokens == two.tokens < full.tokens
    # The budget covers the message contents plus the chat framing (4 per message, 3 for the reply).
    assert sum(tokens.count(c) for _, c in prompt.messages) + 4 * 2 + 3 == prompt.tokens
    assert count_tokens(prompt.messages) <= two.tokens


def test_prompt_that_cannot_hold_one_passage_is_an_llm_error(hits) -> None:
    one = build_prompt(EN_QUESTION, hits[:1], "en", 100_000)
    with pytest.raises(LLMError, match="over budget"):
        build_prompt(EN_QUESTION, hits, "en", one.tokens - 1)


def test_passage_block_is_number_title_then_text(hits) -> None:
    assert passage_block(3, hits[0]) == f"[3] {hits[0].citation.title}\n{hits[0].passage.text.strip()}"
