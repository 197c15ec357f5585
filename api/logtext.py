"""Log lines a client cannot shape: what it sent (a path, a query, a method) is written escaped, on one line."""

from __future__ import annotations

import logging
import re
import unicodedata

# C0 and C1 controls, DEL, the Unicode line and paragraph separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# an access line's quotes and escapes too, and format characters (bidi overrides, zero-width joiners) that reorder
# or hide what a reader sees
_FIELD = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029"\\]|[^\x00-\x7f]')


def one_line(text: str) -> str:
    """`text` with its control characters escaped (`\\n` as the two characters backslash and n)."""
    return _CONTROL.sub(_escape, text)


def field(text: str) -> str:
    """`text` fit to stand between double quotes in an access line: controls, `"`, `\\` and format characters
    escaped; other non-ASCII text (a Japanese document id) kept readable."""
    return _FIELD.sub(lambda m: m.group() if _readable(m.group()) else _escape(m), text)


def _readable(ch: str) -> bool:
    return ch > "\x7f" and not _CONTROL.match(ch) and unicodedata.category(ch) != "Cf"


def _escape(match: re.Match[str] | str) -> str:
    ch = match if isinstance(match, str) else match.group()
    return "\\\\" if ch == "\\" else f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


class OneLineFormatter(logging.Formatter):
    """Every record's message on one line, whatever text it carries (a client's path in an error); a traceback
    (exc_info) is still printed after it as Python wrote it."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return one_line(super().formatMessage(record))
