"""Answer generation: extractive by default, an OpenAI-compatible LLM when configured, always with citations."""

from .model import SOURCES_HEADING, Answer, sources_footer
from .service import answer_question

__all__ = ["SOURCES_HEADING", "Answer", "answer_question", "sources_footer"]
