"""Deals: API v2 CRUD and the legacy v1 CRUD, one canonical record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, validation_failed
from pipedrive_connector.sandbox.resources.common import principal, v2_route
from pipedrive_connector.sandbox.resources.entity import (
    CHILD_RESOURCES,
    EntityResource,
    ListQuery,
    check_ref,
    check_user,
    v1_time,
)
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import (
    F,
    coerce_v1_bool,
    coerce_v1_int,
    coerce_v1_number,
    coerce_v1_str,
    query_choice,
    query_int,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

STATUSES = ("open", "won", "lost")
VISIBILITY = (1, 3, 5, 7)

DEAL_FIELDS: dict[str, F] = {
    "title": F("string"),
    "owner_id": F("integer"),
    "person_id": F("integer", nullable=True),
    "org_id": F("integer", nullable=True),
    "pipeline_id": F("integer"),
    "stage_id": F("integer"),
    "value": F("number"),
    "currency": F("string"),
    "is_deleted": F("boolean"),
    "is_archived": F("boolean"),
    "archive_time": F("datetime", nullable=True),
    "status": F("string", choices=STATUSES),
    "probability": F("number", nullable=True),
    "lost_reason": F("string", nullable=True),
    "visible_to": F("integer", choices=VISIBILITY),
    "close_time": F("datetime", nullable=True),
    "won_time": F("datetime"),
    "lost_time": F("datetime"),
    "expected_close_date": F("date", nullable=True),
    "label_ids": F("int_list"),
    "custom_fields": F("object"),
}
TIME_FIELDS = ("archive_time", "close_time", "won_time", "lost_time")


def first_stage(state: SandboxState, pipeline_id: int) -> Record | None:
    """The first live stage of a pipeline (read-only: cached until a stage changes)."""

    def compute() -> Record | None:
        live = {"pipeline_id": pipeline_id, "is_deleted": False}
        stages = state.store.query("stage", where=live, order_by=None)
        return min(stages, key=lambda s: (s.get("order_nr") or 0, s["id"])) if stages else None

    return state.store.memo(("first_stage", pipeline_id), ("stage",), compute)


def opening_stage(state: SandboxState) -> Record | None:
    """Where a deal without stage or pipeline goes: the first stage of the first live pipeline."""

    def compute() -> Record | None:
        pipelines = sorted(
            state.store.query("pipeline", where={"is_deleted": False}, order_by=None),
            key=lambda p: (p.get("order_nr") or 0, p["id"]),
        )
        return first_stage(state, pipelines[0]["id"]) if pipelines else None

    return state.store.memo("opening_stage", ("pipeline", "stage"), compute)


def default_currency(state: SandboxState, user_id: int) -> str:
    user = state.store.get("user", user_id) or {}
    return str(user.get("default_currency") or "EUR")


class Deals(EntityResource):
    kind = "deal"
    plural = "deals"
    label = "Deal"
    v2_fields = DEAL_FIELDS
    v2_required = ("title",)
    v2_int_filters = {
        "owner_id": "owner_id",
        "person_id": "person_id",
        "org_id": "org_id",
        "pipeline_id": "pipeline_id",
        "stage_id": "stage_id",
    }

    def defaults(self, state: SandboxState, user_id: int, now: str) -> Record:
        return {
            "id": 0,
            "title": "",
            "creator_user_id": user_id,
            "owner_id": user_id,
            "value": 0,
            "person_id": None,
            "org_id": None,
            "stage_id": None,
            "pipeline_id": None,
            "currency": default_currency(state, user_id),
            "archive_time": None,
            "add_time": now,
            "update_time": now,
            "stage_change_time": None,
            "status": "open",
            "is_archived": False,
            "is_deleted": False,
            "probability": None,
            "lost_reason": None,
            "visible_to": 3,
            "close_time": None,
            "won_time": None,
            "lost_time": None,
            "first_won_time": None,
            "expected_close_date": None,
            "label_ids": [],
            "origin": "API",
            "origin_id": None,
            "channel": None,
            "channel_id": None,
            "source_lead_id": None,
            "acv": None,
            "arr": None,
            "mrr": None,
            "custom_fields": {},
        }

    def _check_refs(self, state: SandboxState, changes: dict[str, Any]) -> None:
        check_user(state, "owner_id", changes.get("owner_id"))
        check_ref(state, "person", "person_id", changes.get("person_id"))
        check_ref(state, "organization", "org_id", changes.get("org_id"))
        check_ref(state, "pipeline", "pipeline_id", changes.get("pipeline_id"))
        check_ref(state, "stage", "stage_id", changes.get("stage_id"))

    def changes_from_v2(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes = {key: value for key, value in body.items() if key != "custom_fields"}
        if changes.get("is_deleted") is True:
            raise validation_failed("is_deleted", "Use DELETE to delete a deal")
        changes.pop("is_deleted", None)
        if "title" in changes and not str(changes["title"]).strip():
            raise validation_failed("title", "Must not be empty")
        for key in TIME_FIELDS:
            if changes.get(key):
                parsed = timefmt.parse_any_datetime(changes[key])
                changes[key] = timefmt.iso(parsed) if parsed else changes[key]
        self._check_refs(state, changes)
        return changes

    def changes_from_v1(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if existing is None or "title" in body:
            title = coerce_v1_str("title", body.get("title"))
            if not title or not title.strip():
                raise bad_request(
                    "Parameter 'title' is required" if existing is None else "Title cannot be empty"
                )
            changes["title"] = title
        for field, target in (
            ("user_id", "owner_id"),
            ("person_id", "person_id"),
            ("org_id", "org_id"),
            ("pipeline_id", "pipeline_id"),
            ("stage_id", "stage_id"),
            ("origin_id", "origin_id"),
            ("channel", "channel"),
        ):
            if field in body:
                changes[target] = coerce_v1_int(field, body[field])
        if "value" in body:
            changes["value"] = coerce_v1_number("value", body["value"]) or 0
        if "probability" in body:
            changes["probability"] = coerce_v1_number("probability", body["probability"])
        for field in ("currency", "lost_reason", "channel_id"):
            if field in body:
                changes[field] = coerce_v1_str(field, body[field])
        if "status" in body:
            status = coerce_v1_str("status", body["status"])
            if status not in STATUSES:
                raise bad_request(f"Invalid value for 'status': must be one of {', '.join(STATUSES)}")
            changes["status"] = status
        if "visible_to" in body:
            visible = coerce_v1_int("visible_to", body["visible_to"])
            if visible is not None and visible not in VISIBILITY:
                raise bad_request("Invalid value for 'visible_to': must be 1, 3, 5 or 7")
            if visible is not None:
                changes["visible_to"] = visible
        if "label" in body:
            raw = body["label"]
            items = raw if isinstance(raw, list) else ([] if raw in (None, "") else str(raw).split(","))
            changes["label_ids"] = [coerce_v1_int("label", item) for item in items]
        if "is_archived" in body:
            changes["is_archived"] = bool(coerce_v1_bool("is_archived", body["is_archived"]))
        if "expected_close_date" in body:
            date = coerce_v1_str("expected_close_date", body["expected_close_date"])
            if date and not timefmt.is_date(date):
                raise bad_request("Invalid value for 'expected_close_date': use YYYY-MM-DD")
            changes["expected_close_date"] = date or None
        for field in ("add_time", "won_time", "lost_time", "close_time", "archive_time"):
            if field in body:
                changes[field] = v1_time(state, field, body[field])
        self._check_refs(state, changes)
        return changes

    def finish(self, state: SandboxState, record: Record, previous: Record | None, now: str) -> None:
        before: Record = previous or {}
        stage_changed = record.get("stage_id") != before.get("stage_id")
        pipeline_changed = record.get("pipeline_id") != before.get("pipeline_id")
        if stage_changed and record.get("stage_id"):
            chosen = state.store.get("stage", record["stage_id"]) or {}
            record["pipeline_id"] = chosen.get("pipeline_id", record.get("pipeline_id"))
        elif pipeline_changed and record.get("pipeline_id"):
            opening = first_stage(state, record["pipeline_id"])
            record["stage_id"] = opening["id"] if opening else None
        if not record.get("stage_id"):
            stage = opening_stage(state)
            if stage is None:
                raise bad_request("Cannot add a deal: there is no pipeline with stages")
            record["stage_id"], record["pipeline_id"] = stage["id"], stage["pipeline_id"]
        if record.get("stage_id") != before.get("stage_id") and before:
            record["stage_change_time"] = now
        status = record.get("status")
        if status != before.get("status"):
            # Closing sets the status time to now unless the request supplied one.
            if status in ("won", "lost"):
                time_key = f"{status}_time"
                supplied = record.get(time_key) != before.get(time_key) and record.get(time_key)
                record[time_key] = supplied or now
                record["close_time"] = record[time_key]
                record["lost_time" if status == "won" else "won_time"] = None
                if status == "won":
                    record["first_won_time"] = record.get("first_won_time") or record["won_time"]
            else:
                record["won_time"] = record["lost_time"] = record["close_time"] = None
        if record.get("lost_reason") and record.get("status") != "lost":
            raise validation_failed("lost_reason", "Can only be set if deal status is lost")
        if record.get("is_archived") and not record.get("archive_time"):
            record["archive_time"] = now
        if not record.get("is_archived"):
            record["archive_time"] = None

    def v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return v1_shapes.deal_v1(state.store, record)

    def routes(self) -> list[BaseRoute]:
        return [v2_route("/deals/archived", self.v2_list_archived, ["GET"]), *super().routes()]

    def v2_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        raw = request.query_params.get("status")
        if not raw:
            query.add("is_deleted", False)
            return
        wanted = {part.strip() for part in raw.split(",") if part.strip()}
        unknown = wanted - {"open", "won", "lost", "deleted"}
        if unknown:
            raise validation_failed(
                "status", f"'{sorted(unknown)[0]}' is not one of open, won, lost, deleted"
            )
        alive = {"is_deleted": False, "status": sorted(wanted - {"deleted"})}
        query.any_of.extend([{"is_deleted": True}, alive] if "deleted" in wanted else [alive])

    def v1_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        status = query_choice(request, "status", ("open", "won", "lost", "deleted", "all_not_deleted"))
        query.add("is_archived", False)
        query.add("is_deleted", status == "deleted")
        if status in STATUSES:
            query.add("status", status)
        owned = query_choice(request, "owned_by_you", ("0", "1"))
        user_id = query_int(request, "user_id")
        if owned == "1":
            user_id = principal(request).user_id
        if user_id:
            query.add("owner_id", user_id)
        stage_id = query_int(request, "stage_id")
        if stage_id is not None:
            query.add("stage_id", stage_id)


DEALS = Deals()
DEALS.children = {"activities": ("activity", "deal_id")}
CHILD_RESOURCES[DEALS.kind] = DEALS
