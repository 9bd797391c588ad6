"""Custom fields by name: ``{"Budget": 5000, "Region": "EMEA"}`` in inputs, names and labels in outputs.

Pipedrive keys custom fields by 40-character hashes that differ per account. Field definitions are
read from the v1 ``/{entity}Fields`` endpoints (all pages) once per connection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipedrive_connector.client.errors import Forbidden, NotFound
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.paging import v1_all

HASH_KEY = re.compile(r"^[0-9a-f]{40}$")
FIELDS_PATH = {
    "deal": "/v1/dealFields",
    "lead": "/v1/dealFields",  # leads inherit the deal custom fields
    "person": "/v1/personFields",
    "organization": "/v1/organizationFields",
    "activity": "/v1/activityFields",
    "product": "/v1/productFields",
    "note": "/v1/noteFields",
}


def field_definitions(ctx: ActionContext, entity: str) -> Flow[list[dict[str, Any]]]:
    path = FIELDS_PATH[entity]
    key = f"fields:{path}"
    if key not in ctx.cache:
        fields = yield from v1_all(path)
        ctx.cache[key] = [f for f in fields if isinstance(f, dict) and HASH_KEY.match(str(f.get("key", "")))]
    cached: list[dict[str, Any]] = ctx.cache[key]
    return cached


def _find_field(fields: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for f in fields:
        if f.get("key") == name:
            return f
    lowered = name.strip().lower()
    for f in fields:
        if str(f.get("name", "")).strip().lower() == lowered:
            return f
    return None


def _option_id(field: Mapping[str, Any], value: Any, where: str) -> int:
    options = field.get("options") or []
    for option in options:
        if option.get("id") == value or str(option.get("label", "")).lower() == str(value).lower():
            return int(option["id"])
    labels = ", ".join(repr(o.get("label")) for o in options)
    raise ValidationError(where, f"{value!r} is not an option of {field.get('name')!r} (options: {labels})")


def _default_currency(ctx: ActionContext) -> Flow[str]:
    if "default_currency" not in ctx.cache:
        me = yield from request("GET", "/v1/users/me")
        ctx.cache["default_currency"] = (me.get("data") or {}).get("default_currency") or "USD"
    currency: str = ctx.cache["default_currency"]
    return currency


def encode(
    ctx: ActionContext,
    entity: str,
    by_name: Mapping[str, Any],
    body: dict[str, Any],
    where: str,
    nested: bool,
) -> Flow[None]:
    """Write ``by_name`` into ``body``: v2 ``custom_fields{}`` (``nested``) or v1 hash keys at the root."""
    if not by_name:
        return
    fields = yield from field_definitions(ctx, entity)
    v2_values: dict[str, Any] = {}
    for name, value in by_name.items():
        field_where = f"{where}.{name}"
        field = _find_field(fields, name)
        if field is None:
            known = ", ".join(repr(f.get("name")) for f in fields) or "none"
            raise ValidationError(field_where, f"unknown custom field (known: {known})")
        key = str(field["key"])
        kind = field.get("field_type")
        if value is not None and kind == "enum":
            value = _option_id(field, value, field_where)
        elif value is not None and kind == "set":
            values = value if isinstance(value, list) else [value]
            value = [_option_id(field, v, field_where) for v in values]
        if nested:
            if kind == "monetary" and isinstance(value, int | float) and not isinstance(value, bool):
                currency = body.get("currency") or (yield from _default_currency(ctx))
                value = {"value": value, "currency": currency}
            v2_values[key] = value
        else:
            if kind == "monetary" and isinstance(value, Mapping):
                body[f"{key}_currency"] = value.get("currency")
                value = value.get("value")
            elif kind == "monetary" and value is not None:
                lead_value = body.get("value")
                currency = body.get("currency") or (
                    lead_value.get("currency") if isinstance(lead_value, Mapping) else None
                )
                if currency:
                    body[f"{key}_currency"] = currency
            elif kind == "set" and isinstance(value, list):
                value = ",".join(str(v) for v in value)
            body[key] = value
    if v2_values:
        body["custom_fields"] = {**(body.get("custom_fields") or {}), **v2_values}


def _label(field: Mapping[str, Any], value: Any) -> Any:
    options = {str(o.get("id")): o.get("label") for o in field.get("options") or []}
    if field.get("field_type") == "enum" and value is not None:
        raw = value.get("id") if isinstance(value, Mapping) else value
        return options.get(str(raw), value)
    if field.get("field_type") == "set" and value is not None:
        items = value if isinstance(value, list) else str(value).split(",")
        return [options.get(str(i.get("id") if isinstance(i, Mapping) else i).strip(), i) for i in items]
    return value


def _resolve_entity(fields: list[dict[str, Any]], entity: dict[str, Any]) -> dict[str, Any]:
    by_key = {str(f["key"]): f for f in fields}
    resolved = dict(entity)
    nested = entity.get("custom_fields")
    if isinstance(nested, Mapping):  # v2 shape
        resolved["custom_fields"] = {
            by_key[k]["name"] if k in by_key else k: _label(by_key[k], v) if k in by_key else v
            for k, v in nested.items()
        }
    for key, value in entity.items():  # v1 shape: hash keys at the root
        base, _, suffix = key.partition("_")
        field = by_key.get(key) or by_key.get(base)
        if field is None or field["name"] in entity:
            continue
        del resolved[key]
        name = field["name"] if key in by_key else f"{field['name']} {suffix}"
        resolved[name] = _label(field, value) if key in by_key else value
    return resolved


def _has_custom(entity: Any) -> bool:
    if not isinstance(entity, dict):
        return False
    if isinstance(entity.get("custom_fields"), Mapping) and entity["custom_fields"]:
        return True
    return any(HASH_KEY.match(k.partition("_")[0]) for k in entity)


def decode(ctx: ActionContext, entity_kind: str, body: dict[str, Any]) -> Flow[dict[str, Any]]:
    """Replace hash keys by field names (and option ids by labels) in ``body["data"]``."""
    if not ctx.resolve_custom_fields:
        return body
    data = body.get("data")
    entities = data if isinstance(data, list) else [data]
    if not any(_has_custom(e) for e in entities):
        return body
    try:
        fields = yield from field_definitions(ctx, entity_kind)
    except (NotFound, Forbidden):  # no access to the field definitions: keep the raw keys
        ctx.cache[f"fields:{FIELDS_PATH[entity_kind]}"] = []
        return body
    if not fields:
        return body
    if isinstance(data, list):
        return {**body, "data": [_resolve_entity(fields, e) if isinstance(e, dict) else e for e in data]}
    if isinstance(data, dict):
        return {**body, "data": _resolve_entity(fields, data)}
    return body
