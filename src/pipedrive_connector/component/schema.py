"""Input validation against an action's properties, and the JSON Schema the manifest publishes.

Both read the same ``Property`` definitions, so what the manifest promises is what ``run`` enforces.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from pipedrive_connector.client.paths import InvalidPathSegment, lead_id
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.model import Property, PropertyType

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
_EXPECTED = {
    PropertyType.STRING: "a string",
    PropertyType.INTEGER: "an integer",
    PropertyType.NUMBER: "a number",
    PropertyType.BOOLEAN: "true or false",
    PropertyType.DATE: "a date YYYY-MM-DD",
    PropertyType.DATE_TIME: "a date-time YYYY-MM-DDTHH:MM:SSZ",
    PropertyType.TIME: "a time HH:MM or HH:MM:SS",
    PropertyType.ARRAY: "a list",
    PropertyType.OBJECT: "an object",
}


# Pipedrive's integers are 64-bit; larger ones cannot be stored and their repr may not even exist.
_INT_LIMIT = 2**63
# Free-form values (custom fields by name) nest no deeper than this.
_MAX_DEPTH = 32
_UUID_EXAMPLE = "a UUID such as 'adf21080-0e10-11eb-879b-05d71fb426ec'"


def _describe(value: Any) -> str:
    if isinstance(value, int) and abs(value) >= _INT_LIMIT:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def validate_properties(
    properties: Iterable[Property],
    inputs: Mapping[str, Any],
    path: str = "",
    allow_extra: bool = False,
) -> dict[str, Any]:
    """Check ``inputs`` against ``properties``; return the cleaned values (``None`` dropped, defaults set)."""
    if not isinstance(inputs, Mapping):
        raise ValidationError(path or "input", f"expected an object, got {_describe(inputs)}")
    props = list(properties)
    known = {prop.name: prop for prop in props}
    cleaned: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in known:
            continue
        if allow_extra and isinstance(key, str):
            _check_text(key, path or "input")
            cleaned[key] = free_value(value, _join(path, key))
            continue
        names = ", ".join(known) or "none"
        plain = isinstance(key, str) and key.strip() and key.isprintable() and _is_utf8(key)
        name = key if plain else _describe(key)
        raise ValidationError(_join(path, name), f"unknown property (expected one of: {names})")
    for prop in props:
        value = inputs.get(prop.name)
        where = _join(path, prop.name)
        if value is None:
            if prop.required:
                raise ValidationError(where, f"is required ({prop.label}: {_EXPECTED[prop.type]})")
            if prop.default is not None:
                cleaned[prop.name] = prop.default
            continue
        cleaned[prop.name] = validate_value(prop, value, where)
    return cleaned


def validate_value(prop: Property, value: Any, where: str) -> Any:
    kind = prop.type
    expected = _EXPECTED[kind]
    if kind is PropertyType.STRING:
        if not isinstance(value, str):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
        _check_text(value, where)
        if prop.min_length is not None and len(value) < prop.min_length:
            raise ValidationError(
                where, f"expected at least {prop.min_length} characters, got {_describe(value)}"
            )
        if prop.format == "uuid":
            try:
                value = lead_id(value, where)
            except InvalidPathSegment:
                raise ValidationError(where, f"expected {_UUID_EXAMPLE}, got {_describe(value)}") from None
    elif kind is PropertyType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
        _check_number(value, where)
    elif kind is PropertyType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
        _check_number(value, where)
    elif kind is PropertyType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
    elif kind is PropertyType.DATE:
        if not isinstance(value, str) or not _is_date(value):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
    elif kind is PropertyType.DATE_TIME:
        if not isinstance(value, str) or not _is_datetime(value):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
    elif kind is PropertyType.TIME:
        if not isinstance(value, str) or not _TIME.match(value):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
    elif kind is PropertyType.ARRAY:
        if not isinstance(value, list):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
        if prop.items is not None:
            value = [validate_value(prop.items, item, f"{where}[{i}]") for i, item in enumerate(value)]
    elif kind is PropertyType.OBJECT:
        if not isinstance(value, Mapping):
            raise ValidationError(where, f"expected {expected}, got {_describe(value)}")
        if prop.properties or not prop.additional_properties:
            value = validate_properties(prop.properties, value, where, allow_extra=prop.additional_properties)
        else:
            value = free_value(value, where)
    if prop.minimum is not None and isinstance(value, int | float) and value < prop.minimum:
        raise ValidationError(where, f"expected a value >= {prop.minimum:g}, got {_describe(value)}")
    if prop.maximum is not None and isinstance(value, int | float) and value > prop.maximum:
        raise ValidationError(where, f"expected a value <= {prop.maximum:g}, got {_describe(value)}")
    if prop.options and kind is not PropertyType.ARRAY:
        allowed = [option.value for option in prop.options]
        if prop.comma_separated and isinstance(value, str):
            wrong = [part for part in value.split(",") if part.strip() not in allowed]
            if wrong:
                choices = ", ".join(repr(v) for v in allowed)
                raise ValidationError(
                    where, f"expected a comma-separated list of {choices}, got {_describe(value)}"
                )
            value = ",".join(part.strip() for part in value.split(","))
        elif value not in allowed:
            choices = ", ".join(repr(v) for v in allowed)
            raise ValidationError(where, f"expected one of {choices}, got {_describe(value)}")
    return value


def _check_number(value: int | float, where: str) -> None:
    """NaN and the infinities are no JSON; integers beyond 64 bits are no Pipedrive number."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(where, f"expected a finite number, got {_describe(value)}")
    if isinstance(value, int) and abs(value) >= _INT_LIMIT:
        raise ValidationError(where, f"expected a number that fits in 64 bits, got {_describe(value)}")


