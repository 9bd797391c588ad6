"""Inputs typed on the command line: strict JSON (``--input``, ``--data``) and ``key=value`` pairs
(``--set``, ``--param``) typed by the action property they name, never guessed from the text."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipedrive_connector.cli._output import InputError

# Pipedrive inputs nest a few levels (filter conditions about five); far deeper is a mistake.
MAX_INPUT_DEPTH = 100

if TYPE_CHECKING:
    from pipedrive_connector.component.model import Property


def read_json_argument(text: str, what: str) -> Any:
    """``'{"a": 1}'`` or ``@file.json`` (``@-`` reads stdin). NaN and Infinity are not JSON: refused."""
    source = what
    if text.startswith("@") and len(text) > 1:
        name = text[1:]
        source = "stdin" if name == "-" else name
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            text = raw.decode("utf-8")
        except OSError as error:
            raise InputError(f"{what}: cannot read {name}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise InputError(
                f"{what}: {source} is not UTF-8 text (byte {error.object[error.start]:#04x} "
                f"at offset {error.start})"
            ) from None
    return parse_json(text, what if source == what else f"{what}: {source}")


def read_json_object(text: str, what: str) -> dict[str, Any]:
    """Like ``read_json_argument``, and the value must be an object (``null`` is not ``{}``)."""
    value = read_json_argument(text, what)
    if not isinstance(value, dict):
        raise InputError(f"{what} must be a JSON object, got {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "a number"


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def parse_json(text: str, what: str) -> Any:
    """Strict JSON: a clear ``InputError`` for bad syntax, NaN/Infinity, or nesting too deep to read."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{what} is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except ValueError as error:  # from _refuse_constant
        raise InputError(f"{what} is not valid JSON ({error})") from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply to read") from None
    # The interpreter's recursion limit is not ours to rely on (a library may raise it): deeper than
    # any Pipedrive input is refused the same way whatever it is.
    if _depth(value) > MAX_INPUT_DEPTH:
        raise InputError(f"{what} is nested too deeply to read (more than {MAX_INPUT_DEPTH} levels)")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def split_pair(pair: str, what: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key:
        raise InputError(f"{what}: expected key=value, got {pair!r}")
    return key, value


def text_pairs(pairs: list[str] | None, what: str) -> dict[str, str]:
    """``key=value`` pairs taken as text (query parameters of ``pipedrive request``)."""
    return dict(split_pair(pair, what) for pair in pairs or [])


def typed_pairs(pairs: list[str] | None, properties: Sequence[Property], what: str) -> dict[str, Any]:
    """``key=value`` pairs, each value typed by the declared property it names.

    A STRING (or date/time) property takes the text as given (``title=123`` is the title "123");
    INTEGER, NUMBER and BOOLEAN values must be one (``null`` clears); ARRAY takes JSON or a comma
    list; OBJECT takes JSON. ``a.b=v`` sets a field of an OBJECT property (e.g. custom_fields.Budget).
    A name the action does not declare is JSON when it parses, else text: the action's validation
    then says whether it is allowed.
    """
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, text = split_pair(pair, what)
        path = key.split(".")
        if not all(path):
            raise InputError(f"{what}: {key!r} is not a property name")
        value = typed_value(text, _declared(properties, path), f"{what} {key}")
        _assign(result, path, value, f"{what} {key}")
    return result


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``; nested objects are merged, not replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _declared(properties: Sequence[Property], path: list[str]) -> Property | None:
    found: Property | None = None
    for depth, name in enumerate(path):
        choices = properties if depth == 0 else (found.properties if found is not None else ())
        found = next((p for p in choices if p.name == name), None)
        if found is None:
            return None
    return found


def _assign(target: dict[str, Any], path: list[str], value: Any, what: str) -> None:
    for name in path[:-1]:
        inner = target.setdefault(name, {})
        if not isinstance(inner, dict):
            raise InputError(f"{what}: {name} is set to a value that is not an object")
        target = inner
    target[path[-1]] = value


_INTEGER = re.compile(r"[+-]?\d+")


def typed_value(text: str, prop: Property | None, what: str) -> Any:
    from pipedrive_connector.component.model import PropertyType

    if prop is None:
        return _guess(text)
    kind = prop.type
    if kind in (PropertyType.STRING, PropertyType.DATE, PropertyType.DATE_TIME, PropertyType.TIME):
        return text
    if text == "null":
        return None
    if kind == PropertyType.INTEGER:
        if not _INTEGER.fullmatch(text.strip()):
            raise InputError(f"{what}: expected an integer, got {text!r}")
        return int(text)
    if kind == PropertyType.NUMBER:
        number = _guess(text)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InputError(f"{what}: expected a number, got {text!r}")
        return number
    if kind == PropertyType.BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise InputError(f"{what}: expected true or false, got {text!r}")
        return text.lower() == "true"
    if kind == PropertyType.ARRAY and not text.lstrip().startswith("["):
        items = [part.strip() for part in text.split(",")] if text.strip() else []
        return [typed_value(item, prop.items, what) for item in items]
    value = parse_json(text, what)
    expected = list if kind == PropertyType.ARRAY else dict
    if not isinstance(value, expected):
        wanted = "a JSON array" if expected is list else "a JSON object"
        raise InputError(f"{what}: expected {wanted}, got {_json_kind(value)}")
    return value


def _guess(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return text
