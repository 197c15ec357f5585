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


def test_the_chat_clients_instructions_follow_ours_in_the_one_system_message(hits) -> None:
    plain = build_prompt(EN_QUESTION, hits, "en", 100_000)
    told = build_prompt(EN_QUESTION, hits, "en", 100_000, instructions="  Answer in one sentence.\n")
    system = told.messages[0][1]
    # ours first and whole, then the client's, stripped; one system message (some chat templates allow no second)
    assert [r for r, _ in told.messages] == ["system", "user"] and told.messages[1] == plain.messages[1]
    assert system.startswith(plain.messages[0][1]) and system.endswith("\nAnswer in one sentence.")
    assert "not to answer beyond the passages" in system
    assert told.tokens == count_tokens(told.messages) > plain.tokens
    assert build_prompt(EN_QUESTION, hits, "en", 100_000, instructions=" \n ").messages == plain.messages


def test_the_clients_instructions_take_at_most_a_quarter_of_the_budget_and_passages_keep_the_rest(hits) -> None:
    budget = build_prompt(EN_QUESTION, hits, "en", 100_000).tokens + 50
    long = "Always be polite and answer in plain words. " * 400  # ~4,000 tokens: more than the whole budget
    prompt = build_prompt(EN_QUESTION, hits, "en", budget, instructions=long)
    system = prompt.messages[0][1]
    kept = system[system.index("Always be polite"):]
    assert long.startswith(kept) and tokens.count(kept) <= budget // 4
    assert prompt.tokens <= budget and 1 <= len(prompt.hits) < len(hits)  # passages dropped for it, not the question
    assert prompt.messages[-1][1].endswith(f"Question: {EN_QUESTION}")


@pytest.mark.parametrize("unit", ["露", "🇯🇵", "é"])
def test_instructions_cut_inside_a_characters_tokens_end_on_a_whole_character(unit) -> None:
    from rag.answers.prompt import clipped

    text = unit * 500
    cut = [clipped(text, n) for n in range(1, 40)]
    assert all("\ufffd" not in c and text.startswith(c) for c in cut)
    assert any(len(c) < len(d) for c, d in zip(cut, cut[1:]))  # it was cut, and grows with the budget
