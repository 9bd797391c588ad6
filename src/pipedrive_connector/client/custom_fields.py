"""Custom fields by name: the per-company field-definition cache and value encoding/decoding.

Pipedrive names custom fields by random 40-hex keys and enum/set options by numeric ids. A
``FieldMap`` (built from ``GET /v1/{entity}Fields``) translates both ways: names to keys and option
labels to ids when writing, keys to names and ids to labels when reading.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pipedrive_connector.client._types import UNSET
from pipedrive_connector.client.errors import UnknownCustomField
from pipedrive_connector.client.models import FieldDefinition

Style = Literal["v2", "v1"]
_ADDRESS_PARTS = (
    "subpremise",
    "street_number",
    "route",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
)


@dataclass(frozen=True)
class Money:
    amount: float | None
    currency: str | None


@dataclass(frozen=True)
class DateRange:
    start: date | str | None
    end: date | str | None


class FieldMap:
    """The fields of one entity type (deal, person, organization) of one company."""

    def __init__(self, entity: str, definitions: list[FieldDefinition]) -> None:
        self.entity = entity
        self.definitions = definitions
        self.by_key = {d.key: d for d in definitions}
        self._by_name = {d.name: d for d in definitions}
        self._by_folded = {d.name.casefold(): d for d in definitions}

    @property
    def custom(self) -> list[FieldDefinition]:
        return [d for d in self.definitions if d.is_custom]

    def names(self) -> list[str]:
        return [d.name for d in self.custom]

    def resolve(self, name: str) -> FieldDefinition:
        """The custom field called ``name`` (exact, then case-insensitive; a 40-hex key works too)."""
        found = self._by_name.get(name) or self._by_folded.get(name.casefold()) or self.by_key.get(name)
        if found is None or not found.is_custom:
            valid = ", ".join(repr(n) for n in self.names()) or "(none)"
            raise UnknownCustomField(f"unknown {self.entity} custom field {name!r}; valid names: {valid}")
        return found

    # -- writing ------------------------------------------------------------------------------

    def encode(self, values: Mapping[str, Any], *, style: Style, currency: str | None) -> dict[str, Any]:
        """``{name: value}`` → the request body part: v2 ``custom_fields`` dict, or v1 root keys."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            field = self.resolve(name)
            if value is UNSET:
                continue
            if style == "v2":
                out[field.key] = self._encode_v2(field, value, currency)
            else:
                out.update(self._encode_v1(field, value, currency))
        return out

    def _option_id(self, field: FieldDefinition, value: Any) -> int | str:
        options = field.options or []
        for option in options:
            if value == option.id or (
                isinstance(value, str)
                and option.label is not None
                and value.casefold() == option.label.casefold()
            ):
                return option.id
        labels = ", ".join(repr(o.label) for o in options) or "(none)"
        raise UnknownCustomField(f"{value!r} is not an option of {field.name!r}; options: {labels}")

    def _encode_v2(self, field: FieldDefinition, value: Any, currency: str | None) -> Any:
        if value is None:
            return None
        kind = field.field_type
        if kind == "enum":
            return self._option_id(field, value)
        if kind == "set":
            items = [value] if isinstance(value, str | int) else list(value)
            # Pipedrive clears a set with null and rejects an empty list.
            return [self._option_id(field, item) for item in items] or None
        if kind == "monetary":
            amount, cur = _money_parts(field, value, currency)
            return {"value": amount, "currency": cur}
        if kind == "double":
            return _number(field, value)
        if kind == "date":
            return _date_text(field, value)
        if kind == "daterange":
            start, end = _range_parts(field, value)
            return {"value": start, "until": end}
        if kind == "address":
            return {"value": value} if isinstance(value, str) else dict(value)
        return value

    def _encode_v1(self, field: FieldDefinition, value: Any, currency: str | None) -> dict[str, Any]:
        key = field.key
        if value is None:
            return {key: None}
        kind = field.field_type
        if kind == "enum":
            return {key: self._option_id(field, value)}
        if kind == "set":
            items = [value] if isinstance(value, str | int) else list(value)
            return {key: ",".join(str(self._option_id(field, item)) for item in items) or None}
        if kind == "monetary":
            amount, cur = _money_parts(field, value, currency)
            return {key: amount, f"{key}_currency": cur}
        if kind == "double":
            return {key: _number(field, value)}
        if kind == "date":
            return {key: _date_text(field, value)}
        if kind == "daterange":
            start, end = _range_parts(field, value)
            return {key: start, f"{key}_until": end}
        if kind == "address" and isinstance(value, Mapping):
            return {key: value.get("value"), **{f"{key}_{p}": value[p] for p in _ADDRESS_PARTS if p in value}}
        return {key: value}

    def needs_currency(self, values: Mapping[str, Any]) -> bool:
        """Whether some monetary value in ``values`` came without a currency."""
        for name, value in values.items():
            field = self.resolve(name)
            if field.field_type == "monetary" and value is not None and _is_number(value):
                return True
        return False

    # -- reading ------------------------------------------------------------------------------

    def decode(self, entity: Mapping[str, Any] | Any) -> dict[str, Any]:
        """``{name: readable value}`` of the custom fields set on a v2 or legacy v1 object."""
        data = _as_mapping(entity)
        nested = data.get("custom_fields")
        out: dict[str, Any] = {}
        for field in self.custom:
            if isinstance(nested, Mapping):
                if field.key in nested and nested[field.key] is not None:
                    out[field.name] = self._decode_v2(field, nested[field.key])
            elif data.get(field.key) is not None:
                out[field.name] = self._decode_v1(field, data)
        return out

    def _label(self, field: FieldDefinition, option: Any) -> Any:
        if isinstance(option, Mapping):  # include_option_labels=true gives {"id", "label"}
            return option.get("label", option.get("id"))
        for candidate in field.options or []:
            if str(candidate.id) == str(option):
                return candidate.label
        return option

    def _decode_v2(self, field: FieldDefinition, value: Any) -> Any:
        kind = field.field_type
        if kind == "enum":
            return self._label(field, value)
        if kind == "set":
            items = value if isinstance(value, list) else str(value).split(",")
            return [self._label(field, item) for item in items]
        if kind == "monetary":
            if isinstance(value, Mapping):
                return Money(_maybe_float(value.get("value")), value.get("currency"))
            return Money(_maybe_float(value), None)
        if kind == "date":
            return _parse_date(value)
        if kind == "daterange" and isinstance(value, Mapping):
            return DateRange(_parse_date(value.get("value")), _parse_date(value.get("until")))
        if kind == "double":
            return _maybe_float(value)
        return value

    def _decode_v1(self, field: FieldDefinition, data: Mapping[str, Any]) -> Any:
        key, kind, value = field.key, field.field_type, data.get(field.key)
        if kind == "monetary":
            return Money(_maybe_float(value), data.get(f"{key}_currency"))
        if kind == "daterange":
            return DateRange(_parse_date(value), _parse_date(data.get(f"{key}_until")))
        if kind == "address":
            parts = {p: data[f"{key}_{p}"] for p in _ADDRESS_PARTS if data.get(f"{key}_{p}") is not None}
            return {"value": value, **parts}
        return self._decode_v2(field, value)


