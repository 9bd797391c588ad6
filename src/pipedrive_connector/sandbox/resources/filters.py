"""Saved filters (v1): list, get, add, delete. ``filter_id`` on list endpoints evaluates them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import path_int, query_choice, query_int_list, read_v1_body

FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")
OPERATORS = (
    "IS NOT NULL",
    "IS NULL",
    "<=",
    ">=",
    "<",
    ">",
    "!=",
    "=",
    "LIKE '$%'",
    "LIKE '%$%'",
    "NOT LIKE '$%'",
)


def _summary(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "conditions"}


def _load(request: Request) -> Record:
    record = sandbox(request).store.get("filter", path_int(request))
    if record is None or not record.get("active_flag", True):
        raise not_found("Filter not found")
    return record


def _check_conditions(conditions: Any) -> None:
    if not isinstance(conditions, dict) or not isinstance(conditions.get("conditions"), list):
        raise bad_request("Invalid value for 'conditions': expected {glue, conditions: [...]}")
    count = 0
    for group in conditions["conditions"]:
        if not isinstance(group, dict) or not isinstance(group.get("conditions"), list):
            raise bad_request("Invalid value for 'conditions': each group needs {glue, conditions: [...]}")
        for condition in group["conditions"]:
            count += 1
            if not isinstance(condition, dict) or condition.get("operator") not in OPERATORS:
                raise bad_request(f"Invalid condition: operator must be one of {', '.join(OPERATORS)}")
    if count > 16:
        raise bad_request("Invalid value for 'conditions': at most 16 conditions are allowed")


async def list_filters(request: Request) -> Response:
    state = sandbox(request)
    filter_type = query_choice(request, "type", FILTER_TYPES)
    items = [f for f in state.store.all("filter") if f.get("active_flag", True)]
    if filter_type:
        items = [f for f in items if f["type"] == filter_type]
    return ok([_summary(f) for f in items])


async def get_filter(request: Request) -> Response:
    return ok(_load(request))


async def add_filter(request: Request) -> Response:
    state = sandbox(request)
    body = await read_v1_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Parameter 'name' is required")
    if body.get("type") not in FILTER_TYPES:
        raise bad_request(f"Invalid value for 'type': must be one of {', '.join(FILTER_TYPES)}")
    _check_conditions(body.get("conditions"))
    now = timefmt.v1(timefmt.iso(state.clock.now()))
    record = {
        "id": state.store.next_id("filter"), "name": name, "active_flag": True, "type": body["type"],
        "temporary_flag": None, "user_id": principal(request).user_id, "add_time": now, "update_time": now,
        "visible_to": "1", "custom_view_id": None, "filter_code": None, "is_editable": True,
        "last_used_time": None, "conditions": body["conditions"],
    }  # fmt: skip
    state.store.put("filter", record)
    return ok(record)


async def update_filter(request: Request) -> Response:
    state = sandbox(request)
    record = _load(request)
    body = await read_v1_body(request)
    _check_conditions(body.get("conditions"))
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        raise bad_request("Invalid value for 'name': must be a non-empty string")
    updated = dict(
        record,
        name=body.get("name", record["name"]),
        conditions=body["conditions"],
        update_time=timefmt.v1(timefmt.iso(state.clock.now())),
    )
    state.store.put("filter", updated)
    return ok(updated)


async def delete_filter(request: Request) -> Response:
    state = sandbox(request)
    record = _load(request)
    state.store.put("filter", dict(record, active_flag=False))
    return ok({"id": record["id"]})


async def delete_filters(request: Request) -> Response:
    """``DELETE /v1/filters?ids=1,2``: marks every listed filter deleted (all must exist)."""
    state = sandbox(request)
    ids = query_int_list(request, "ids")
    if not ids:
        raise bad_request("Parameter 'ids' is required")
    found = []
    for filter_id in ids:
        record = state.store.get("filter", filter_id)
        if record is None or not record.get("active_flag", True):
            raise not_found(f"Filter {filter_id} not found")
        found.append(record)
    with state.db_lock:
        for record in found:
            state.store.put("filter", dict(record, active_flag=False))
    return ok({"id": [record["id"] for record in found]})


_COMPARISONS = {"=": "is", "!=": "is not", ">": "is more than", "<": "is less than",
                ">=": "is more or equal to", "<=": "is less or equal to"}  # fmt: skip
_EMPTINESS = {"IS NULL": "is empty", "IS NOT NULL": "is not empty"}
_TEXT = {"=": "is", "!=": "is not", "LIKE '$%'": "starts with", "LIKE '%$%'": "contains",
         "NOT LIKE '$%'": "does not start with", **_EMPTINESS}  # fmt: skip
_DATES = {"=": "is", "!=": "is not", "<": "is before", ">": "is after", ">=": "is exactly or after than",
          "<=": "is exactly or before than", **_EMPTINESS}  # fmt: skip
FILTER_HELPERS: dict[str, Any] = {
    "operators": {
        "int": {**_COMPARISONS, **_EMPTINESS},
        "double": {**_COMPARISONS, **_EMPTINESS},
        "monetary": {**_COMPARISONS, **_EMPTINESS},
        "date": _DATES,
        "time": _DATES,
        "varchar": _TEXT,
        "text": _TEXT,
        "enum": {"=": "is", "!=": "is not", **_EMPTINESS},
        "set": {"=": "is", "!=": "is not", **_EMPTINESS},
        "user": {"=": "is", "!=": "is not", **_EMPTINESS},
        "stage": {"=": "is", "!=": "is not"},
        "status": {"=": "is", "!=": "is not"},
    },
    "deprecated_operators": {},
    "relative_dates": {},  # saved filters here compare with fixed dates only
    "address_field_components": {
        "value": "Full/combined address",
        "country": "Country",
        "admin_area_level_1": "State/County",
        "admin_area_level_2": "Region",
        "locality": "City/town/village/locality",
        "sublocality": "Sublocality",
        "route": "Street/road name",
        "street_number": "House number",
        "postal_code": "ZIP/Postal code",
    },
}


async def filter_helpers(request: Request) -> Response:
    """``GET /v1/filters/helpers``: the operators each field type accepts (those the sandbox evaluates)."""
    return ok(FILTER_HELPERS)


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/filters/helpers", filter_helpers, ["GET"]),
        *v1_routes("/filters", delete_filters, ["DELETE"]),
        *v1_routes("/filters", list_filters, ["GET"]),
        *v1_routes("/filters", add_filter, ["POST"]),
        *v1_routes("/filters/{id}", get_filter, ["GET"]),
        *v1_routes("/filters/{id}", update_filter, ["PUT"]),
        *v1_routes("/filters/{id}", delete_filter, ["DELETE"]),
    ]
