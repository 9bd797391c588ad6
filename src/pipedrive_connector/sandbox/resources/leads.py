"""Leads (v1 only for CRUD): UUID ids, ``value {amount, currency}``, label UUIDs, archived handling."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import custom_fields, timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.pagination import offset_page, offset_result, offset_window
from pipedrive_connector.sandbox.resources import filter_eval
from pipedrive_connector.sandbox.resources.common import now_iso, ok, principal, publish, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import check_ref, check_user
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.serializers import v2 as v2_shapes
from pipedrive_connector.sandbox.store import Cmp, Record
from pipedrive_connector.sandbox.validation import (
    CUSTOM_FIELD_KEY,
    MAX_INT,
    UUID_PATTERN,
    query_datetime,
    query_int,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

SORT_FIELDS = (
    "id",
    "title",
    "owner_id",
    "creator_id",
    "was_seen",
    "expected_close_date",
    "next_activity_id",
    "add_time",
    "update_time",
)
VISIBILITY = ("1", "3", "5", "7")
LEAD_NOT_FOUND = ApiError(404, "requested lead not found", error_info="Object was not found.")
STANDARD_KEYS = {
    "title", "owner_id", "label_ids", "person_id", "organization_id", "value", "expected_close_date",
    "visible_to", "was_seen", "origin_id", "channel", "channel_id", "is_archived",
}  # fmt: skip


def _int(field: str, value: Any, *, nullable: bool = True) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
        raise bad_request(f"Invalid value for '{field}': expected an integer")
    return value


def _changes(state: SandboxState, body: dict[str, Any], existing: Record | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    unknown = [key for key in body if key not in STANDARD_KEYS and not CUSTOM_FIELD_KEY.match(key)]
    if unknown:
        raise bad_request(f"Unknown parameter '{unknown[0]}' for a lead")
    if existing is None or "title" in body:
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise bad_request("Parameter 'title' is required and must be a non-empty string")
        changes["title"] = title
    if "owner_id" in body:
        changes["owner_id"] = _int("owner_id", body["owner_id"], nullable=False)
        check_user(state, "owner_id", changes["owner_id"])
    for field, kind in (("person_id", "person"), ("organization_id", "organization")):
        if field in body:
            changes[field] = _int(field, body[field])
            check_ref(state, kind, field, changes[field])
    if "label_ids" in body:
        labels = body["label_ids"]
        if not isinstance(labels, list) or not all(isinstance(item, str) for item in labels):
            raise bad_request("Invalid value for 'label_ids': expected an array of lead label UUIDs")
        for label in labels:
            if not UUID_PATTERN.match(label) or state.store.get("leadLabel", label) is None:
                raise bad_request(f"Invalid value for 'label_ids': lead label '{label}' not found")
        changes["label_ids"] = labels
    if "value" in body:
        value = body["value"]
        if value is not None:
            if not isinstance(value, dict) or "amount" not in value or "currency" not in value:
                raise bad_request("Invalid value for 'value': both 'amount' and 'currency' are required")
            amount, currency = value["amount"], value["currency"]
            if isinstance(amount, bool) or not isinstance(amount, int | float):
                raise bad_request("Invalid value for 'value.amount': expected a number")
            if not isinstance(currency, str) or not any(
                c["code"] == currency for c in state.store.all("currency")
            ):
                raise bad_request(f"Invalid value for 'value.currency': unknown currency '{currency}'")
            value = {"amount": amount, "currency": currency}
        changes["value"] = value
    if "expected_close_date" in body:
        date = body["expected_close_date"]
        if date is not None and (not isinstance(date, str) or not timefmt.is_date(date)):
            raise bad_request("Invalid value for 'expected_close_date': use YYYY-MM-DD")
        changes["expected_close_date"] = date
    if "visible_to" in body:
        if body["visible_to"] not in VISIBILITY:
            raise bad_request('Invalid value for \'visible_to\': must be one of "1", "3", "5", "7"')
        changes["visible_to"] = body["visible_to"]
    for field in ("was_seen", "is_archived"):
        if field in body:
            if not isinstance(body[field], bool):
                raise bad_request(f"Invalid value for '{field}': expected a boolean")
            changes[field] = body[field]
    if "is_archived" in changes and existing is None:
        raise bad_request("Parameter 'is_archived' can only be set when updating a lead")
    if "origin_id" in body:
        if body["origin_id"] is not None and not isinstance(body["origin_id"], str):
            raise bad_request("Invalid value for 'origin_id': expected a string")
        changes["origin_id"] = body["origin_id"]
    if "channel" in body:
        changes["channel"] = _int("channel", body["channel"])
    if "channel_id" in body:
        if body["channel_id"] is not None and not isinstance(body["channel_id"], str):
            raise bad_request("Invalid value for 'channel_id': expected a string")
        changes["channel_id"] = body["channel_id"]
    defs = custom_fields.custom_definitions(state.store, "lead")
    for key in body:
        if CUSTOM_FIELD_KEY.match(key) and key not in defs:
            raise bad_request(f"Unknown custom field '{key}'")
    values = custom_fields.from_v1(defs, body)
    if values:
        changes["custom_fields"] = custom_fields.merge((existing or {}).get("custom_fields") or {}, values)
    merged = dict(existing or {}, **changes)
    if merged.get("person_id") is None and merged.get("organization_id") is None:
        raise bad_request(
            "A lead must be linked to a person or an organization: set person_id or organization_id"
        )
    return changes


def load(state: SandboxState, lead_id: str) -> Record:
    """A live lead by UUID, or Pipedrive's lead 404."""
    record = state.store.get("lead", lead_id) if UUID_PATTERN.match(lead_id) else None
    if record is None or record.get("is_deleted"):
        raise LEAD_NOT_FOUND
    return record


