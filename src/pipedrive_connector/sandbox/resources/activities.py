"""Activities: API v2 CRUD and the legacy v1 CRUD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, validation_failed
from pipedrive_connector.sandbox.resources.entity import (
    CHILD_RESOURCES,
    EntityResource,
    ListQuery,
    check_ref,
    check_user,
)
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.store import Cmp, Record
from pipedrive_connector.sandbox.validation import (
    UUID_PATTERN,
    F,
    coerce_v1_bool,
    coerce_v1_int,
    coerce_v1_str,
    query_bool,
    query_int,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

ACTIVITY_TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")

ACTIVITY_FIELDS: dict[str, F] = {
    "subject": F("string"),
    "type": F("string"),
    "owner_id": F("integer"),
    "deal_id": F("integer", nullable=True),
    "lead_id": F("string", nullable=True),
    "person_id": F("integer", nullable=True),
    "org_id": F("integer", nullable=True),
    "project_id": F("integer", nullable=True),
    "due_date": F("date", nullable=True),
    "due_time": F("time", nullable=True),
    "duration": F("time", nullable=True),
    "busy": F("boolean"),
    "done": F("boolean"),
    "location": F("object", nullable=True),
    "participants": F("array"),
    "attendees": F("array"),
    "public_description": F("string", nullable=True),
    "priority": F("integer", nullable=True),
    "note": F("string", nullable=True),
}


def check_type(field_type: Any, *, v2: bool) -> None:
    if field_type not in ACTIVITY_TYPES:
        message = f"'{field_type}' is not a known activity type ({', '.join(ACTIVITY_TYPES)})"
        raise (
            validation_failed("type", message) if v2 else bad_request(f"Invalid value for 'type': {message}")
        )


class Activities(EntityResource):
    kind = "activity"
    plural = "activities"
    label = "Activity"
    v2_fields = ACTIVITY_FIELDS
    v2_sort_fields = ("id", "update_time", "add_time", "due_date")
    v2_int_filters = {
        "owner_id": "owner_id",
        "deal_id": "deal_id",
        "person_id": "person_id",
        "org_id": "org_id",
    }

    def defaults(self, state: SandboxState, user_id: int, now: str) -> Record:
        return {
            "id": 0, "subject": "Call", "type": "call", "owner_id": user_id, "creator_user_id": user_id,
            "is_deleted": False, "add_time": now, "update_time": now, "deal_id": None, "lead_id": None,
            "person_id": None, "org_id": None, "project_id": None, "due_date": now[:10], "due_time": None,
            "duration": None, "busy": False, "done": False, "marked_as_done_time": None, "location": None,
            "participants": [], "attendees": [], "public_description": None, "priority": None, "note": None,
        }  # fmt: skip

    def _check_refs(self, state: SandboxState, changes: dict[str, Any]) -> None:
        check_user(state, "owner_id", changes.get("owner_id"))
        check_ref(state, "deal", "deal_id", changes.get("deal_id"))
        check_ref(state, "person", "person_id", changes.get("person_id"))
        check_ref(state, "organization", "org_id", changes.get("org_id"))
        lead_id = changes.get("lead_id")
        if lead_id is not None and (
            not UUID_PATTERN.match(str(lead_id)) or state.store.get("lead", lead_id) is None
        ):
            raise bad_request(f"Invalid value for 'lead_id': lead {lead_id} not found")

    def changes_from_v2(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes = dict(body)
        if "type" in changes:
            check_type(changes["type"], v2=True)
        if "participants" in changes:
            participants = []
            for item in changes["participants"]:
                if not isinstance(item, dict) or not isinstance(item.get("person_id"), int):
                    raise validation_failed(
                        "participants", "Expected objects {person_id: integer, primary: boolean}"
                    )
                primary = item.get("primary", False)
                if not isinstance(primary, bool):
                    raise validation_failed("participants", "'primary' must be a boolean")
                check_ref(state, "person", "participants", item["person_id"])
                participants.append({"person_id": item["person_id"], "primary": primary})
            changes["participants"] = participants
            primary_person = next((p["person_id"] for p in participants if p["primary"]), None)
            if primary_person is not None:
                changes["person_id"] = primary_person
        if (
            "location" in changes
            and changes["location"] is not None
            and not isinstance(changes["location"].get("value"), str)
        ):
            raise validation_failed("location", "'value' is required and must be a string")
        self._check_refs(state, changes)
        return changes

    def changes_from_v1(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for field in ("subject", "public_description", "note"):
            if field in body:
                changes[field] = coerce_v1_str(field, body[field])
        if "type" in body:
            check_type(body["type"], v2=False)
            changes["type"] = body["type"]
        for field, target in (("user_id", "owner_id"), ("deal_id", "deal_id"), ("person_id", "person_id"),
                              ("org_id", "org_id"), ("project_id", "project_id")):  # fmt: skip
            if field in body:
                changes[target] = coerce_v1_int(field, body[field])
        if "lead_id" in body:
            changes["lead_id"] = coerce_v1_str("lead_id", body["lead_id"]) or None
        if "due_date" in body:
            due = coerce_v1_str("due_date", body["due_date"])
            if due and not timefmt.is_date(due):
                raise bad_request("Invalid value for 'due_date': use YYYY-MM-DD")
            changes["due_date"] = due or None
        for field in ("due_time", "duration"):
            if field in body:
                value = coerce_v1_str(field, body[field])
                if value and not timefmt.is_time(value):
                    raise bad_request(f"Invalid value for '{field}': use HH:MM")
                changes[field] = value or None
        if "busy_flag" in body:
            changes["busy"] = bool(coerce_v1_bool("busy_flag", body["busy_flag"]))
        if "done" in body:
            changes["done"] = bool(coerce_v1_bool("done", body["done"]))
        if "location" in body:
            location = coerce_v1_str("location", body["location"])
            changes["location"] = {"value": location} if location else None
        if "participants" in body and isinstance(body["participants"], list):
            changes["participants"] = [
                {
                    "person_id": coerce_v1_int("participants", p.get("person_id")),
                    "primary": bool(p.get("primary_flag")),
                }
                for p in body["participants"]
                if isinstance(p, dict)
            ]
        self._check_refs(state, changes)
        return changes

    def finish(self, state: SandboxState, record: Record, before: Record | None, now: str) -> None:
        if record.get("done") and not (before or {}).get("done"):
            record["marked_as_done_time"] = now
        if not record.get("done"):
            record["marked_as_done_time"] = None
        if record.get("deal_id") and record.get("deal_id") != (before or {}).get("deal_id"):
            deal = state.store.get("deal", record["deal_id"]) or {}
            record["person_id"] = record.get("person_id") or deal.get("person_id")
            record["org_id"] = record.get("org_id") or deal.get("org_id")
        if record.get("person_id") and not record.get("participants"):
            record["participants"] = [{"person_id": record["person_id"], "primary": True}]

    def v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return v1_shapes.activity_v1(state.store, record)

    def v2_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        super().v2_list_where(request, state, query)
        lead_id = request.query_params.get("lead_id")
        if lead_id:
            query.add("lead_id", lead_id)
        done = query_bool(request, "done")
        if done is not None:
            query.add("done", done)

    def v1_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        super().v1_list_where(request, state, query)
        user_id = query_int(request, "user_id")
        if user_id:
            query.add("owner_id", user_id)
        types = request.query_params.get("type")
        if types:
            query.add("type", sorted({part.strip() for part in types.split(",")}))
        done = query_bool(request, "done")
        if done is not None:
            query.add("done", done)
        for name, op in (("start_date", ">="), ("end_date", "<=")):
            bound = request.query_params.get(name)
            if bound:
                if not timefmt.is_date(bound):
                    raise bad_request(f"Invalid value for '{name}': use YYYY-MM-DD")
                query.add("due_date", Cmp(op, bound))


ACTIVITIES = Activities()
CHILD_RESOURCES[ACTIVITIES.kind] = ACTIVITIES
