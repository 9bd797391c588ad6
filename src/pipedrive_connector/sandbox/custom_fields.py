"""Custom fields: definitions (the *Fields resources) and their values in v2 (typed, nested) and v1 (flat)."""

from __future__ import annotations

import hashlib
from typing import Any

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request, validation_failed
from pipedrive_connector.sandbox.store import Record, Store
from pipedrive_connector.sandbox.validation import CUSTOM_FIELD_KEY, coerce_v1_int, coerce_v1_number

# Which field-definition kind holds an entity's custom fields (leads share the deal fields).
FIELD_KIND = {
    "deal": "dealField",
    "lead": "dealField",
    "person": "personField",
    "organization": "organizationField",
    "product": "productField",
    "project": "projectField",
}
FIELD_TYPES = (
    "address",
    "date",
    "daterange",
    "double",
    "enum",
    "monetary",
    "org",
    "people",
    "phone",
    "set",
    "text",
    "time",
    "timerange",
    "user",
    "varchar",
    "varchar_auto",
    "visible_to",
)
OPTION_TYPES = ("enum", "set")
TEXT_TYPES = ("varchar", "varchar_auto", "text", "phone")
ID_TYPES = ("user", "people", "org")
SEARCHABLE_TYPES = ("address", "varchar", "text", "varchar_auto", "double", "monetary", "phone")


def field_key(seed: str) -> str:
    """A 40-hex key like Pipedrive's, derived from ``seed`` so seeded keys are stable."""
    return hashlib.sha1(seed.encode()).hexdigest()


def custom_definitions(store: Store, entity: str) -> dict[str, Record]:
    """The active custom field definitions of ``entity`` by key (cached until they change; read-only)."""
    kind = FIELD_KIND.get(entity)
    if kind is None:
        return {}
    return store.memo(
        ("custom_definitions", kind),
        (kind,),
        lambda: {
            str(field["key"]): field
            for field in store.all(kind)
            if field.get("edit_flag")
            and field.get("active_flag", True)
            and CUSTOM_FIELD_KEY.match(str(field["key"]))
        },
    )


def _option_ids(definition: Record) -> set[int]:
    return {int(option["id"]) for option in definition.get("options") or []}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_v2(defs: dict[str, Record], values: Any) -> dict[str, Any]:
    """Check a v2 ``custom_fields`` object; returns the values to store (None = clear)."""
    if not isinstance(values, dict):
        raise validation_failed("custom_fields", "Expected 'object' as value")
    result: dict[str, Any] = {}
    for key, value in values.items():
        definition = defs.get(key)
        if definition is None:
            raise validation_failed("custom_fields", f"Custom field '{key}' does not exist")
        if value is None:
            result[key] = None
            continue
        field_type = definition["field_type"]
        name = definition["name"]

        def fail(expected: str, name: str = name, key: str = key) -> ApiError:
            return validation_failed(
                "custom_fields", f"Expected {expected} as value for custom field '{name}' ({key})"
            )

        if field_type in TEXT_TYPES:
            if not isinstance(value, str):
                raise fail("'string'")
        elif field_type == "double":
            if not _is_number(value):
                raise fail("'number'")
        elif field_type == "monetary":
            if not (isinstance(value, dict) and _is_number(value.get("value"))):
                raise fail("an object {value: number, currency: string}")
            currency = value.get("currency")
            if currency is not None and not isinstance(currency, str):
                raise fail("an object {value: number, currency: string}")
            value = {"value": value["value"], "currency": currency}
        elif field_type == "enum":
            if not isinstance(value, int) or isinstance(value, bool):
                raise fail("'number' (an option id) as value for single option")
            if value not in _option_ids(definition):
                raise fail(f"one of the option ids {sorted(_option_ids(definition))}")
        elif field_type == "set":
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(item, int) and not isinstance(item, bool) for item in value)
            ):
                raise fail("a non-empty array of option ids (use null to clear)")
            unknown = set(value) - _option_ids(definition)
            if unknown:
                raise fail(f"option ids among {sorted(_option_ids(definition))}")
        elif field_type == "date":
            if not isinstance(value, str) or not timefmt.is_date(value):
                raise fail("a date 'YYYY-MM-DD'")
        elif field_type in ID_TYPES:
            if not isinstance(value, int) or isinstance(value, bool):
                raise fail("'integer' (an id)")
        elif field_type in ("daterange", "time", "timerange", "address") and (
            not isinstance(value, dict) or "value" not in value
        ):
            raise fail("an object with 'value'")
        result[key] = value
    return result


