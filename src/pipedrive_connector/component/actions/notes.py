"""Note actions: getNotes, addNote, getNote, updateNote, deleteNote (notes exist only in API v1)."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import (
    Entity,
    delete_item,
    get_item,
    list_items,
    pick,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    S,
    boolean,
    limit,
    loaded,
    obj,
    record_id,
    sort_text,
    start,
    text,
)
from pipedrive_connector.component.calls import Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.model import Action, Property

NOTES = Entity("note", "/v1/notes", None)
# What a note can be attached to, and the v1 flag that pins it there.
TARGETS = {"deal_id": "deal", "person_id": "person", "org_id": "organization", "lead_id": "lead"}


def _targets() -> tuple[Property, ...]:
    return (
        loaded("deal_id", "Deal ID", "deals", "The deal the note is attached to."),
        loaded("person_id", "Person ID", "persons", "The person the note is attached to."),
        loaded("org_id", "Organization ID", "organizations", "The organization the note is attached to."),
        loaded(
            "lead_id", "Lead ID", "leads", "The lead (UUID) the note is attached to.", type=S, format="uuid"
        ),
    )


def _pins() -> tuple[Property, ...]:
    return tuple(
        boolean(f"pinned_to_{kind}_flag", f"Pinned To {kind.capitalize()}", f"Pin the note to its {kind}.")
        for kind in TARGETS.values()
    )


def _fields(content_required: bool) -> tuple[Property, ...]:
    return (
        text(
            "content", "Content", "The content of the note in HTML.", required=content_required, min_length=1
        ),
        *_targets(),
        loaded("user_id", "User ID", "users", "The author of the note (default: you)."),
        *_pins(),
    )


def _body(fields: dict[str, Any]) -> dict[str, Any]:
    body = pick(fields, "content", *TARGETS, "user_id")
    for kind in TARGETS.values():
        flag = f"pinned_to_{kind}_flag"
        if fields.get(flag) is not None:
            body[flag] = 1 if fields[flag] else 0
    return body


def check_attached(inputs: dict[str, Any], api_version: str) -> None:
    note = inputs.get("note") or {}
    if not any(note.get(name) is not None for name in TARGETS):
        raise ValidationError("note", "a note needs one of deal_id, person_id, org_id or lead_id")


def check_pinned(inputs: dict[str, Any], api_version: str) -> None:
    if inputs.get("pinned") is not None and not any(inputs.get(name) is not None for name in TARGETS):
        raise ValidationError("pinned", "needs one of deal_id, person_id, org_id or lead_id to filter on")


def get_notes(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, *TARGETS, "user_id", "sort")
    if inputs.get("pinned") is not None:
        for name, kind in TARGETS.items():
            if inputs.get(name) is not None:
                params[f"pinned_to_{kind}_flag"] = 1 if inputs["pinned"] else 0
    return (yield from list_items(ctx, NOTES, params, params, inputs.get("start", 0), inputs.get("limit")))


def add_note(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from write_item(ctx, NOTES, _body(inputs["note"]), None, "note"))


def update_note(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from write_item(ctx, NOTES, _body(inputs["note"]), None, "note", item_id=inputs["id"]))


def get_note(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, NOTES, inputs["id"]))


def delete_note(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, NOTES, inputs["id"]))


ACTIONS = (
    Action(
        name="getNotes",
        title="Get all notes",
        description="Returns notes, optionally only those of one deal, person, organization or lead.",
        resource="notes",
        properties=(
            *_targets(),
            loaded("user_id", "User Id", "users", "Only notes written by this user."),
            boolean(
                "pinned", "Pinned", "Only notes pinned (true) or not pinned (false) to the filtered record."
            ),
            start(),
            limit(),
            sort_text(
                "Field and mode, e.g. 'add_time DESC' (id, user_id, deal_id, add_time, update_time ...)."
            ),
        ),
        execute=get_notes,
        output_schema=outputs.many(outputs.NOTE),
        checks=(check_pinned,),
        extra=True,
        read_only=True,
    ),
    Action(
        name="addNote",
        title="Add a note",
        description="Adds a note (HTML) to a deal, person, organization or lead.",
        resource="notes",
        properties=(obj("note", "Add Note Request", "The note to add.", *_fields(True), required=True),),
        execute=add_note,
        output_schema=outputs.one(outputs.NOTE),
        checks=(check_attached,),
        extra=True,
        body_property="note",
    ),
    Action(
        name="getNote",
        title="Get details of a note",
        description="Returns one note.",
        resource="notes",
        properties=(record_id("note", "ID of the note."),),
        execute=get_note,
        output_schema=outputs.one(outputs.NOTE),
        extra=True,
        read_only=True,
    ),
    Action(
        name="updateNote",
        title="Update a note",
        description="Updates a note; only the given fields change.",
        resource="notes",
        properties=(
            record_id("note", "ID of the note to update."),
            obj("note", "Update Note Request", "The fields to change.", *_fields(False), required=True),
        ),
        execute=update_note,
        output_schema=outputs.one(outputs.NOTE),
        extra=True,
        body_property="note",
    ),
    Action(
        name="deleteNote",
        title="Delete a note",
        description="Deletes a note.",
        resource="notes",
        properties=(record_id("note", "ID of the note to delete."),),
        execute=delete_note,
        output_schema=outputs.deleted(),
        extra=True,
        destructive=True,
    ),
)
