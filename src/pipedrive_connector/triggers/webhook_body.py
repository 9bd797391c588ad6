"""A webhook body decoded into JSON the rest of the triggers can store, key and compare safely.

``json.loads`` accepts values that fail later, far from the edge: nesting deep enough to exhaust
the stack when the event is stored, integers of thousands of digits (``str()`` and ``float()``
refuse them), NaN and infinities (not JSON on the way out), lone surrogates (SQLite and UTF-8
writers refuse them). ``decode_body`` rejects each with a ``WebhookParseError`` naming where it is.

The common body is decoded by orjson, which refuses by itself every one of those but the nesting and
reads integers beyond 64 bits as floats: a body that orjson refuses, that nests too deep or that has
a number of 2**63 or more (maybe such an integer) takes the ``json`` path, which keeps every integer
and names the problem.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import orjson

# Pipedrive's payloads nest about five levels (data.custom_fields.<key>.values[0].id).
MAX_DEPTH = 32
# About 300 digits: larger integers are no Pipedrive value, and float() of them overflows.
MAX_INT_BITS = 1000

PathPart = str | int
# orjson reads an integer outside its 64-bit range as a float of at least this magnitude.
_INT64 = float(2**63)


class WebhookParseError(ValueError):
    """The only exception ``parse_webhook`` raises: the body is not a Pipedrive webhook it accepts.

    The message names what is wrong and where (a path such as ``meta.attempt`` or
    ``data.custom_fields.<key>.values[1]``), quoting at most a short excerpt of the value.
    """


def decode_body(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """The body as a JSON object whose every value passed ``check_json``."""
    if isinstance(body, Mapping):
        decoded: Any = dict(body)
    else:
        fast = _fast_decode(body)
        if fast is not None:
            return fast
        decoded = _loads(body)
    if not isinstance(decoded, dict):
        raise WebhookParseError(f"webhook body must be a JSON object, got {_json_type(decoded)}")
    check_json(decoded)
    return decoded


def _fast_decode(body: Any) -> dict[str, Any] | None:
    """The body decoded by orjson when that gives exactly what the checked ``json`` path would;
    None sends it down that path."""
    if not isinstance(body, bytes | bytearray | str):
        return None
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(decoded) is not dict or _needs_checked_path(decoded):
        return None
    return decoded


def _needs_checked_path(value: dict[str, Any]) -> bool:
    """True when ``value`` nests deeper than ``MAX_DEPTH`` or holds a float of 2**63 or more."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in item.values() if type(item) is dict else item:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float and not -_INT64 < child < _INT64:
                return True
    return False


def _loads(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookParseError(f"webhook body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not isinstance(body, str):
        raise WebhookParseError(f"webhook body must be bytes, str or a dict, not {type(body).__name__}")
    if not body.strip():
        raise WebhookParseError("webhook body is empty")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise WebhookParseError(f"webhook body is not JSON ({exc.msg} at {where})") from None
    except RecursionError:
        raise WebhookParseError(f"webhook body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # the int-str conversion limit: "Exceeds the limit (4300 digits) ..."
        reason = str(exc).split(":", 1)[0]
        raise WebhookParseError(f"webhook body has a number that cannot be read ({reason})") from None


def check_json(value: Any) -> None:
    """Raise ``WebhookParseError`` for anything in ``value`` outside the JSON the triggers handle
    (``dict`` with string keys, ``list``, ``str``, ``int``, finite ``float``, ``bool``, ``None``).

    Iterative, so a deep value cannot exhaust the stack while being checked.
    """
    stack: list[tuple[Any, tuple[PathPart, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise WebhookParseError(
                f"webhook body is nested more than {MAX_DEPTH} levels deep (at {where(path[:6])}...)"
            )
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise WebhookParseError(f"a key in {where(path)} is not a string")
                _check_text(key, path)
                _check_child(child, (*path, key), stack)
        else:
            for index, child in enumerate(item):
                _check_child(child, (*path, index), stack)


def _check_child(
    child: Any, path: tuple[PathPart, ...], stack: list[tuple[Any, tuple[PathPart, ...]]]
) -> None:
    if child is None or isinstance(child, bool):
        return
    if isinstance(child, str):
        _check_text(child, path)
    elif isinstance(child, int):
        if child.bit_length() > MAX_INT_BITS:
            raise WebhookParseError(f"the integer at {where(path)} has more than 300 digits")
    elif isinstance(child, float):
        if not math.isfinite(child):
            raise WebhookParseError(f"the number at {where(path)} is not finite ({child!r})")
    elif isinstance(child, dict | list):
        stack.append((child, path))
    else:
        raise WebhookParseError(f"the value at {where(path)} is a {type(child).__name__}, not JSON")


def _check_text(text: str, path: tuple[PathPart, ...]) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise WebhookParseError(
            f"the text at {where(path)} is not valid Unicode (a lone surrogate)"
        ) from None


def where(path: tuple[PathPart, ...]) -> str:
    """``meta.attempt``, ``data.custom_fields.<key>.values[1]``; the top level is ``the body``."""
    if not path:
        return "the body"
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = "".join(char if char.isprintable() else "?" for char in part[:48])
            shown += "..." if len(part) > 48 else ""
            text += f".{shown}" if text else shown
    return text


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