def publish_lead(
    state: SandboxState, request: Request, action: str, before: Record | None, after: Record | None
) -> None:
    store = state.store
    record = after or before
    assert record is not None
    publish(
        state,
        request,
        "lead",
        "create" if action == "create" else ("delete" if action == "delete" else "change"),
        record["id"],
        current_v1=v1_shapes.lead_v1(store, after) if after else None,
        previous_v1=v1_shapes.lead_v1(store, before) if before else None,
        current_v2=v2_shapes.lead_v2(store, after) if after else None,
        previous_v2=v2_shapes.lead_v2(store, before) if before else None,
    )


def _list(request: Request, *, archived: bool) -> Response:
    state = sandbox(request)
    where: dict[str, Any] = {"is_deleted": False, "is_archived": archived}
    filter_id = query_int(request, "filter_id")
    if filter_id is None:
        for param in ("owner_id", "person_id", "organization_id"):
            value = query_int(request, param)
            if value is not None:
                where[param] = value
    since = query_datetime(request, "updated_since")
    if since:
        # the first 19 characters (to the second) of update_time compare >= those of since
        where["update_time"] = Cmp(">=", since[:19])
    sort = request.query_params.get("sort")
    if filter_id is None and not sort:
        start, limit = offset_window(request)
        rows = state.store.query("lead", where=where, order_by=None, limit=limit + 1, offset=start)
        page, pagination = offset_result(start, limit, rows)
        data = [v1_shapes.lead_v1(state.store, lead) for lead in page]
        return ok(data, additional_data={**pagination, "pagination": pagination})
    items = state.store.query("lead", where=where, order_by=None)
    if filter_id is not None:
        items = filter_eval.apply(state, filter_id, "lead", items)
    if sort:
        field, _, direction = sort.strip().partition(" ")
        if field not in SORT_FIELDS or direction.strip().upper() not in ("", "ASC", "DESC"):
            raise bad_request(f"Invalid value for 'sort': must be one of {', '.join(SORT_FIELDS)}")
        items = sorted(
            items,
            key=lambda lead: (lead.get(field) is not None, str(lead.get(field) or "")),
            reverse=direction.strip().upper() == "DESC",
        )
    page, pagination = offset_page(request, items)
    data = [v1_shapes.lead_v1(state.store, lead) for lead in page]
    return ok(data, additional_data={**pagination, "pagination": pagination})


async def list_leads(request: Request) -> Response:
    return _list(request, archived=False)


async def list_archived_leads(request: Request) -> Response:
    return _list(request, archived=True)


async def get_lead(request: Request) -> Response:
    state = sandbox(request)
    return ok(v1_shapes.lead_v1(state.store, load(state, request.path_params["id"])))


def new_lead(user_id: int, now: str) -> Record:
    """A fresh lead record with Pipedrive's defaults (source and origin "API")."""
    lead_id = str(uuid.uuid4())
    return {
        "id": lead_id,
        "title": "",
        "owner_id": user_id,
        "creator_id": user_id,
        "label_ids": [],
        "person_id": None,
        "organization_id": None,
        "source_name": "API",
        "origin": "API",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "source_deal_id": None,
        "is_archived": False,
        "archive_time": None,
        "was_seen": False,
        "value": None,
        "expected_close_date": None,
        "next_activity_id": None,
        "add_time": now,
        "update_time": now,
        "visible_to": "3",
        "cc_email": f"sandbox+lead{lead_id[:8]}@pipedrivemail.com",
        "custom_fields": {},
        "is_deleted": False,
    }


async def add_lead(request: Request) -> Response:
    state = sandbox(request)
    body = await read_v1_body(request)
    changes = _changes(state, body, None)
    now = timefmt.iso_millis(state.clock.now())
    record = new_lead(principal(request).user_id, now)
    record.update(changes)
    state.store.put("lead", record)
    publish_lead(state, request, "create", None, record)
    return ok(v1_shapes.lead_v1(state.store, record), status=201)


async def update_lead(request: Request) -> Response:
    state = sandbox(request)
    before = load(state, request.path_params["id"])
    body = await read_v1_body(request)
    if before.get("is_archived") and body.get("is_archived") is not False:
        raise bad_request("An archived lead cannot be edited; unarchive it first (is_archived: false)")
    changes = _changes(state, body, before)
    record = dict(before, **changes)
    if record != before:
        record["update_time"] = timefmt.iso_millis(state.clock.now())
        if changes.get("is_archived") is True:
            record["archive_time"] = now_iso(state)
        elif changes.get("is_archived") is False:
            record["archive_time"] = None
    state.store.put("lead", record)
    publish_lead(state, request, "change", before, record)
    return ok(v1_shapes.lead_v1(state.store, record))


async def delete_lead(request: Request) -> Response:
    state = sandbox(request)
    before = load(state, request.path_params["id"])
    state.store.remove("lead", before["id"])
    publish_lead(state, request, "delete", before, None)
    return ok({"id": before["id"]})


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/leads", list_leads, ["GET"]),
        *v1_routes("/leads", add_lead, ["POST"]),
        *v1_routes("/leads/archived", list_archived_leads, ["GET"]),
        *v1_routes("/leads/{id}", get_lead, ["GET"]),
        *v1_routes("/leads/{id}", update_lead, ["PATCH"]),
        *v1_routes("/leads/{id}", delete_lead, ["DELETE"]),
    ]
