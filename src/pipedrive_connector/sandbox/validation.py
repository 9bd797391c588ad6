"""Request bodies and query parameters: strict v2 typing, lenient v1 parsing, errors that name the field."""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request, validation_failed

CUSTOM_FIELD_KEY = re.compile(r"^[0-9a-f]{40}$")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class F:
    """One body field: its JSON type, whether null is allowed, and allowed values if an enum."""

    type: str  # string | integer | number | boolean | date | datetime | time | int_list | object | array
    nullable: bool = False
    choices: tuple[Any, ...] | None = None


_EXPECTED = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "string",
    "datetime": "string",
    "time": "string",
    "int_list": "array",
    "object": "object",
    "array": "array",
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(number: int | float) -> bool:
    """Without float(): an integer of 400 digits is valid JSON and would overflow it."""
    return abs(number) <= sys.float_info.max


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and _is_finite(value)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return _is_int(value) and abs(value) <= MAX_INT
    if kind == "number":
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, str) and timefmt.is_date(value)
    if kind == "datetime":
        return isinstance(value, str) and timefmt.parse_any_datetime(value) is not None
    if kind == "time":
        return isinstance(value, str) and timefmt.is_time(value)
    if kind == "int_list":
        return isinstance(value, list) and all(_is_int(item) and abs(item) <= MAX_INT for item in value)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    raise AssertionError(kind)


def check_v2_body(body: dict[str, Any], spec: dict[str, F], required: tuple[str, ...] = ()) -> None:
    """Pipedrive v2's strict validation: unknown keys, wrong types and missing required fields → 400."""
    for key, value in body.items():
        field = spec.get(key)
        if field is None:
            raise validation_failed(key, f"Parameter '{key}' is not allowed for this request")
        if value is None:
            if not field.nullable:
                raise validation_failed(key, f"Expected '{_EXPECTED[field.type]}' as value, got null")
            continue
        if not _type_ok(field.type, value):
            detail = {"date": " in format YYYY-MM-DD", "time": " in format HH:MM", "datetime": " (RFC 3339)"}
            raise validation_failed(
                key, f"Expected '{_EXPECTED[field.type]}' as value{detail.get(field.type, '')}"
            )
        if field.choices is not None and value not in field.choices:
            allowed = ", ".join(str(choice) for choice in field.choices)
            raise validation_failed(key, f"Must be one of: {allowed}")
    for key in required:
        if body.get(key) in (None, ""):
            raise validation_failed(key, "Parameter is required")


async def read_json_object(request: Request) -> dict[str, Any]:
    """A v2 body: JSON only (415 otherwise), and an object."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(
            415,
            "Unsupported Media Type: the request body must be JSON (Content-Type: application/json)",
        )
    return parse_json_object(raw)


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON; Python would accept them and then fail to answer."""
    raise ValueError(f"{name} is not a valid JSON number")


MAX_JSON_DEPTH = 64


class JsonBodyError(ValueError):
    """A request body that is not a JSON object the sandbox can store and send back; says why."""


def load_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from a request body (empty → ``{}``), or JsonBodyError naming the problem.

    Besides syntax, refuses what ``json.loads`` accepts but cannot be stored or answered later:
    NaN/Infinity literals, ``1e400`` (a float overflow), lone UTF-16 surrogates (``"\\ud800"``),
    and nesting deeper than MAX_JSON_DEPTH.
    """
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise JsonBodyError("Invalid JSON in request body: nested too deeply") from None
    except ValueError as exc:  # also UnicodeDecodeError, and the 4,300-digit limit of int()
        reason = "a number has too many digits" if "integer string conversion" in str(exc) else str(exc)
        raise JsonBodyError(f"Invalid JSON in request body: {reason}") from None
    if not isinstance(body, dict):
        raise JsonBodyError("The request body must be a JSON object")
    for key, value in body.items():
        if not _encodable(key):
            raise JsonBodyError("Invalid field name: it contains an unpaired UTF-16 surrogate")
        problem = _unstorable(value, 1)
        if problem:
            raise JsonBodyError(f"Invalid value for '{key}': {problem}")
    return body


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable(value: Any, depth: int) -> str | None:
    if depth > MAX_JSON_DEPTH:
        return f"nested deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(value, str):
        return None if _encodable(value) else "contains an unpaired UTF-16 surrogate"
    if isinstance(value, float):
        return None if math.isfinite(value) else "number out of range"
    items: list[Any] = []
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        if not all(_encodable(key) for key in value):
            return "a key contains an unpaired UTF-16 surrogate"
        items = list(value.values())
    for item in items:
        problem = _unstorable(item, depth + 1)
        if problem:
            return problem
    return None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """load_json_object with the failure as Pipedrive's 400 envelope."""
    try:
        return load_json_object(raw)
    except JsonBodyError as exc:
        raise bad_request(str(exc)) from None


