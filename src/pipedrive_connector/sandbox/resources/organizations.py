"""Organizations: API v2 CRUD and the legacy v1 CRUD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from pipedrive_connector.sandbox.errors import bad_request, validation_failed
from pipedrive_connector.sandbox.resources.entity import (
    CHILD_RESOURCES,
    EntityResource,
    ListQuery,
    check_user,
    owner_and_first_char,
    v1_time,
)
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import F, coerce_v1_int, coerce_v1_str

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

VISIBILITY = (1, 3, 5, 7)
ADDRESS_PARTS = (
    "value", "country", "admin_area_level_1", "admin_area_level_2", "locality", "sublocality", "route",
    "street_number", "subpremise", "postal_code",
)  # fmt: skip

ORGANIZATION_FIELDS: dict[str, F] = {
    "name": F("string"),
    "owner_id": F("integer"),
    "add_time": F("datetime"),
    "visible_to": F("integer", choices=VISIBILITY),
    "label_ids": F("int_list"),
    "address": F("object", nullable=True),
    "website": F("string", nullable=True),
    "linkedin": F("string", nullable=True),
    "industry": F("integer", nullable=True),
    "annual_revenue": F("integer", nullable=True),
    "employee_count": F("integer", nullable=True),
    "custom_fields": F("object"),
}


def v2_address(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    unknown = set(value) - set(ADDRESS_PARTS)
    if unknown:
        raise validation_failed("address", f"Unknown address part '{sorted(unknown)[0]}'")
    for key, part in value.items():
        if part is not None and not isinstance(part, str):
            raise validation_failed("address", f"'{key}' must be a string")
    if not value.get("value"):
        raise validation_failed("address", "'value' is required")
    return {key: value.get(key) for key in ADDRESS_PARTS if value.get(key) is not None}


class Organizations(EntityResource):
    kind = "organization"
    plural = "organizations"
    label = "Organization"
    v2_fields = ORGANIZATION_FIELDS
    v2_required = ("name",)
    v2_int_filters = {"owner_id": "owner_id"}

    def defaults(self, state: SandboxState, user_id: int, now: str) -> Record:
        return {
            "id": 0, "name": "", "owner_id": user_id, "add_time": now, "update_time": now, "address": None,
            "is_deleted": False, "visible_to": 3, "label_ids": [], "website": None, "linkedin": None,
            "industry": None, "annual_revenue": None, "employee_count": None, "custom_fields": {},
        }  # fmt: skip

    def changes_from_v2(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes = {key: value for key, value in body.items() if key != "custom_fields"}
        if "name" in changes and not changes["name"].strip():
            raise validation_failed("name", "Must not be empty")
        if "address" in changes:
            changes["address"] = v2_address(changes["address"])
        if changes.get("add_time"):
            changes["add_time"] = v1_time(state, "add_time", changes["add_time"])
        check_user(state, "owner_id", changes.get("owner_id"))
        return changes

    def changes_from_v1(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if existing is None or "name" in body:
            name = coerce_v1_str("name", body.get("name"))
            if not name or not name.strip():
                raise bad_request(
                    "Parameter 'name' is required" if existing is None else "Name cannot be empty"
                )
            changes["name"] = name
        if "owner_id" in body:
            changes["owner_id"] = coerce_v1_int("owner_id", body["owner_id"])
        if "address" in body:
            address = coerce_v1_str("address", body["address"])
            changes["address"] = {"value": address} if address else None
        if "visible_to" in body:
            visible = coerce_v1_int("visible_to", body["visible_to"])
            if visible is not None and visible not in VISIBILITY:
                raise bad_request("Invalid value for 'visible_to': must be 1, 3, 5 or 7")
            if visible is not None:
                changes["visible_to"] = visible
        if "label" in body:
            label = coerce_v1_int("label", body["label"])
            changes["label_ids"] = [label] if label is not None else []
        if "label_ids" in body:
            raw = body["label_ids"]
            items = raw if isinstance(raw, list) else [raw]
            changes["label_ids"] = [
                coerce_v1_int("label_ids", item) for item in items if item not in (None, "")
            ]
        if "add_time" in body:
            changes["add_time"] = v1_time(state, "add_time", body["add_time"])
        check_user(state, "owner_id", changes.get("owner_id"))
        return changes

    def v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return v1_shapes.organization_v1(state.store, record)

    def v1_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        super().v1_list_where(request, state, query)
        owner_and_first_char(request, query)


ORGANIZATIONS = Organizations()
ORGANIZATIONS.children = {
    "deals": ("deal", "org_id"),
    "persons": ("person", "org_id"),
    "activities": ("activity", "org_id"),
}
CHILD_RESOURCES[ORGANIZATIONS.kind] = ORGANIZATIONS
