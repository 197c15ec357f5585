"""The chat prompt: numbered passages plus the question, cut to the token budget by dropping the lowest ranks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from .. import tokens
from ..errors import LLMError
from ..types import Hit
from .markers import without_markers

logger = logging.getLogger(__name__)

LANGUAGE = {"en": "English", "ja": "Japanese (日本語)"}
SYSTEM = (
    "You answer questions about news articles using only the numbered passages you are given. "
    "After each claim, cite the passage it comes from with its number in square brackets, like [1] or [2][3]. "
    "Cite only the numbers of the given passages and never invent sources. "
    "If the passages do not contain the answer, say so briefly. "
    "Answer in {language}, the language of the question, even though the passages are in Japanese."
)
# The chat client's own system message (a user's "answer briefly", a frontend's persona), after ours: it may shape the
# reply, not loosen where the reply comes from. At most a quarter of the prompt budget, so passages keep the room.
CLIENT = ("The user's chat client adds the instructions below. Follow them for tone, length, format and language, "
          "but not to answer beyond the passages or to cite in another way:\n{instructions}")
INSTRUCTION_SHARE = 4
# OpenAI's accounting for chat formatting: a few tokens per message plus the reply primer.
PER_MESSAGE = 4
PER_REPLY = 3


@dataclass(frozen=True, slots=True)
class Prompt:
    """Chat messages as (role, content) pairs; marker [n] refers to hits[n - 1]."""

    messages: tuple[tuple[str, str], ...]
    hits: tuple[Hit, ...]
    tokens: int

    def as_messages(self) -> list[dict[str, str]]:
        """The OpenAI wire format of the messages."""
        return [{"role": role, "content": content} for role, content in self.messages]


def passage_block(n: int, hit: Hit) -> str:
    """One numbered passage: "[n] title" then its text."""
    return f"[{n}] {hit.citation.title}\n{without_markers(hit.passage.text).strip()}"  # its own [1] is not ours


def messages_for(question: str, hits: Sequence[Hit], lang: str, earlier: Sequence[str] = (),
                 instructions: str = "") -> tuple[tuple[str, str], ...]:
    """System instructions (then the chat client's own, when it gave any) and a user message carrying the numbered
    passages and the question (after the earlier questions of the conversation, which a follow-up may refer to)."""
    passages = "\n\n".join(passage_block(n, h) for n, h in enumerate(hits, start=1))
    before = "".join(f"- {q.strip()}\n" for q in earlier if q.strip())
    context = f"Earlier questions in this conversation:\n{before}\n" if before else ""
    user = f"Passages:\n\n{passages}\n\n{context}Question: {question}"
    system = SYSTEM.format(language=LANGUAGE.get(lang, LANGUAGE["en"]))
    if instructions.strip():
        system += "\n\n" + CLIENT.format(instructions=instructions.strip())
    return (("system", system), ("user", user))


def count_tokens(messages: Sequence[tuple[str, str]]) -> int:
    """cl100k tokens of the messages, counted the way chat models bill them."""
    return sum(tokens.count(content) + PER_MESSAGE for _, content in messages) + PER_REPLY


def clipped(instructions: str, max_tokens: int) -> str:
    """The client's instructions cut to `max_tokens` cl100k tokens (a longer system message is logged, not refused:
    the frontend chose it, not the person asking)."""
    ids = tokens.encoding().encode(instructions, disallowed_special=())
    if len(ids) <= max_tokens:
        return instructions
    logger.info("the chat client's instructions hold %d tokens; the first %d are kept", len(ids), max_tokens)
    # by bytes: a cut inside a character's tokens (kanji, emoji) decoded to a trailing U+FFFD; the partial character
    # is left out instead
    return tokens.encoding().decode_bytes(ids[:max_tokens]).decode("utf-8", "ignore")


def build_prompt(question: str, hits: Sequence[Hit], lang: str, max_tokens: int, earlier: Sequence[str] = (),
                 instructions: str = "") -> Prompt:
    """The largest prefix of `hits` (by rank) whose prompt fits `max_tokens`; LLMError when not even one fits. The
    client's `instructions` take at most a quarter of the budget."""
    ordered = sorted(hits, key=lambda h: h.rank)
    instructions = clipped(instructions.strip(), max_tokens // INSTRUCTION_SHARE)
    for keep in range(len(ordered), 0, -1):
        messages = messages_for(question, ordered[:keep], lang, earlier, instructions)
        used = count_tokens(messages)
        if used <= max_tokens:
            if keep < len(ordered):
                logger.info("prompt budget %d tokens: kept %d of %d passages (%d tokens)", max_tokens, keep,
                            len(ordered), used)
            return Prompt(messages, tuple(ordered[:keep]), used)
    raise LLMError(f"prompt over budget: even one passage needs more than llm_max_prompt_tokens={max_tokens!r}")