async def read_v1_body(request: Request) -> dict[str, Any]:
    """A v1 body: JSON or form-encoded (values arrive as strings; repeated keys become lists)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise bad_request("The form body is not valid UTF-8") from None
        form: dict[str, Any] = {}
        for key, value in pairs:
            key = key.removesuffix("[]")
            if key in form:
                existing = form[key]
                form[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                form[key] = value
        return form
    if content_type in ("", "application/json") or content_type.endswith("+json"):
        return parse_json_object(raw)
    raise ApiError(415, f"Unsupported Media Type: {content_type}")


# ---- query parameters ----


def query_int(
    request: Request, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Invalid value for '{name}': expected an integer, got '{raw}'") from None
    if abs(value) > MAX_INT:
        raise bad_request(f"Invalid value for '{name}': out of range")
    if minimum is not None and value < minimum:
        raise bad_request(f"Invalid value for '{name}': must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise bad_request(f"Invalid value for '{name}': must be at most {maximum}")
    return value


def query_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_request(f"Invalid value for '{name}': expected true or false, got '{raw}'")


def query_choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise bad_request(f"Invalid value for '{name}': must be one of {', '.join(choices)}")
    return raw


def query_int_list(request: Request, name: str, *, max_items: int = 100) -> list[int] | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    items: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        try:
            value = int(part)
        except ValueError:
            raise bad_request(f"Invalid value for '{name}': '{part}' is not an integer id") from None
        if abs(value) > MAX_INT:
            raise bad_request(f"Invalid value for '{name}': out of range")
        items.append(value)
    if len(items) > max_items:
        raise bad_request(f"Invalid value for '{name}': at most {max_items} ids are allowed")
    return items


def query_datetime(request: Request, name: str) -> str | None:
    """An RFC 3339 query value, normalised to the stored form for string comparison."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    parsed = timefmt.parse_rfc3339(raw)
    # Pipedrive rejects fractional seconds here (reported by API users; its examples use whole seconds).
    if parsed is None or "." in raw:
        raise validation_failed(
            name, f"'{raw}' is not a valid datetime (RFC 3339, whole seconds, e.g. 2025-01-01T10:20:00Z)"
        )
    return timefmt.iso(parsed)


def path_int(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Invalid value for '{name}': expected an integer, got '{raw}'") from None
    if value < 1 or value > MAX_INT:
        raise bad_request(f"Invalid value for '{name}': must be a positive integer")
    return value


def coerce_v1_int(name: str, value: Any, *, nullable: bool = True) -> int | None:
    """v1 is lenient: ``"5"`` and ``5`` are both an id; ``{"value": 5}`` too (an expanded object)."""
    if value is None or value == "":
        if nullable:
            return None
        raise bad_request(f"Parameter '{name}' is required")
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if isinstance(value, bool):
        raise bad_request(f"Invalid value for '{name}': expected an integer")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    elif isinstance(value, str):
        try:
            result = int(value.strip())
        except ValueError:
            raise bad_request(f"Invalid value for '{name}': expected an integer, got '{value}'") from None
    else:
        raise bad_request(f"Invalid value for '{name}': expected an integer")
    if abs(result) > MAX_INT:
        raise bad_request(f"Invalid value for '{name}': out of range")
    return result


def coerce_v1_number(name: str, value: Any) -> float | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise bad_request(f"Invalid value for '{name}': expected a number")
    if isinstance(value, int | float):
        number: float | int = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise bad_request(f"Invalid value for '{name}': expected a number, got '{value}'") from None
    else:
        raise bad_request(f"Invalid value for '{name}': expected a number")
    if not _is_finite(number):
        raise bad_request(f"Invalid value for '{name}': expected a finite number")
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def coerce_v1_bool(name: str, value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in (1, "1", "true", "True"):
        return True
    if value in (0, "0", "false", "False"):
        return False
    raise bad_request(f"Invalid value for '{name}': expected a boolean (true/false or 1/0)")


def coerce_v1_str(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise bad_request(f"Invalid value for '{name}': expected a string")
