"""Deal participants (v1): list, add, delete and their changelog.

A participant is a ``dealParticipant`` record ``{deal_id, person_id, added_by_user_id, add_time,
active_flag}``; every add and removal is logged as a ``dealParticipantChange`` record. As in
Pipedrive, a deal's contact person is its first participant: creating a deal with a ``person_id`` or
changing it to a person who is not yet a participant adds one (the save hook below). Merges carry
participants over: a merged deal's join the survivor, a merged person's deals have the survivor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import relations, timefmt
from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import cursor_result, offset_result, offset_window
from pipedrive_connector.sandbox.resources import changelog
from pipedrive_connector.sandbox.resources.common import now_iso, ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import MERGE_HOOKS, SAVE_HOOKS, check_ref
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import coerce_v1_int, path_int, read_v1_body

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

PARTICIPANT = relations.PARTICIPANT
CHANGE = "dealParticipantChange"


def find_participant(state: SandboxState, deal_id: int, person_id: int) -> Record | None:
    found = state.store.query(PARTICIPANT, where={"deal_id": deal_id, "person_id": person_id}, limit=1)
    return found[0] if found else None


def _log(state: SandboxState, deal_id: int, person_id: int, action: str, actor: int) -> None:
    entry: Record = {"id": state.store.next_id(CHANGE), "deal_id": deal_id, "person_id": person_id}
    entry.update(action=action, actor_user_id=actor, time=now_iso(state))
    state.store.put(CHANGE, entry)


def add_participant(state: SandboxState, deal_id: int, person_id: int, actor: int) -> Record:
    with state.db_lock:
        record: Record = {"id": state.store.next_id(PARTICIPANT), "deal_id": deal_id, "person_id": person_id}
        record.update(added_by_user_id=actor, add_time=now_iso(state), active_flag=True)
        state.store.put(PARTICIPANT, record)
        _log(state, deal_id, person_id, "added", actor)
    return record


def remove_participant(state: SandboxState, record: Record, actor: int) -> None:
    with state.db_lock:
        state.store.remove(PARTICIPANT, record["id"])
        _log(state, record["deal_id"], record["person_id"], "removed", actor)


def move_participants(state: SandboxState, from_deal: int, to_deal: int, actor: int) -> None:
    """A deal merge: the merged deal's participants join the survivor (once each)."""
    for record in state.store.query(PARTICIPANT, where={"deal_id": from_deal}):
        if find_participant(state, to_deal, record["person_id"]) is None:
            add_participant(state, to_deal, record["person_id"], actor)
        remove_participant(state, record, actor)


def _contact_person_participates(
    state: SandboxState, request: Request, kind: str, before: Record | None, record: Record, action: str
) -> None:
    if kind != "deal" or action == "delete":
        return
    person_id = record.get("person_id")
    if person_id is None or person_id == (before or {}).get("person_id"):
        return
    if find_participant(state, record["id"], person_id) is None:
        add_participant(state, record["id"], person_id, principal(request).user_id)


def _participants_follow_merge(
    state: SandboxState, request: Request, kind: str, merged: Record, survivor: Record
) -> None:
    """A merged deal's participants join the survivor; a merged person participates as the survivor."""
    actor = principal(request).user_id
    if kind == "deal":
        move_participants(state, merged["id"], survivor["id"], actor)
    elif kind == "person":
        for record in state.store.query(PARTICIPANT, where={"person_id": merged["id"]}):
            if find_participant(state, record["deal_id"], survivor["id"]) is None:
                add_participant(state, record["deal_id"], survivor["id"], actor)
            remove_participant(state, record, actor)


SAVE_HOOKS.append(_contact_person_participates)
MERGE_HOOKS.append(_participants_follow_merge)


def v1_shape(state: SandboxState, record: Record) -> dict[str, Any]:
    store = state.store
    deal = store.get("deal", record["deal_id"]) or {}
    person = store.get("person", record["person_id"])
    person_ref = v1_shapes.person_ref(store, record["person_id"]) or {}
    return {
        "id": record["id"],
        "person_id": {**person_ref, "company_id": 1},
        "add_time": timefmt.v1(record["add_time"]),
        "active_flag": record["active_flag"],
        "related_item_data": {"deal_id": record["deal_id"], "title": deal.get("title")},
        "person": v1_shapes.person_v1(store, person) if person else None,
        "added_by_user_id": v1_shapes.user_ref(store, record["added_by_user_id"], numeric_flags=True),
        "related_item_type": "deal",
        "related_item_id": record["deal_id"],
    }


async def list_participants(request: Request) -> Response:
    state = sandbox(request)
    deal = changelog.load_live(state, "deal", request)
    start, limit = offset_window(request)
    rows = state.store.query(PARTICIPANT, where={"deal_id": deal["id"]}, offset=start, limit=limit + 1)
    page, pagination = offset_result(start, limit, rows)
    related = v1_shapes.related_objects(state.store, page)  # the rows name their person and deal
    return ok(
        [v1_shape(state, row) for row in page],
        additional_data={"pagination": pagination},
        related_objects=related,
    )


async def add(request: Request) -> Response:
    state = sandbox(request)
    body = await read_v1_body(request)
    person_id = coerce_v1_int("person_id", body.get("person_id"), nullable=False)
    assert person_id is not None
    deal = changelog.load_live(state, "deal", request)
    check_ref(state, "person", "person_id", person_id)
    if find_participant(state, deal["id"], person_id) is not None:
        raise bad_request(f"Invalid value for 'person_id': person {person_id} already participates")
    record = add_participant(state, deal["id"], person_id, principal(request).user_id)
    status = spec_data.response_status("POST /v1/deals/{id}/participants")
    return ok(v1_shape(state, record), status=status)


async def delete(request: Request) -> Response:
    state = sandbox(request)
    deal = changelog.load_live(state, "deal", request)
    record = state.store.get(PARTICIPANT, path_int(request, "deal_participant_id"))
    if record is None or record["deal_id"] != deal["id"]:
        raise not_found("Participant not found")
    remove_participant(state, record, principal(request).user_id)
    return ok({"id": record["id"]})


async def participants_changelog(request: Request) -> Response:
    """``GET /v1/deals/{id}/participantsChangelog``: adds and removals, newest first, cursor pages."""
    state = sandbox(request)
    deal = changelog.load_live(state, "deal", request)
    window = changelog.newest_first_window(request)
    rows = state.store.query(
        CHANGE,
        where={"deal_id": deal["id"]},
        order_by="id",
        descending=True,
        after=window.after,
        limit=window.limit + 1,
    )
    page, cursor = cursor_result(window, rows)
    data = [
        {
            "actor_user_id": row["actor_user_id"],
            "person_id": row["person_id"],
            "action": row["action"],
            "time": timefmt.v1(row["time"]),
        }
        for row in page
    ]
    return ok(data, additional_data={"next_cursor": cursor})


def routes() -> list[BaseRoute]:
    base = "/deals/{id}"
    return [
        *v1_routes(f"{base}/participantsChangelog", participants_changelog, ["GET"]),
        *v1_routes(f"{base}/participants", list_participants, ["GET"]),
        *v1_routes(f"{base}/participants", add, ["POST"]),
        *v1_routes(f"{base}/participants/{{deal_participant_id}}", delete, ["DELETE"]),
    ]