def _is_utf8(text: str) -> bool:
    """False for text with a lone surrogate (``"\\ud800"``), which cannot be sent or printed."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_text(text: str, where: str) -> None:
    if not _is_utf8(text):
        raise ValidationError(where, "expected text without unpaired surrogates (not valid UTF-8)")


def free_value(value: Any, where: str, depth: int = 0) -> Any:
    """A value no property describes (a custom field's): plain JSON, finite numbers, bounded depth."""
    if depth > _MAX_DEPTH:
        raise ValidationError(where, f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, str):
        _check_text(value, where)
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        _check_number(value, where)
        return value
    if isinstance(value, list | tuple):
        return [free_value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(where, f"expected string keys, got {_describe(key)}")
            _check_text(key, where)
            cleaned[key] = free_value(item, _join(where, key), depth + 1)
        return cleaned
    raise ValidationError(where, f"expected a JSON value, got {type(value).__name__}")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# --- JSON Schema ---------------------------------------------------------------------------------

_JSON_TYPES = {
    PropertyType.STRING: "string",
    PropertyType.INTEGER: "integer",
    PropertyType.NUMBER: "number",
    PropertyType.BOOLEAN: "boolean",
    PropertyType.DATE: "string",
    PropertyType.DATE_TIME: "string",
    PropertyType.TIME: "string",
    PropertyType.ARRAY: "array",
    PropertyType.OBJECT: "object",
}


def property_schema(prop: Property) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _JSON_TYPES[prop.type], "title": prop.label}
    if prop.description:
        schema["description"] = prop.description
    if prop.type is PropertyType.DATE:
        schema["format"] = "date"
    elif prop.type is PropertyType.DATE_TIME:
        schema["format"] = "date-time"
    elif prop.type is PropertyType.TIME:
        schema["pattern"] = _TIME.pattern
    if prop.format:
        schema["format"] = prop.format
    if prop.default is not None:
        schema["default"] = prop.default
    if prop.options and prop.comma_separated:
        choice = "|".join(re.escape(str(option.value)) for option in prop.options)
        schema["pattern"] = f"^ *({choice}) *(, *({choice}) *)*$"
    elif prop.options:
        schema["enum"] = [option.value for option in prop.options]
    if prop.min_length is not None:
        schema["minLength"] = prop.min_length
    if prop.minimum is not None:
        schema["minimum"] = prop.minimum
    if prop.maximum is not None:
        schema["maximum"] = prop.maximum
    if prop.type is PropertyType.ARRAY and prop.items is not None:
        schema["items"] = property_schema(prop.items)
    if prop.type is PropertyType.OBJECT:
        schema.update(object_schema(prop.properties, prop.additional_properties))
        schema.pop("$schema", None)
    return schema


def object_schema(properties: Iterable[Property], additional: bool = False) -> dict[str, Any]:
    props = list(properties)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {prop.name: property_schema(prop) for prop in props},
        "additionalProperties": additional,
    }
    required = [prop.name for prop in props if prop.required]
    if required:
        schema["required"] = required
    return schema


def input_schema(properties: Iterable[Property]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **object_schema(properties)}