class FieldCache:
    """Field maps per (company, credential, entity) with a TTL; shared by every client in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[tuple[str, str], tuple[float, FieldMap]] = {}
        self._currencies: dict[str, str] = {}

    def get(self, company: str, entity: str, ttl: float) -> FieldMap | None:
        with self._lock:
            entry = self._maps.get((company, entity))
        if entry is None or time.monotonic() - entry[0] > ttl:
            return None
        return entry[1]

    def put(self, company: str, fmap: FieldMap) -> None:
        with self._lock:
            self._maps[(company, fmap.entity)] = (time.monotonic(), fmap)

    def invalidate(self, company: str, entity: str | None = None) -> None:
        with self._lock:
            for key in [k for k in self._maps if k[0] == company and (entity is None or k[1] == entity)]:
                del self._maps[key]

    def clear(self) -> None:
        with self._lock:
            self._maps.clear()
            self._currencies.clear()

    def default_currency(self, company: str) -> str | None:
        with self._lock:
            return self._currencies.get(company)

    def set_default_currency(self, company: str, code: str) -> None:
        with self._lock:
            self._currencies[company] = code


FIELD_CACHE = FieldCache()


def _as_mapping(entity: Mapping[str, Any] | Any) -> Mapping[str, Any]:
    if isinstance(entity, Mapping):
        return entity
    dump = getattr(entity, "model_dump", None)
    if callable(dump):
        result = dump()
        if isinstance(result, Mapping):
            return result
    raise TypeError(f"expected a Pipedrive object or dict, got {type(entity).__name__}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _number(field: FieldDefinition, value: Any) -> float | int:
    if _is_number(value):
        return value if isinstance(value, int) else float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise UnknownCustomField(f"{field.name!r} takes a number, got {value!r}")


def _money_parts(field: FieldDefinition, value: Any, currency: str | None) -> tuple[float | int, str]:
    if isinstance(value, Money):
        amount, cur = value.amount, value.currency
    elif isinstance(value, Mapping):
        amount, cur = value.get("value", value.get("amount")), value.get("currency")
    elif isinstance(value, tuple) and len(value) == 2:
        amount, cur = value
    else:
        amount, cur = value, None
    cur = cur or currency
    if not cur:
        raise UnknownCustomField(f"{field.name!r} is monetary: give a currency, e.g. Money(5000, 'EUR')")
    return _number(field, amount), str(cur).upper()


def _date_text(field: FieldDefinition, value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise UnknownCustomField(f"{field.name!r} takes a date (YYYY-MM-DD or datetime.date), got {value!r}")


def _range_parts(field: FieldDefinition, value: Any) -> tuple[str, str]:
    if isinstance(value, DateRange):
        start, end = value.start, value.end
    elif isinstance(value, Mapping):
        start, end = value.get("value", value.get("start")), value.get("until", value.get("end"))
    else:
        start, end = value
    return _date_text(field, start), _date_text(field, end)


def _parse_date(value: Any) -> date | str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)


def _maybe_float(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
