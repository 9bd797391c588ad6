"""Call logs (v1): list (the user's), get, add, delete, and one audio recording per call log.

Rules from the spec's descriptions: ``to_phone_number``, ``outcome``, ``start_time`` and ``end_time``
are required (times ``YYYY-MM-DD HH:MM:SS`` UTC); a call log is on a deal or on a lead, not both;
with ``activity_id`` (a ``call`` activity) the deal, person and organization come from the activity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.resources import blobs
from pipedrive_connector.sandbox.resources.common import sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import MERGE_LINKS, v1_time
from pipedrive_connector.sandbox.store import Record

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

TIMES = ("start_time", "end_time")


class CallLogRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {"user_id": ctx.user_id, "company_id": 1, "has_recording": False}

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        for field in TIMES:
            if field in changes:
                changes[field] = v1_time(ctx.state, field, changes[field])
        duration = changes.get("duration")
        if duration is not None and not (duration.isascii() and duration.isdigit()):
            raise bad_request(f"Invalid value for 'duration': seconds as digits, got '{duration}'")
        if changes.get("deal_id") is not None and changes.get("lead_id") is not None:
            raise bad_request("A call log is on a deal or on a lead, not both: pass deal_id or lead_id")
        activity_id = changes.get("activity_id")
        if activity_id is not None:
            activity = ctx.state.store.get("activity", activity_id)
            if activity is None or activity.get("is_deleted"):
                raise bad_request(f"Invalid value for 'activity_id': activity {activity_id} not found")
            if activity.get("type") != "call":
                raise bad_request(f"Invalid value for 'activity_id': activity {activity_id} is not a call")
            for field in ("deal_id", "person_id", "org_id"):
                changes[field] = activity.get(field)
            changes.setdefault("subject", activity.get("subject"))
        return changes

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if record["end_time"] < record["start_time"]:
            raise bad_request("Invalid value for 'end_time': the call cannot end before it starts")

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {field: timefmt.v1(record.get(field)) for field in TIMES}

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        if action == "delete" and record.get("_recording"):
            blobs.blobs(ctx.state).remove(record["_recording"])


CALL_LOGS = DeclaredResource(
    Declaration(
        kind="callLog",
        label="Call log",
        v1_path="/callLogs",
        v1_ops=("list", "get", "add"),
        id_type="hex",
        own_field="user_id",  # GET /callLogs: the requesting user's call logs
        refs={
            "user_id": "user",
            "deal_id": "deal",
            "person_id": "person",
            "org_id": "organization",
            "lead_id": "lead",
        },
        hooks=CallLogRules(),
    )
)

# A merged deal's, person's or organization's call logs move to the surviving one (v1 merge).
for _kind, _field in (("deal", "deal_id"), ("person", "person_id"), ("organization", "org_id")):
    MERGE_LINKS[_kind] = (*MERGE_LINKS.get(_kind, ()), ("callLog", _field))


async def delete_call_log(request: Request) -> Response:
    """``DELETE /v1/callLogs/{id}``: ``{success: true}`` only (the related activity stays)."""
    state = sandbox(request)
    before = CALL_LOGS.load(state, request)
    CALL_LOGS.delete(CALL_LOGS.ctx(state, request), before)
    return JSONResponse({"success": True})


async def add_recording(request: Request) -> Response:
    """``POST /v1/callLogs/{id}/recordings``: the multipart ``file`` (audio) becomes the call's
    recording; a second one is a 409, as the spec documents."""
    state = sandbox(request)
    before = CALL_LOGS.load(state, request)
    if before.get("has_recording"):
        raise ApiError(409, "A recording for this call already exists")
    stored = await blobs.receive_file(request)
    if not stored.mime_type.startswith("audio/"):
        blobs.blobs(state).remove(stored.token)
        raise bad_request(f"Invalid value for 'file': expected an audio file, got {stored.mime_type}")
    changes = {"has_recording": True, "_recording": stored.token}
    CALL_LOGS.update(CALL_LOGS.ctx(state, request), before, changes)
    return JSONResponse({"success": True})


def routes() -> list[BaseRoute]:
    return [
        *CALL_LOGS.routes(),
        *v1_routes("/callLogs/{id}", delete_call_log, ["DELETE"]),
        *v1_routes("/callLogs/{id}/recordings", add_recording, ["POST"]),
    ]
