"""Projects (v1 and v2 CRUD, archive, archived list, permitted users, changelog; v1 tasks, activities,
groups and plan of a project) and project templates (v1 and v2 reads).

A project sits on a board and in one of that board's phases: given only a phase, the board is the
phase's; given only a board (or neither: the template's board, else the first board), the phase is
the board's first. Records hold the v2 names (``person_ids``, ``org_ids``, ``label_ids``); v1 reads
and writes a single ``person_id`` / ``org_id`` and ``labels``. Deleting marks the project
``status: deleted`` (listed again with ``status=deleted``); archiving stamps ``archive_time`` and
moves it from the lists to ``/projects/archived`` (v1: ``include_archived=true``). Pipedrive emits
no project webhooks (the webhooks spec's ``event_object`` has no ``project``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import custom_fields, timefmt
from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Filter, Hooks
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import CursorWindow, cursor_result, decode_cursor, limit_param
from pipedrive_connector.sandbox.resources import activities, search
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.resources.flow import permitted_user_ids
from pipedrive_connector.sandbox.resources.project_boards import BOARD, PHASE, live
from pipedrive_connector.sandbox.resources.tasks import TASKS
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import coerce_v1_int, path_int, query_bool, read_v1_body

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "project"
TEMPLATE = "projectTemplate"
GROUP = "projectGroup"
CHANGE = "projectChange"
# Bookkeeping that is no field change of its own.
NOT_LOGGED = frozenset({"update_time", "status_change_time", "is_archived", "is_deleted"})
STATUSES = ("open", "completed", "canceled")
LISTED_STATUSES = (*STATUSES, "deleted")
# v1 single links → the record's lists
V1_LINKS = {"person_id": "person_ids", "org_id": "org_ids"}


class ProjectRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {
            "status": "open",
            "owner_id": ctx.user_id,
            "description": None,
            "start_date": None,
            "end_date": None,
            "deal_ids": [],
            "person_ids": [],
            "org_ids": [],
            "label_ids": [],
            "health_status": None,
            "custom_fields": {},
            "archive_time": None,
            "is_archived": False,
        }

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        for single, many in V1_LINKS.items():
            if single in changes:
                value = changes.pop(single)
                changes[many] = [] if value is None else [value]
        if "labels" in changes:
            changes["label_ids"] = changes.pop("labels") or []
        template_id = changes.pop("template_id", None)  # used only when creating
        if template_id is not None and before is None:
            template = ctx.state.store.get(TEMPLATE, template_id)
            if template is None:
                raise bad_request(f"Invalid value for 'template_id': template {template_id} not found")
            if changes.get("board_id") is None and changes.get("phase_id") is None:
                changes["board_id"] = template.get("projects_board_id")
        if "title" in changes and not str(changes["title"] or "").strip():
            raise bad_request("Parameter 'title' is required and cannot be empty")
        if "status" in changes and changes["status"] not in STATUSES:
            raise bad_request(
                f"Invalid value for 'status': must be one of {', '.join(STATUSES)} (delete to mark deleted)"
            )
        if "custom_fields" in changes:
            defs = custom_fields.custom_definitions(ctx.state.store, KIND)
            values = custom_fields.validate_v2(defs, changes["custom_fields"] or {})
            changes["custom_fields"] = custom_fields.merge((before or {}).get("custom_fields") or {}, values)
        for name in ("deal_ids", "person_ids", "org_ids", "label_ids"):
            if name in changes:
                changes[name] = _id_list(name, changes[name])
        return changes

    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        place(ctx.state, record, before)
        if before is None or record["status"] != before["status"]:
            record["status_change_time"] = ctx.now

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        if action == "change" and before is not None:
            log_change(ctx, before, record)

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        persons, orgs = record.get("person_ids") or [], record.get("org_ids") or []
        return {
            "person_id": persons[0] if persons else None,
            "org_id": orgs[0] if orgs else None,
            "labels": record.get("label_ids") or [],
            "status_change_time": timefmt.v1(record.get("status_change_time")),
            "archive_time": timefmt.v1(record.get("archive_time")),
        }

    def extra_v2(self, state: SandboxState, record: Record) -> dict[str, Any]:
        defs = custom_fields.custom_definitions(state.store, KIND)
        return {"custom_fields": custom_fields.to_v2(defs, record.get("custom_fields") or {})}


def log_change(ctx: Ctx, before: Record, after: Record) -> None:
    """One changelog entry with the old and new values of the fields the change touched."""
    changed = [
        key
        for key in sorted(set(before) | set(after))
        if key not in NOT_LOGGED and not key.startswith("_") and before.get(key) != after.get(key)
    ]
    if not changed:
        return
    agent = ctx.request.headers.get("user-agent") if ctx.request is not None else None
    entry_id = ctx.state.store.next_id(CHANGE)
    ctx.state.store.put(
        CHANGE,
        {
            "id": entry_id,
            "project_id": after["id"],
            "time": ctx.now,
            "actor_user_id": ctx.user_id,
            "change_source": "api",
            "change_source_user_agent": agent,
            "old_values": {key: before.get(key) for key in changed},
            "new_values": {key: after.get(key) for key in changed},
        },
    )


def _id_list(name: str, raw: Any) -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request(f"Invalid value for '{name}': expected a list of ids")
    ids = [coerce_v1_int(name, item, nullable=False) for item in raw]
    return list(dict.fromkeys(item for item in ids if item is not None))


def place(state: SandboxState, record: Record, before: Record | None) -> None:
    """Settle the project's board and phase (the phase must be one of the board's)."""
    board_id, phase_id = record.get("board_id"), record.get("phase_id")
    new_board = board_id is not None and (before is None or board_id != before.get("board_id"))
    new_phase = phase_id is not None and (before is None or phase_id != before.get("phase_id"))
    if new_phase:
        phase = state.store.get(PHASE, record["phase_id"])
        assert phase is not None  # refs checked it exists
        if new_board and phase["board_id"] != board_id:
            raise bad_request(f"Invalid value for 'phase_id': phase {phase_id} is not on board {board_id}")
        record["board_id"] = phase["board_id"]
        return
    if not new_board and board_id is not None and phase_id is not None:
        return
    if board_id is None:
        boards = live(state, BOARD)
        if not boards:
            raise bad_request("Invalid value for 'board_id': there are no project boards (add one first)")
        board_id = record["board_id"] = boards[0]["id"]
    phases = live(state, PHASE, board_id=board_id)
    if not phases:
        raise bad_request(f"Invalid value for 'board_id': board {board_id} has no phases (add one first)")
    record["phase_id"] = phases[0]["id"]


def _first(record: Record, field: str) -> Any:
    ids = record.get(field) or []
    return ids[0] if ids else None


def _project_texts(state: SandboxState, record: Record) -> dict[str, list[str]]:
    notes = state.store.query("note", where={"project_id": record["id"]}, order_by=None)
    defs = custom_fields.custom_definitions(state.store, KIND)
    return {
        "title": [record["title"]],
        "description": [record["description"]] if record.get("description") else [],
        "notes": [str(note.get("content") or "") for note in notes],
        "custom_fields": custom_fields.searchable_text(defs, record.get("custom_fields") or {}),
    }


def _project_item(
    state: SandboxState, record: Record, include: tuple[str, ...], matched: list[str]
) -> dict[str, Any]:
    phase = state.store.get(PHASE, record["phase_id"]) if record.get("phase_id") else None
    deal = state.store.get("deal", _first(record, "deal_ids")) if record.get("deal_ids") else None
    return {
        "id": record["id"],
        "type": "project",
        "title": record["title"],
        "status": record.get("status"),
        "owner": {"id": record.get("owner_id")},
        "board_id": record.get("board_id"),
        "phase": {"id": phase["id"], "name": phase["name"]} if phase else None,
        "person": search.person_summary(state, _first(record, "person_ids")),
        "organization": search.organization_summary(state, _first(record, "org_ids")),
        "deal": {"id": deal["id"], "title": deal.get("title")} if deal else None,
        "deal_count": len(record.get("deal_ids") or []),
        "end_date": record.get("end_date"),
        "custom_fields": matched,
        "notes": [],
    }


SEARCHABLE = search.Searchable(
    KIND,
    ("custom_fields", "notes", "title", "description"),
    (),
    _project_texts,
    _project_item,
    (),
    list_filters={"person_id": "person_ids", "organization_id": "org_ids"},
)


class Projects(DeclaredResource):
    def list_where(self, state: SandboxState, request: Request) -> dict[str, Any]:
        if request.query_params.get("filter_id"):
            raise bad_request("Parameter 'filter_id' is not supported for projects by the sandbox")
        where = super().list_where(state, request)
        raw = request.query_params.get("status")
        if raw:
            statuses = [part.strip() for part in raw.split(",") if part.strip()]
            unknown = [status for status in statuses if status not in LISTED_STATUSES]
            if unknown:
                raise bad_request(
                    f"Invalid value for 'status': '{unknown[0]}' is not one of {', '.join(LISTED_STATUSES)}"
                )
            where["status"] = statuses
            if "deleted" in statuses:
                where.pop("is_deleted")
        if request.url.path.endswith("/archived"):
            where["is_archived"] = True
        elif not query_bool(request, "include_archived"):
            where["is_archived"] = False
        return where

    def delete(self, ctx: Ctx, before: Record) -> None:
        super().delete(ctx, dict(before, status="deleted", status_change_time=ctx.now))

    async def v1_archive(self, request: Request) -> Response:
        state = sandbox(request)
        return ok(self.v1(state, self._archive(request)))

    async def v2_archive(self, request: Request) -> Response:
        state = sandbox(request)
        return ok(self.v2(state, self._archive(request)))

    def _archive(self, request: Request) -> Record:
        state = sandbox(request)
        before = self.load(state, request)
        if before.get("is_archived"):
            return before
        ctx = self.ctx(state, request)
        return self.update(ctx, before, {"is_archived": True, "archive_time": ctx.now})


PROJECTS = Projects(
    Declaration(
        kind=KIND,
        label="Project",
        v1_path="/projects",
        v1_ops=("list", "get", "add", "update", "delete"),
        v2_path="/projects",
        v2_ops=("list", "get", "add", "update", "delete", "search"),
        v1_cursor=True,
        v2_sort=("id",),
        searchable=SEARCHABLE,
        refs={
            "board_id": BOARD,
            "phase_id": PHASE,
            "owner_id": "user",
            "deal_ids": "deal",
            "person_ids": "person",
            "org_ids": "organization",
        },
        filters={
            "phase_id": Filter("phase_id"),
            "deal_id": Filter("deal_ids", op="includes"),
            "person_id": Filter("person_ids", op="includes"),
            "org_id": Filter("org_ids", op="includes"),
        },
        soft_delete=True,
        hooks=ProjectRules(),
    )
)

TEMPLATES = DeclaredResource(
    Declaration(
        kind=TEMPLATE,
        label="Project template",
        v1_path="/projectTemplates",
        v1_ops=("list", "get"),
        v2_path="/projectTemplates",
        v2_ops=("list", "get"),
        v1_cursor=True,
        v2_sort=("id",),
        soft_delete=True,
    )
)


def _project(request: Request) -> tuple[SandboxState, Record]:
    state = sandbox(request)
    return state, PROJECTS.load(state, request)


async def v2_permitted_users(request: Request) -> Response:
    """Every active user (the sandbox has no visibility groups)."""
    state, _ = _project(request)
    return ok(permitted_user_ids(state))


async def v2_changelog(request: Request) -> Response:
    """Newest change first, cursor-paged."""
    state, project = _project(request)
    window = CursorWindow("id", True, limit_param(request), None)
    cursor = request.query_params.get("cursor")
    if cursor:
        payload = decode_cursor(cursor)
        window = CursorWindow("id", True, window.limit, (payload.get("fieldValue"), payload.get("id")))
    rows = state.store.query(
        CHANGE,
        where={"project_id": project["id"]},
        order_by="id",
        descending=True,
        after=window.after,
        limit=window.limit + 1,
    )
    page, next_cursor = cursor_result(window, rows)
    keys = ("time", "actor_user_id", "change_source", "change_source_user_agent", "old_values", "new_values")
    entries = [{key: entry.get(key) for key in keys} for entry in page]
    return ok(entries, additional_data={"next_cursor": next_cursor})


async def v1_project_tasks(request: Request) -> Response:
    state, project = _project(request)
    return ok([TASKS.v1(state, task) for task in TASKS.rows(state, {"project_id": project["id"]})])


def _activities(state: SandboxState, project_id: int) -> list[Record]:
    where = {"project_id": project_id, "is_deleted": False}
    return state.store.query("activity", where=where, order_by=None)


async def v1_project_activities(request: Request) -> Response:
    state, project = _project(request)
    rows = _activities(state, project["id"])
    return ok([activities.ACTIVITIES.v1(state, activity) for activity in rows])


async def v1_project_groups(request: Request) -> Response:
    state, project = _project(request)
    groups = live(state, GROUP, project_id=project["id"])
    return ok([{key: group.get(key) for key in ("id", "name", "order_nr")} for group in groups])


def _plan_item(record: Record, item_type: str) -> dict[str, Any]:
    return {
        "item_id": record["id"],
        "item_type": item_type,
        "phase_id": record.get("plan_phase_id"),
        "group_id": record.get("plan_group_id"),
    }


async def v1_project_plan(request: Request) -> Response:
    state, project = _project(request)
    items = [_plan_item(task, "task") for task in TASKS.rows(state, {"project_id": project["id"]})]
    items += [_plan_item(activity, "activity") for activity in _activities(state, project["id"])]
    return ok(items)


async def _put_plan(request: Request, kind: str, param: str, label: str) -> Response:
    state, project = _project(request)
    body = await read_v1_body(request)
    item = state.store.get(kind, path_int(request, param))
    if item is None or item.get("is_deleted") or item.get("project_id") != project["id"]:
        raise not_found(f"{label} not found in project {project['id']}")
    changes: dict[str, Any] = {}
    if "phase_id" in body:
        phase_id = coerce_v1_int("phase_id", body["phase_id"])
        phase = state.store.get(PHASE, phase_id) if phase_id is not None else None
        if phase_id is not None and (phase is None or phase["board_id"] != project["board_id"]):
            raise bad_request(f"Invalid value for 'phase_id': phase {phase_id} is not on the project's board")
        changes["plan_phase_id"] = phase_id
    if "group_id" in body:
        group_id = coerce_v1_int("group_id", body["group_id"])
        group = state.store.get(GROUP, group_id) if group_id is not None else None
        if group_id is not None and (group is None or group["project_id"] != project["id"]):
            raise bad_request(f"Invalid value for 'group_id': group {group_id} is not one of the project's")
        changes["plan_group_id"] = group_id
    item = {**item, **changes}
    state.store.put(kind, item)
    return ok(_plan_item(item, "task" if kind == "task" else "activity"))


async def v1_plan_task(request: Request) -> Response:
    return await _put_plan(request, "task", "taskId", "Task")


async def v1_plan_activity(request: Request) -> Response:
    return await _put_plan(request, "activity", "activityId", "Activity")


def routes() -> list[BaseRoute]:
    """After ``project_boards.routes()``: ``/projects/boards`` must not be taken for a project id."""
    return [
        v2_route("/projects/archived", PROJECTS.v2_list, ["GET"]),
        v2_route("/projects/{id}/archive", PROJECTS.v2_archive, ["POST"]),
        v2_route("/projects/{id}/permittedUsers", v2_permitted_users, ["GET"]),
        v2_route("/projects/{id}/changelog", v2_changelog, ["GET"]),
        *v1_routes("/projects/{id}/archive", PROJECTS.v1_archive, ["POST"]),
        *v1_routes("/projects/{id}/tasks", v1_project_tasks, ["GET"]),
        *v1_routes("/projects/{id}/activities", v1_project_activities, ["GET"]),
        *v1_routes("/projects/{id}/groups", v1_project_groups, ["GET"]),
        *v1_routes("/projects/{id}/plan", v1_project_plan, ["GET"]),
        *v1_routes("/projects/{id}/plan/tasks/{taskId}", v1_plan_task, ["PUT"]),
        *v1_routes("/projects/{id}/plan/activities/{activityId}", v1_plan_activity, ["PUT"]),
        *PROJECTS.routes(),
        *TEMPLATES.routes(),
    ]
