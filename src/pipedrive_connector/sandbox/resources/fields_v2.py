"""API v2 ``*Fields``: list, get, create, update, delete a field by its ``field_code``, and its options.

Definitions live in the store in the v1 shape (``key``, ``name``, ``edit_flag``...; see seed.make_field);
this module projects them to v2 (``field_code``, ``field_name``, ``is_custom_field``...). A field made here
is at once a key of its entity's ``custom_fields`` (v2) and a root key (v1): custom_fields.py reads the same
records.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.custom_fields import OPTION_TYPES
from pipedrive_connector.sandbox.errors import ApiError, bad_request, not_found, validation_failed
from pipedrive_connector.sandbox.pagination import cursor_page
from pipedrive_connector.sandbox.resources.common import now_iso, ok, principal, sandbox
from pipedrive_connector.sandbox.seed import make_field
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import F, check_v2_body, read_json_object

# POST /api/v2/*Fields: the types a custom field can be created with (the spec's enum; v1 adds visible_to).
CREATABLE_TYPES = (
    "varchar", "text", "double", "phone", "date", "daterange", "time", "timerange",
    "set", "enum", "varchar_auto", "address", "monetary", "org", "people", "user",
)  # fmt: skip
MAX_NAME = 255
# The parts of a composite value, as v2 ``subfields`` lists them (values: see custom_fields.validate_v2).
SUBFIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "monetary": (("value", "Value", "double"), ("currency", "Currency", "varchar")),
    "daterange": (("value", "Start date", "date"), ("until", "End date", "date")),
    "timerange": (("value", "Start time", "time"), ("until", "End time", "time")),
    "address": (
        ("value", "Address", "varchar"),
        ("street_number", "Street number", "varchar"),
        ("route", "Street", "varchar"),
        ("sublocality", "District", "varchar"),
        ("locality", "City", "varchar"),
        ("admin_area_level_1", "State", "varchar"),
        ("admin_area_level_2", "Region", "varchar"),
        ("country", "Country", "varchar"),
        ("postal_code", "Postal code", "varchar"),
        ("formatted_address", "Full address", "varchar"),
    ),
}


@dataclass(frozen=True)
class V2Fields:
    """What one kind's v2 ``*Fields`` accept: its include_fields namespaces, ui_visibility keys, body keys."""

    kind: str
    namespaces: tuple[str, ...]
    ui_keys: tuple[str, ...] = ("add_visible_flag", "details_visible_flag")
    extra_body: tuple[str, ...] = ("important_fields", "required_fields")


