"""Notes (v1) on deals, persons, organizations, leads, projects and tasks; note comments; noteFields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine.declared import (
    Ctx,
    Declaration,
    DeclaredResource,
    Filter,
    Hooks,
    Parent,
)
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.pagination import offset_page
from pipedrive_connector.sandbox.resources.common import ok, v1_routes
from pipedrive_connector.sandbox.resources.entity import MERGE_LINKS, v1_time
from pipedrive_connector.sandbox.store import Record

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

# The things a note can be attached to: id field → (kind, pinned flag, summary object, its title key).
TARGETS = {
    "deal_id": ("deal", "pinned_to_deal_flag", "deal", "title"),
    "person_id": ("person", "pinned_to_person_flag", "person", "name"),
    "org_id": ("organization", "pinned_to_organization_flag", "organization", "name"),
    "lead_id": ("lead", "pinned_to_lead_flag", "lead", "title"),
    "project_id": ("project", "pinned_to_project_flag", "project", "title"),
    "task_id": ("task", "pinned_to_task_flag", "task", "title"),
}


def _user_summary(state: SandboxState, user_id: Any, viewer_id: int = 1) -> dict[str, Any] | None:
    user = state.store.get("user", user_id) if user_id is not None else None
    if user is None:
        return None
    return {
        "email": user.get("email"),
        "name": user.get("name"),
        "icon_url": user.get("icon_url"),
        "is_you": user["id"] == viewer_id,
    }


class NoteRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        flags = {flag: False for _, flag, _, _ in TARGETS.values()}
        return {"active_flag": True, "user_id": ctx.user_id, "last_update_user_id": ctx.user_id, **flags}

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "add_time" in changes:
            changes["add_time"] = v1_time(ctx.state, "add_time", changes["add_time"]) or ctx.now
        if "content" in changes and not str(changes["content"] or "").strip():
            raise bad_request("Parameter 'content' is required and cannot be empty")
        if before is not None:
            changes["last_update_user_id"] = ctx.user_id
        return changes

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if not any(record.get(field) is not None for field in TARGETS):
            raise bad_request(
                "A note must be attached to a deal, person, organization, lead, project or task: "
                "pass one of deal_id, person_id, org_id, lead_id, project_id, task_id"
            )
        for field, (_, flag, _, _) in TARGETS.items():
            if record.get(flag) and record.get(field) is None:
                raise bad_request(f"Parameter '{flag}' needs '{field}': a note is pinned to what it is on")

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        extra: dict[str, Any] = {"user": _user_summary(state, record.get("user_id"))}
        for field, (kind, _, summary, title) in TARGETS.items():
            target = state.store.get(kind, record[field]) if record.get(field) is not None else None
            extra[summary] = {title: target.get(title)} if target else None
        # The spec documents no lead summary and omits the lead pin from responses; Pipedrive sends the pin.
        extra.pop("lead", None)
        extra["pinned_to_lead_flag"] = bool(record.get("pinned_to_lead_flag"))
        return extra


NOTES = DeclaredResource(
    Declaration(
        kind="note",
        label="Note",
        webhook="note",
        v1_path="/notes",
        v1_ops=("list", "get", "add", "update", "delete"),
        refs={field: kind for field, (kind, *_rest) in TARGETS.items()} | {"user_id": "user"},
        filters={
            "user_id": Filter("user_id"),
            "deal_id": Filter("deal_id"),
            "person_id": Filter("person_id"),
            "org_id": Filter("org_id"),
            "lead_id": Filter("lead_id", "uuid"),
            "project_id": Filter("project_id"),
            "task_id": Filter("task_id"),
            "start_date": Filter("add_time", "date", "since"),
            "end_date": Filter("add_time", "date", "until"),
            **{flag: Filter(flag, "bool") for _, flag, _, _ in TARGETS.values()},
        },
        hooks=NoteRules(),
    )
)

# A merged deal's, person's or organization's notes move to the surviving one (v1 merge).
for _kind, _field in (("deal", "deal_id"), ("person", "person_id"), ("organization", "org_id")):
    MERGE_LINKS[_kind] = (*MERGE_LINKS.get(_kind, ()), ("note", _field))


class CommentRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {"active_flag": True, "user_id": ctx.user_id, "updater_id": None, "company_id": 1}

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "content" in changes and not str(changes["content"] or "").strip():
            raise bad_request("Parameter 'content' is required and cannot be empty")
        if before is not None:
            changes["updater_id"] = ctx.user_id
        return changes

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {"object_id": str(record["_note_id"]), "object_type": "note"}


NOTE_COMMENTS = DeclaredResource(
    Declaration(
        kind="noteComment",
        label="Comment",
        v1_path="/notes/{id}/comments",
        v1_ops=("list", "get", "add", "update", "delete"),
        id_type="uuid",
        id_key="uuid",
        item_param="commentId",
        parent=Parent(kind="note", label="Note", field="_note_id"),
        hooks=CommentRules(),
    )
)

# GET /v1/noteFields: the fields of a note (none can be added: notes have no custom fields). Only
# types both of the spec's field_type enums allow (so no "deal", "lead" or "project" typed fields).
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("content", "Content", "text"),
    ("pinned_to_lead_flag", "Note is pinned to lead", "enum"),
    ("pinned_to_deal_flag", "Note is pinned to deal", "enum"),
    ("pinned_to_organization_flag", "Note is pinned to organization", "enum"),
    ("pinned_to_person_flag", "Note is pinned to person", "enum"),
    ("pinned_to_project_flag", "Note is pinned to project", "enum"),
    ("pinned_to_task_flag", "Note is pinned to task", "enum"),
    ("user_id", "Author", "user"),
    ("person_id", "Person", "people"),
    ("org_id", "Organization", "org"),
    ("add_time", "Created", "date"),
    ("update_time", "Updated", "date"),
)


def note_fields() -> list[dict[str, Any]]:
    result = []
    for number, (key, name, field_type) in enumerate(_FIELDS, start=1):
        field: dict[str, Any] = {
            "id": number,
            "key": key,
            "name": name,
            "field_type": field_type,
            "active_flag": True,
            "edit_flag": False,
            "bulk_edit_allowed": key.startswith("pinned_") or key == "content",
            "mandatory_flag": key == "content",
        }
        if field_type == "enum":
            field["options"] = [{"id": 1, "label": "Yes"}, {"id": 0, "label": "No"}]
        result.append(field)
    return result


async def list_note_fields(request: Request) -> Response:
    page, pagination = offset_page(request, note_fields())
    return ok(page, additional_data={"pagination": pagination})


def routes() -> list[BaseRoute]:
    return [
        *NOTE_COMMENTS.routes(),
        *NOTES.routes(),
        *v1_routes("/noteFields", list_note_fields, ["GET"]),
    ]