def merge(stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _current(definition: Record, value: Any) -> Any:
    """``value`` without option ids the field no longer has (deleted options read as unset)."""
    if value is None or definition["field_type"] not in OPTION_TYPES:
        return value
    known = _option_ids(definition)
    if definition["field_type"] == "enum":
        return value if value in known else None
    kept = [item for item in value if item in known]
    return kept or None


def to_v2(defs: dict[str, Record], stored: dict[str, Any], *, option_labels: bool = False) -> dict[str, Any]:
    """Every custom field of the entity, null when unset (as API v2 answers)."""
    result: dict[str, Any] = {}
    for key, definition in defs.items():
        value = _current(definition, stored.get(key))
        if value is not None and option_labels and definition["field_type"] in ("enum", "set"):
            labels = {int(option["id"]): option["label"] for option in definition.get("options") or []}
            if definition["field_type"] == "enum":
                value = {"id": value, "label": labels.get(value)}
            else:
                value = [{"id": item, "label": labels.get(item)} for item in value]
        result[key] = value
    return result


def to_v1(defs: dict[str, Record], stored: dict[str, Any], *, omit_unset: bool = False) -> dict[str, Any]:
    """Flat v1 keys at the entity root (monetary adds ``<key>_currency``, ranges ``<key>_until``)."""
    result: dict[str, Any] = {}
    for key, definition in defs.items():
        value = _current(definition, stored.get(key))
        field_type = definition["field_type"]
        if value is None:
            if omit_unset:
                continue
            result[key] = None
            if field_type == "monetary":
                result[f"{key}_currency"] = None
            continue
        if field_type == "monetary":
            result[key] = value["value"]
            result[f"{key}_currency"] = value.get("currency")
        elif field_type == "enum":
            result[key] = str(value)
        elif field_type == "set":
            result[key] = ",".join(str(item) for item in value)
        elif field_type in ("daterange", "timerange"):
            result[key] = value.get("value")
            result[f"{key}_until"] = value.get("until")
        elif field_type in ("time", "address"):
            result[key] = value.get("value")
        else:
            result[key] = value
    return result


def _v1_option(definition: Record, raw: Any) -> int:
    options = definition.get("options") or []
    for option in options:
        if str(option["id"]) == str(raw).strip() or option["label"] == raw:
            return int(option["id"])
    raise bad_request(f"Invalid option '{raw}' for custom field '{definition['name']}' ({definition['key']})")


def from_v1(defs: dict[str, Record], body: dict[str, Any]) -> dict[str, Any]:
    """Pick root-level custom-field keys out of a lenient v1 body."""
    result: dict[str, Any] = {}
    for key, definition in defs.items():
        if key not in body:
            continue
        raw = body[key]
        field_type = definition["field_type"]
        if raw is None or raw == "":
            result[key] = None
            continue
        if field_type == "double":
            result[key] = coerce_v1_number(key, raw)
        elif field_type == "monetary":
            currency = body.get(f"{key}_currency")
            result[key] = {
                "value": coerce_v1_number(key, raw),
                "currency": currency if isinstance(currency, str) else None,
            }
        elif field_type == "enum":
            result[key] = _v1_option(definition, raw)
        elif field_type == "set":
            items = raw if isinstance(raw, list) else str(raw).split(",")
            result[key] = [_v1_option(definition, item) for item in items if str(item).strip()]
        elif field_type in ID_TYPES:
            result[key] = coerce_v1_int(key, raw)
        elif field_type == "date":
            if not isinstance(raw, str) or not timefmt.is_date(raw):
                raise bad_request(
                    f"Invalid date for custom field '{definition['name']}' ({key}): use YYYY-MM-DD"
                )
            result[key] = raw
        elif field_type in ("daterange", "timerange"):
            result[key] = {"value": raw, "until": body.get(f"{key}_until")}
        elif field_type in ("time", "address"):
            result[key] = {"value": raw}
        else:
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                raise bad_request(
                    f"Invalid value for custom field '{definition['name']}' ({key}): expected text"
                )
            result[key] = str(raw)
    return result


def searchable_text(defs: dict[str, Record], stored: dict[str, Any]) -> list[str]:
    """The custom-field values search looks at (Pipedrive searches only some field types)."""
    texts: list[str] = []
    for key, definition in defs.items():
        value = stored.get(key)
        if value is None or definition["field_type"] not in SEARCHABLE_TYPES:
            continue
        if isinstance(value, dict):
            value = value.get("value")
        texts.append(str(value))
    return texts