def _label(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise validation_failed(where, "Expected a non-empty 'string' as label")
    if len(value) > MAX_NAME:
        raise validation_failed(where, f"Label is longer than {MAX_NAME} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise validation_failed(where, "Label contains an unpaired UTF-16 surrogate") from None
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise validation_failed("field_name", "Expected a non-empty 'string' as value")
    if len(value) > MAX_NAME:
        raise validation_failed("field_name", f"Must be at most {MAX_NAME} characters")
    return value


def field_v2(record: Record, namespaces: tuple[str, ...] = ()) -> dict[str, Any]:
    """A field definition in the API v2 shape; ``namespaces`` are the include_fields asked for."""
    options = record.get("options")
    field_type = record["field_type"]
    data: dict[str, Any] = {
        "field_name": record["name"],
        "field_code": record["key"],
        # Pipedrive answers null for a field without a description (the spec marks it non-nullable).
        "description": record.get("description"),
        "field_type": field_type,
        "options": [{"id": o["id"], "label": o["label"], "color": o.get("color")} for o in options]
        if options is not None
        else None,
        "subfields": [
            {"field_code": c, "field_name": n, "field_type": t} for c, n, t in SUBFIELDS[field_type]
        ]
        if field_type in SUBFIELDS
        else None,
        "is_custom_field": bool(record.get("edit_flag")),
        "is_optional_response_field": False,
    }
    if "ui_visibility" in namespaces:
        ui = {
            "add_visible_flag": bool(record.get("add_visible_flag")),
            "details_visible_flag": bool(record.get("details_visible_flag", True)),
        }
        if "_projects_detail_visible_flag" in record:
            ui["projects_detail_visible_flag"] = bool(record["_projects_detail_visible_flag"])
        if "_show_in_pipelines" in record:
            ui["show_in_pipelines"] = record["_show_in_pipelines"]
        data["ui_visibility"] = ui
    if "important_fields" in namespaces:
        data["important_fields"] = {
            "enabled": bool(record.get("important_flag")),
            "stage_ids": list(record.get("_important_stage_ids") or []),
        }
    if "required_fields" in namespaces:
        data["required_fields"] = {
            "enabled": bool(record.get("mandatory_flag")),
            "stage_ids": list(record.get("_required_stage_ids") or []),
        }
    return data


def _namespaces(request: Request, spec: V2Fields) -> tuple[str, ...]:
    raw = request.query_params.get("include_fields")
    if not raw:
        return ()
    asked = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [part for part in asked if part not in spec.namespaces]
    if unknown:
        allowed = ", ".join(spec.namespaces) or "none"
        raise bad_request(f"Invalid value for 'include_fields': {', '.join(unknown)} (allowed: {allowed})")
    return asked


def _live(request: Request, kind: str) -> list[Record]:
    return [f for f in sandbox(request).store.all(kind) if f.get("active_flag", True)]


def _by_code(request: Request, kind: str) -> Record:
    code = request.path_params["field_code"]
    for field in _live(request, kind):
        if field["key"] == code:
            return field
    raise not_found(f"Field '{code}' not found")


def _custom(record: Record, action: str) -> Record:
    if not record.get("edit_flag"):
        raise ApiError(403, f"System field '{record['key']}' cannot be {action}")
    return record


def _stage_ids(request: Request, where: str, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise validation_failed(where, "Expected an 'array' of stage ids")
    store = sandbox(request).store
    unknown = [i for i in value if store.get("stage", i) is None]
    if unknown:
        raise validation_failed(where, f"Unknown stage ids: {', '.join(map(str, unknown))}")
    return list(value)


def _apply_settings(request: Request, record: Record, body: dict[str, Any], spec: V2Fields) -> None:
    """ui_visibility, important_fields, required_fields and description from a v2 body onto ``record``."""
    ui = body.get("ui_visibility")
    if ui is not None:
        for key, value in ui.items():
            if key == "show_in_pipelines" and "show_in_pipelines" in spec.ui_keys:
                if not isinstance(value, dict) or not isinstance(value.get("show_in_all", True), bool):
                    raise validation_failed(
                        "ui_visibility.show_in_pipelines", "Expected {show_in_all: boolean}"
                    )
                record["_show_in_pipelines"] = {
                    "show_in_all": value.get("show_in_all", True),
                    "pipeline_ids": list(value.get("pipeline_ids") or []),
                }
            elif key in spec.ui_keys:
                if not isinstance(value, bool):
                    raise validation_failed(f"ui_visibility.{key}", "Expected 'boolean' as value")
                record["_" + key if key == "projects_detail_visible_flag" else key] = value
            else:
                raise validation_failed("ui_visibility", f"Parameter '{key}' is not allowed for this request")
    for name, flag in (("important_fields", "important_flag"), ("required_fields", "mandatory_flag")):
        settings = body.get(name)
        if settings is None:
            continue
        enabled = settings.get("enabled", False)
        if not isinstance(enabled, bool):
            raise validation_failed(f"{name}.enabled", "Expected 'boolean' as value")
        record[flag] = enabled
        record[f"_{name.split('_')[0]}_stage_ids"] = (
            _stage_ids(request, f"{name}.stage_ids", settings.get("stage_ids", [])) if enabled else []
        )
    if "description" in body:
        record["description"] = body["description"]


def _body_spec(spec: V2Fields, *, create: bool) -> dict[str, F]:
    fields = {"field_name": F("string"), "ui_visibility": F("object")}
    fields.update({key: F("string" if key == "description" else "object") for key in spec.extra_body})
    if create:
        fields.update({"field_type": F("string", choices=CREATABLE_TYPES), "options": F("array")})
    return fields


def make_list(spec: V2Fields) -> Any:
    async def list_fields(request: Request) -> Response:
        namespaces = _namespaces(request, spec)
        page, cursor = cursor_page(request, _live(request, spec.kind), sort_fields=("id",))
        return ok([field_v2(f, namespaces) for f in page], additional_data={"next_cursor": cursor})

    return list_fields


def make_get(spec: V2Fields) -> Any:
    async def get_field(request: Request) -> Response:
        return ok(field_v2(_by_code(request, spec.kind), _namespaces(request, spec)))

    return get_field


def make_add(spec: V2Fields) -> Any:
    async def add_field(request: Request) -> Response:
        state = sandbox(request)
        body = await read_json_object(request)
        check_v2_body(body, _body_spec(spec, create=True), required=("field_name", "field_type"))
        name = _name(body["field_name"])
        field_type = body["field_type"]
        labels: list[str] | None = None
        if field_type in OPTION_TYPES:
            raw = body.get("options")
            if not raw:
                raise validation_failed("options", f"Required (at least one) for '{field_type}' fields")
            labels = _new_labels(raw, existing=())
        elif body.get("options") is not None:
            raise validation_failed("options", f"Only enum and set fields take options, not '{field_type}'")
        record = make_field(
            state.store, spec.kind, key=secrets.token_hex(20), name=name, field_type=field_type,
            options=labels, custom=True, now=now_iso(state), user_id=principal(request).user_id,
        )  # fmt: skip
        record["add_visible_flag"] = False  # the v2 default (ui_visibility.add_visible_flag)
        _apply_settings(request, record, body, spec)
        return ok(field_v2(state.store.put(spec.kind, record), spec.namespaces))

    return add_field


def make_update(spec: V2Fields) -> Any:
    async def update_field(request: Request) -> Response:
        state = sandbox(request)
        record = dict(_by_code(request, spec.kind))
        body = await read_json_object(request)
        if not body:
            raise bad_request("The request body must have at least one property")
        check_v2_body(body, _body_spec(spec, create=False))
        if "field_name" in body:
            name = _name(body["field_name"])
            if name != record["name"]:
                _custom(record, "renamed")
            record["name"] = name
        _apply_settings(request, record, body, spec)
        record["update_time"] = timefmt.v1(now_iso(state))
        record["last_updated_by_user_id"] = principal(request).user_id
        return ok(field_v2(state.store.put(spec.kind, record), spec.namespaces))

    return update_field


def make_delete(spec: V2Fields) -> Any:
    async def delete_field(request: Request) -> Response:
        state = sandbox(request)
        record = _custom(_by_code(request, spec.kind), "deleted")
        state.store.put(spec.kind, dict(record, active_flag=False, update_time=timefmt.v1(now_iso(state))))
        return ok(field_v2(record))

    return delete_field


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


async def _read_json_array(request: Request) -> list[Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(
            415, "Unsupported Media Type: the request body must be JSON (Content-Type: application/json)"
        )
    try:
        body = json.loads(await request.body(), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise bad_request("Invalid JSON in request body") from None
    if not isinstance(body, list) or not body:
        raise bad_request("The request body must be a non-empty JSON array of options")
    if not all(isinstance(item, dict) for item in body):
        raise bad_request("Each option must be an object")
    return body


def _new_labels(items: Any, existing: tuple[str, ...]) -> list[str]:
    if not isinstance(items, list):
        raise validation_failed("options", "Expected an 'array' of {label} objects")
    labels = []
    for index, item in enumerate(items):
        label = item.get("label") if isinstance(item, dict) else None
        labels.append(_label(label, f"options[{index}].label"))
    taken = set(existing)
    for label in labels:
        if label in taken:
            raise validation_failed("options", f"Duplicate option label '{label}'")
        taken.add(label)
    return labels


def _option_ids(items: list[Any], record: Record) -> list[int]:
    ids = []
    for index, item in enumerate(items):
        option_id = item.get("id")
        if not isinstance(option_id, int) or isinstance(option_id, bool):
            raise validation_failed(f"[{index}].id", "Expected 'integer' as value")
        ids.append(option_id)
    known = {int(o["id"]) for o in record.get("options") or []}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise validation_failed("id", f"Options not found on field '{record['key']}': {unknown}")
    return ids


def _option_field(request: Request, kind: str) -> Record:
    record = _custom(dict(_by_code(request, kind)), "given options")
    if record["field_type"] not in OPTION_TYPES:
        raise bad_request(
            f"Field '{record['key']}' is of type '{record['field_type']}': only enum and set take options"
        )
    return record


def make_options(spec: V2Fields) -> Any:
    """POST adds options, PATCH relabels them, DELETE removes them: atomic, answering only those touched."""

    async def options(request: Request) -> Response:
        state = sandbox(request)
        record = _option_field(request, spec.kind)
        items = await _read_json_array(request)
        current: list[dict[str, Any]] = [dict(o) for o in record.get("options") or []]
        now = now_iso(state)
        if request.method == "POST":
            labels = _new_labels(items, existing=tuple(o["label"] for o in current))
            touched = [{"id": state.store.next_id("fieldOption"), "label": label} for label in labels]
            current += touched
        elif request.method == "PATCH":
            ids = _option_ids(items, record)
            labels = _new_labels(items, existing=())
            relabel = dict(zip(ids, labels, strict=True))
            others = {o["label"] for o in current if int(o["id"]) not in relabel}
            clash = sorted(others & set(labels))
            if clash:
                raise validation_failed("label", f"Duplicate option label '{clash[0]}'")
            for option in current:
                if int(option["id"]) in relabel:
                    option["label"] = relabel[int(option["id"])]
            touched = [o for o in current if int(o["id"]) in relabel]
        else:
            removed = set(_option_ids(items, record))
            touched = [o for o in current if int(o["id"]) in removed]
            current = [o for o in current if int(o["id"]) not in removed]
        record["options"] = current
        record["update_time"] = timefmt.v1(now)
        state.store.put(spec.kind, record)
        return ok([{"id": o["id"], "label": o["label"]} for o in touched], additional_data=None)

    return options
