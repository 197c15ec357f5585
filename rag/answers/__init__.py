"""Answer generation: extractive by default, an OpenAI-compatible LLM when configured, always with citations."""

from typing import TYPE_CHECKING, Any

from .model import SOURCES_HEADING, Answer, sources_footer

if TYPE_CHECKING:
    from .service import answer_question

__all__ = ["SOURCES_HEADING", "Answer", "answer_question", "sources_footer"]


def __getattr__(name: str) -> Any:
    # answer_question on first use: the answering code imports httpx (~90 ms with its command line, which httpx
    # imports whenever click is installed), which a process that only formats a search result never needs
    if name == "answer_question":
        from .service import answer_question

        return answer_question
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
