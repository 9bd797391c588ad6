"""Project tasks (v1 and v2 CRUD; v1 and v2 lists are cursor-paged).

A task belongs to a project and may be a subtask of another task of the same project. ``done`` and
``milestone`` (0/1 in requests) are stored and answered in v2 as ``is_done`` / ``is_milestone``;
v1 answers ``done`` as 0/1 and the first assignee as ``assignee_id``. Marking a task done stamps
``marked_as_done_time``. Deleting a task deletes its subtasks (the spec's delete description).
Pipedrive emits no task webhooks (the webhooks spec's ``event_object`` has no ``task``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Filter, Hooks
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import F, coerce_v1_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "task"
MAX_TITLE = 255
MAX_ASSIGNEES = 10


class TaskRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {
            "creator_id": ctx.user_id,
            "parent_task_id": None,
            "is_done": False,
            "is_milestone": False,
            "marked_as_done_time": None,
            "description": None,
            "due_date": None,
            "start_date": None,
            "priority": None,
            "assignee_ids": [],
            # The task's place in its project's plan (GET /v1/projects/{id}/plan).
            "plan_phase_id": None,
            "plan_group_id": None,
        }

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "title" in changes:
            title = str(changes["title"] or "").strip()
            if not title or len(title) > MAX_TITLE:
                raise bad_request(f"Invalid value for 'title': 1 to {MAX_TITLE} characters are required")
        for flag, field in (("done", "is_done"), ("milestone", "is_milestone")):
            if flag in changes:
                changes[field] = bool(changes.pop(flag))
        if "assignee_id" in changes or "assignee_ids" in changes:
            changes["assignee_ids"] = _assignees(
                changes.pop("assignee_id", None), changes.get("assignee_ids")
            )
        if (changes.get("priority") or 0) < 0:
            raise bad_request("Invalid value for 'priority': must be 0 or more")
        return changes

    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if not record["is_done"]:
            record["marked_as_done_time"] = None
        elif before is None or not before["is_done"]:
            record["marked_as_done_time"] = ctx.now

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        state = ctx.state
        parent_id = record.get("parent_task_id")
        if parent_id is not None:
            parent = state.store.get(KIND, parent_id)
            assert parent is not None  # refs checked it exists
            if parent["project_id"] != record["project_id"]:
                raise bad_request(
                    f"Invalid value for 'parent_task_id': task {parent_id} is in another project"
                )
            if before is not None and before["id"] in _ancestors(state, parent):
                raise bad_request("Invalid value for 'parent_task_id': a task cannot be under itself")
        if (
            before is not None
            and record["project_id"] != before["project_id"]
            and subtasks(state, before["id"])
        ):
            raise bad_request("Invalid value for 'project_id': move the task's subtasks first")

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        assignees = record.get("assignee_ids") or []
        return {
            "done": 1 if record.get("is_done") else 0,
            "assignee_id": assignees[0] if assignees else None,
            "marked_as_done_time": timefmt.v1(record.get("marked_as_done_time")),
        }

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        if action != "delete":
            return
        for child in subtasks(ctx.state, record["id"]):
            TASKS.delete(ctx, child)


def _assignees(single: Any, many: Any) -> list[int | None]:
    if many is not None and not isinstance(many, list):
        raise bad_request("Invalid value for 'assignee_ids': expected a list of user ids")
    ids = [coerce_v1_int("assignee_ids", item, nullable=False) for item in many or []]
    if single is not None and single not in ids:
        ids.insert(0, single)
    if len(set(ids)) != len(ids):
        raise bad_request("Invalid value for 'assignee_ids': each user at most once")
    if len(ids) > MAX_ASSIGNEES:
        raise bad_request(f"Invalid value for 'assignee_ids': at most {MAX_ASSIGNEES} assignees")
    return ids


def _ancestors(state: SandboxState, task: Record) -> list[int]:
    """The task's id and its parents' ids up to the root."""
    chain: list[int] = []
    current: Record | None = task
    while current is not None and current["id"] not in chain:
        chain.append(current["id"])
        parent_id = current.get("parent_task_id")
        current = state.store.get(KIND, parent_id) if parent_id is not None else None
    return chain


def subtasks(state: SandboxState, task_id: int) -> list[Record]:
    return state.store.query(KIND, where={"parent_task_id": task_id, "is_deleted": False}, order_by=None)


class Tasks(DeclaredResource):
    def list_where(self, state: SandboxState, request: Request) -> dict[str, Any]:
        where = super().list_where(state, request)
        raw = request.query_params.get("parent_task_id")
        if raw == "null":  # only top-level tasks
            where["parent_task_id"] = None
        elif raw not in (None, ""):
            if not raw.isdigit():
                raise bad_request(f"Invalid value for 'parent_task_id': a task id or null, got '{raw}'")
            where["parent_task_id"] = int(raw)
        return where


TASKS = Tasks(
    Declaration(
        kind=KIND,
        label="Task",
        v1_path="/tasks",
        v1_ops=("list", "get", "add", "update", "delete"),
        v2_path="/tasks",
        v2_ops=("list", "get", "add", "update", "delete"),
        v1_cursor=True,
        v2_sort=("id",),
        refs={"project_id": "project", "parent_task_id": KIND, "assignee_ids": "user"},
        filters={
            "project_id": Filter("project_id"),
            "assignee_id": Filter("assignee_ids", op="includes"),
            "is_done": Filter("is_done", "bool"),
            "done": Filter("is_done", "bool"),
            "is_milestone": Filter("is_milestone", "bool"),
        },
        # v1 documents assignee_ids as numbers; they are user ids.
        body_overrides={"assignee_ids": F("int_list")},
        soft_delete=True,
        hooks=TaskRules(),
    )
)


def routes() -> list[BaseRoute]:
    return TASKS.routes()
