"""Persons: API v2 CRUD and the legacy v1 CRUD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from pipedrive_connector.sandbox.errors import bad_request, validation_failed
from pipedrive_connector.sandbox.resources.entity import (
    CHILD_RESOURCES,
    MERGE_HOOKS,
    EntityResource,
    ListQuery,
    check_ref,
    check_user,
    contact_items,
    owner_and_first_char,
    v1_time,
    v2_contact_items,
)
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import F, coerce_v1_int, coerce_v1_str, query_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

VISIBILITY = (1, 3, 5, 7)
MARKETING = ("no_consent", "unsubscribed", "subscribed", "archived")

PERSON_FIELDS: dict[str, F] = {
    "name": F("string"),
    "owner_id": F("integer"),
    "org_id": F("integer", nullable=True),
    "add_time": F("datetime"),
    "emails": F("array"),
    "phones": F("array"),
    "visible_to": F("integer", choices=VISIBILITY),
    "label_ids": F("int_list"),
    "postal_address": F("object", nullable=True),
    "notes": F("string", nullable=True),
    "im": F("array"),
    "birthday": F("date", nullable=True),
    "job_title": F("string", nullable=True),
    "marketing_status": F("string", choices=MARKETING),
    "custom_fields": F("object"),
}


def split_name(name: str) -> tuple[str, str | None]:
    first, _, last = name.strip().partition(" ")
    return first, (last.strip() or None)


class Persons(EntityResource):
    kind = "person"
    plural = "persons"
    label = "Person"
    v2_fields = PERSON_FIELDS
    v2_required = ("name",)
    v2_int_filters = {"owner_id": "owner_id", "org_id": "org_id"}

    def defaults(self, state: SandboxState, user_id: int, now: str) -> Record:
        return {
            "id": 0, "name": "", "first_name": None, "last_name": None, "owner_id": user_id, "org_id": None,
            "add_time": now, "update_time": now, "emails": [], "phones": [], "is_deleted": False,
            "visible_to": 3, "label_ids": [], "picture_id": None, "custom_fields": {},
        }  # fmt: skip

    def changes_from_v2(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes = {key: value for key, value in body.items() if key != "custom_fields"}
        if "name" in changes:
            if not changes["name"].strip():
                raise validation_failed("name", "Must not be empty")
            changes["first_name"], changes["last_name"] = split_name(changes["name"])
        for field in ("emails", "phones", "im"):
            if field in changes:
                changes[field] = v2_contact_items(field, changes[field])
        if changes.get("add_time"):
            changes["add_time"] = v1_time(state, "add_time", changes["add_time"])
        check_user(state, "owner_id", changes.get("owner_id"))
        check_ref(state, "organization", "org_id", changes.get("org_id"))
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
            changes["first_name"], changes["last_name"] = split_name(name)
        if "owner_id" in body:
            changes["owner_id"] = coerce_v1_int("owner_id", body["owner_id"])
        if "org_id" in body:
            changes["org_id"] = coerce_v1_int("org_id", body["org_id"])
        if "email" in body:
            changes["emails"] = contact_items("email", body["email"])
        if "phone" in body:
            changes["phones"] = contact_items("phone", body["phone"])
        if "visible_to" in body:
            visible = coerce_v1_int("visible_to", body["visible_to"])
            if visible is not None and visible not in VISIBILITY:
                raise bad_request("Invalid value for 'visible_to': must be 1, 3, 5 or 7")
            if visible is not None:
                changes["visible_to"] = visible
        if "label" in body:
            label = coerce_v1_int("label", body["label"])
            changes["label_ids"] = [label] if label is not None else []
        if "add_time" in body:
            changes["add_time"] = v1_time(state, "add_time", body["add_time"])
        if "marketing_status" in body:
            status = coerce_v1_str("marketing_status", body["marketing_status"])
            if status not in MARKETING:
                raise bad_request(
                    f"Invalid value for 'marketing_status': must be one of {', '.join(MARKETING)}"
                )
            changes["marketing_status"] = status
        check_user(state, "owner_id", changes.get("owner_id"))
        check_ref(state, "organization", "org_id", changes.get("org_id"))
        return changes

    def v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return v1_shapes.person_v1(state.store, record)

    def v2_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        super().v2_list_where(request, state, query)
        deal_id = query_int(request, "deal_id")
        if deal_id is not None:
            deal = state.store.get("deal", deal_id)
            person_id = deal.get("person_id") if deal is not None else None
            query.add("id", [] if person_id is None else [person_id])

    def v1_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        super().v1_list_where(request, state, query)
        owner_and_first_char(request, query)


PERSONS = Persons()
PERSONS.children = {"deals": ("deal", "person_id"), "activities": ("activity", "person_id")}
CHILD_RESOURCES[PERSONS.kind] = PERSONS


def combine_contacts(
    state: SandboxState, request: Request, kind: str, merged: Record, survivor: Record
) -> None:
    """A person merge keeps both persons' emails, phones and IMs (the survivor's first and primary)."""
    if kind != "person":
        return
    for field in ("emails", "phones", "im"):
        kept = list(survivor.get(field) or [])
        values = {item.get("value") for item in kept}
        extra = [
            dict(item, primary=False) for item in merged.get(field) or [] if item.get("value") not in values
        ]
        if extra:
            survivor[field] = kept + extra if kept else [dict(extra[0], primary=True), *extra[1:]]


MERGE_HOOKS.append(combine_contacts)
