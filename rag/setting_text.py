"""How a setting's text (a RAG_* variable, a CLI flag) becomes its typed value: the syntax msgspec does not read
itself (comma lists, `a=1,b=2` mappings, yes/no, none), and how an error names the type it expected."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def from_text(ftype: Any, value: Any) -> Any:
    """The env syntax msgspec does not read itself: comma lists, `a=1,b=2` mappings, yes/no, none."""
    origin = get_origin(ftype)
    if origin is Mapping:
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, Mapping):
            return items
        pairs = [str(item).partition("=") for item in items if str(item).strip()]
        if any(not sep or not k.strip() for k, sep, _ in pairs):
            raise ValueError("each item must be name=number")
        return {k.strip(): v.strip() for k, _, v in pairs}
    if not isinstance(value, str):
        return value
    text = value.strip()
    if origin is tuple:
        return [part.strip() for part in text.split(",") if part.strip()]
    if ftype is bool:
        return _BOOL_WORDS.get(text.lower(), text)
    if type(None) in get_args(ftype) and text.lower() in {"none", "null"}:
        return None
    return text


def dec_hook(ftype: type, obj: Any) -> Any:
    """msgspec's hook for the types it does not know (Path)."""
    if ftype is Path and isinstance(obj, (str, os.PathLike)):
        return Path(obj)
    raise NotImplementedError(f"cannot convert {obj!r} to {ftype!r}")


def type_name(ftype: Any) -> str:
    """How the error message names a field's type."""
    origin = get_origin(ftype)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(ftype))
    if origin is Mapping:
        return "comma-separated name=number pairs"
    if origin is tuple:
        return "a comma-separated list"
    if type(None) in get_args(ftype):
        return " or ".join(type_name(a) for a in get_args(ftype) if a is not type(None)) + " or none"
    return getattr(ftype, "__name__", str(ftype))
