"""run_eval: score retrieval (and optionally answers) on question sets, in process or against a running service."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rag.errors import ConfigError
from rag.settings import Settings

from .metrics import DEPTH
from .pipeline import Evaluation, evaluate
from .questions import combine, require_quotes
from .runner import Backend, HttpBackend, InProcessBackend

logger = logging.getLogger(__name__)

DEFAULT_KS = (1, 5, 10)
MAX_TIMEOUT_S = 3600.0  # --timeout: an hour for one request is already a service that does not answer


@dataclass(frozen=True, slots=True)
class EvalOptions:
    """What to evaluate: question files, modes (None: hybrid, each embedder, bm25), recall cut-offs, and where."""

    questions: tuple[Path, ...]
    modes: tuple[str, ...] | None = None
    ks: tuple[int, ...] = DEFAULT_KS
    url: str | None = None  # a running service's base URL; None: the in-process pipeline over settings.index_dir
    answers: bool = False  # also ask each question and score answer_evidence and answer_cited
    timeout_s: float | None = None  # with url: how long one request may take (None: HttpBackend's default, 60 s)


def run_eval(settings: Settings, options: EvalOptions) -> Evaluation:
    """Run the evaluation; raises ConfigError for impossible options and RagError (e.g. EvalError) for the rest."""
    ks = check_ks(options.ks)
    modes = options.modes if options.modes is not None else default_modes(settings)
    url = options.url
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"--url {url!r}: give the service's base URL, e.g. http://127.0.0.1:8000")
    if options.timeout_s is not None and not url:
        raise ConfigError("--timeout applies to --url only (how long one request to the service may take)")
    if options.timeout_s is not None and not 0 < options.timeout_s <= MAX_TIMEOUT_S:
        raise ConfigError(f"--timeout {options.timeout_s:g}: give seconds above 0 and at most {MAX_TIMEOUT_S:g}")
    if url:
        import httpx

        # the base URL an OpenAI client is given (http://host:8000/v1) names the same service
        url = re.sub(r"/v1/?$", "", url.rstrip("/")) or url
        try:
            httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ConfigError(f"--url {url!r} is not a URL ({exc}); e.g. http://127.0.0.1:8000") from None
    backend: Backend | None = None
    try:
        questions = combine(options.questions)
        require_quotes(questions, settings.seeds_dir)  # before loading models or calling the service
        timeout = {} if options.timeout_s is None else {"timeout_s": options.timeout_s}
        backend = HttpBackend(url, **timeout) if url else InProcessBackend(_open_searcher(settings))
        ask = _asker(backend, settings) if options.answers else None
        return evaluate(backend, questions, modes, settings.seeds_dir, ks, [str(p) for p in options.questions],
                        ask=ask)
    finally:
        if isinstance(backend, HttpBackend):
            backend.close()


def _asker(backend: Backend, settings: Settings):
    """ask(question) -> AnswerRun through the same backend: /v1/ask of the service, or answer_question in process."""
    from .answers import ask_http, ask_in_process

    if isinstance(backend, HttpBackend):
        return partial(ask_http, backend)
    return partial(ask_in_process, backend.searcher, settings)


def _open_searcher(settings: Settings):
    from rag.runtime import open_searcher

    return open_searcher(settings)


def default_modes(settings: Settings) -> tuple[str, ...]:
    """hybrid, each configured embedder, and bm25."""
    return ("hybrid", *settings.embedders, "bm25")


def check_ks(ks: Sequence[int]) -> tuple[int, ...]:
    """The cut-offs sorted and unique; each must be from 1 to DEPTH (the evaluation retrieves DEPTH passages)."""
    bad = [k for k in ks if not 1 <= k <= DEPTH]
    if bad or not ks:
        raise ConfigError(f"--k {','.join(map(str, ks))!r}: use integers from 1 to {DEPTH}, e.g. '1,5,10'")
    return tuple(sorted(set(ks)))


def parse_ks(text: str) -> tuple[int, ...]:
    """'1,5,10' → (1, 5, 10); each cut-off must be an integer from 1 to 10 (the evaluation retrieves 10)."""
    ks = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= DEPTH:  # not ², ٣ or １
            raise ConfigError(f"--k {text!r}: {part!r} is not a cut-off; use integers from 1 to {DEPTH}, e.g. '1,5,10'")
        ks.append(int(part))
    if not ks:
        raise ConfigError(f"--k {text!r}: name at least one cut-off, e.g. '1,5,10'")
    return tuple(sorted(set(ks)))


def parse_modes(text: str | None, settings: Settings) -> tuple[str, ...] | None:
    """Comma-separated modes; None (the default modes) when not given."""
    if text is None:
        return None
    modes = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    if not modes:
        raise ConfigError(f"--modes {text!r}: name at least one of hybrid, bm25, {', '.join(settings.embedders)}")
    return modes
