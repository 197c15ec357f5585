"""Citation markers in generated text: drop the ones that point nowhere, renumber the rest by first use."""

from __future__ import annotations

import re

# Models also write [1, 2], ［１］ or 【1】, especially when answering in Japanese.
_MARKER = r"[\[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】]"
# Adjacent markers form one run, so dropping [0] from "[0][2]" keeps the space before [2].
_RUN = re.compile(rf"(?P<ws>[ \t\u3000]*)(?P<markers>(?:{_MARKER})+)")
_NUMBER = re.compile(r"\d+")


def renumber(text: str, available: int) -> tuple[str, tuple[int, ...]]:
    """Rewrite markers to [1]..[m] in order of first appearance; returns the text and the cited 1-based originals."""
    order: list[int] = []

    def replace(m: re.Match[str]) -> str:
        cited = [n for n in dict.fromkeys(int(x) for x in _NUMBER.findall(m.group("markers"))) if 1 <= n <= available]
        if not cited:
            return ""  # with its leading space, so "China [9]." becomes "China."
        for n in cited:
            if n not in order:
                order.append(n)
        return m.group("ws") + "".join(f"[{order.index(n) + 1}]" for n in cited)

    return _RUN.sub(replace, text).strip(), tuple(order)


def marker_numbers(text: str) -> list[int]:
    """Every number cited by a marker in `text`, in order, repeats included."""
    return [int(x) for m in re.finditer(_MARKER, text) for x in _NUMBER.findall(m.group())]
