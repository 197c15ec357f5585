"""Strict request bodies: JSON only, UTF-8 only, and no type coercion ("5" is not an integer, nor is true or 5.0).

Litestar converts bodies leniently (msgspec ``strict=False``), so this before-request hook decodes the body once
more, strictly, against the handler's own ``data`` Struct, before Litestar parses it.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler

from .errors import InvalidJSON, UnsupportedMediaType, field_message

def _body_type(handler: HTTPRouteHandler) -> type[msgspec.Struct] | None:
    """The msgspec Struct the handler's `data` parameter expects, if it has one."""
    param = handler.parsed_fn_signature.parameters.get("data")
    annotation = getattr(param, "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct) else None


# a \uD800-\uDBFF escape not followed by a \uDC00-\uDFFF one, or a \uDC00-\uDFFF escape not after one
_LONE_SURROGATE = re.compile(rb"(?i)\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}")


_BOM = b"\xef\xbb\xbf"


def _is_json(content_type: str, options: dict[str, str]) -> bool:
    json_type = content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json"))
    if not json_type:
        return False
    return options.get("charset", "utf-8").lower().replace("_", "-") in {"utf-8", "utf8"}


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: reject non-JSON, non-UTF-8, malformed or loosely typed bodies with a 4xx."""
    struct = _body_type(request.route_handler)
    if struct is None:
        return None
    content_type, options = request.content_type
    if not _is_json(content_type, options):
        given = request.headers.get("content-type") or "none"
        raise UnsupportedMediaType(detail=f"content type {given[:100]!r} is not accepted; "
                                          "send UTF-8 JSON with 'Content-Type: application/json'")
    # a compressed body would be read as broken JSON (a 400 that blames the JSON), and one that only says it is
    # compressed was taken as plain JSON (a probe's): this server decodes no content coding, and says so (RFC 9110
    # section 15.5.16: a 415 naming the codings it accepts)
    codings = [c.strip().lower() for c in ",".join(request.headers.getall("content-encoding", [])).split(",")]
    coding = ", ".join(c for c in codings if c)
    if any(c not in ("", "identity") for c in codings):
        raise UnsupportedMediaType(detail=f"content encoding {coding[:40]!r} is not accepted; send the JSON body "
                                          "uncompressed", headers={"Accept-Encoding": "identity"})
    body = await request.body()  # raises 413 beyond request_max_body_size
    try:
        decoded = msgspec.json.decode(body, type=struct, strict=True)
    except msgspec.ValidationError as exc:
        where, text = _located(str(exc), struct)
        if where and where.rsplit(".", 1)[-1] in _DATES and _DATE_SHAPE.match(text):
            # "yesterday" read "Expected `str` of length >= 10", where "2025-13-45" reads "… is not an ISO date"
            text = f"Expected an ISO date, YYYY-MM-DD{_given(body, where)}"
        # the field at fault as Litestar's own validation names it, so that OpenAI's error shape carries it as `param`
        raise ValidationException(detail=field_message(where, text),
                                  extra=[{"key": where, "message": text}] if where else None) from None
    except msgspec.DecodeError as exc:
        if body.startswith(_BOM):  # RFC 8259 §8.1: a sender must not add one; "invalid character (byte 0)" hid why
            raise InvalidJSON(detail="the body is not valid JSON: it starts with a byte order mark (EF BB BF); "
                                     "send the JSON text without one") from None
        lone = _LONE_SURROGATE.search(body)
        if lone:  # msgspec reports a high surrogate without its low half as "Input data was truncated"
            raise InvalidJSON(detail=f"the body is not valid JSON: {lone.group().decode()} at byte {lone.start()} is "
                                     "half of a UTF-16 surrogate pair, which is not text") from None
        raise InvalidJSON(detail=f"the body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise InvalidJSON(detail="the body is not valid UTF-8") from None
    except RecursionError:  # msgspec stops at Python's recursion limit, anywhere in the body, even unknown fields
        raise InvalidJSON(detail="the body nests JSON arrays or objects too deeply") from None
    # top_k's upper bound is a setting, so the struct can only say >= 1: checked here, so that both ends of the range
    # are the same 400 (before, 0 was a 400 and 51 a 422 from the Searcher)
    top_k, most = getattr(decoded, "top_k", None), request.app.state.settings.max_top_k
    if isinstance(top_k, int) and top_k > most:
        text = f"Expected `int` <= {most}"
        raise ValidationException(detail=f"top_k: {text}", extra=[{"key": "top_k", "message": text}])
    return None


# the date filters, and msgspec's words for a string of the wrong shape (their length bounds and pattern)
_DATES = frozenset({"published_from", "published_to"})
_DATE_SHAPE = re.compile(r"Expected `str` (?:of length|matching)")


def _given(body: bytes, where: str) -> str:
    """", got '…'": the value at the dotted path `where` of the body, read loosely; "" when it cannot be read."""
    try:
        value: Any = msgspec.json.decode(body)
        for key in where.split("."):
            value = value[key]
    except (msgspec.DecodeError, KeyError, TypeError, IndexError):
        return ""
    if not isinstance(value, str):
        return ""
    return f", got {value!r}" if len(value) <= 40 else f", got {value[:40]!r}… ({len(value)} characters)"


def _located(message: str, struct: type | None = None) -> tuple[str | None, str]:
    """(the field's path, the message): "Expected `int`, got `str` - at `$.top_k`" → ("top_k", "Expected `int`, got
    `str`"); the body itself is "body"; a message that names no place, (None, message), unless it opens with the name of
    a field of `struct`, as the checks of a whole request do ("n=2: …", "tool_choice 'required': …"; OpenAI names the
    field as `param`)."""
    if " - at `$" in message:
        text, _, where = message.rpartition(" - at `$")
        return where.rstrip("`").lstrip(".") or "body", text
    opening = re.match(r"[a-z_]+", message)
    if opening and opening.group() in getattr(struct, "__struct_fields__", ()):
        return opening.group(), message
    return None, message
