"""The evaluation's errors: one subclass of the core's root error, so the CLI maps it to exit code 1."""

from __future__ import annotations

from rag.errors import RagError


class EvalError(RagError):
    """A question set, seed file, backend or option makes the evaluation impossible."""
