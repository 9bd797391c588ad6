"""Project boards and their phases (v2 CRUD; v1 ``/projects/boards`` and ``/projects/phases`` reads).

A board holds phases in ``order_nr`` order; every project sits on a board and in one of its phases
(``resources/projects.py``). Lists are whole (the specs give them no paging), in ``order_nr`` order.
Pipedrive emits no webhooks for either (the webhooks spec's ``event_object`` has no such object).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import query_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

BOARD = "projectBoard"
PHASE = "projectPhase"


def live(state: SandboxState, kind: str, **where: Any) -> list[Record]:
    """Records of ``kind`` not deleted, matching ``where``, in ``order_nr`` then id order."""
    found = state.store.query(kind, where={**where, "is_deleted": False}, order_by=None)
    return sorted(found, key=lambda record: (record.get("order_nr") or 0, record["id"]))


def _next_order(state: SandboxState, kind: str, **where: Any) -> int:
    return max((record.get("order_nr") or 0 for record in live(state, kind, **where)), default=0) + 1


def _refuse_if_projects(state: SandboxState, what: str, field: str, record_id: int) -> None:
    count = state.store.count("project", where={field: record_id, "is_deleted": False})
    if count:
        raise bad_request(f"The {what} {record_id} still holds {count} project(s): move or delete them first")


class BoardRules(Hooks):
    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if record.get("order_nr") is None:
            record["order_nr"] = _next_order(ctx.state, BOARD)

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        if action != "delete":
            return
        for phase in live(ctx.state, PHASE, board_id=record["id"]):  # a deleted board's phases go with it
            ctx.state.store.put(PHASE, dict(phase, is_deleted=True, update_time=ctx.now, _deleted_at=ctx.now))


class PhaseRules(Hooks):
    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        moved = before is not None and record["board_id"] != before["board_id"]
        if moved:
            _refuse_if_projects(ctx.state, "phase", "phase_id", record["id"])
        if record.get("order_nr") is None or (moved and before and record["order_nr"] == before["order_nr"]):
            record["order_nr"] = _next_order(ctx.state, PHASE, board_id=record["board_id"])


class DeletableUnlessUsed(DeclaredResource):
    """Deleting a board or phase that still holds projects is refused (a project needs both)."""

    def __init__(self, declaration: Declaration, what: str, field: str) -> None:
        super().__init__(declaration)
        self.what = what
        self.field = field

    def delete(self, ctx: Ctx, before: Record) -> None:
        _refuse_if_projects(ctx.state, self.what, self.field, before["id"])
        super().delete(ctx, before)


BOARDS = DeletableUnlessUsed(
    Declaration(
        kind=BOARD,
        label="Project board",
        v1_path="/projects/boards",
        v1_ops=("get",),
        v2_path="/boards",
        v2_ops=("get", "add", "update", "delete"),
        soft_delete=True,
        hooks=BoardRules(),
    ),
    "board",
    "board_id",
)

PHASES = DeletableUnlessUsed(
    Declaration(
        kind=PHASE,
        label="Project phase",
        v1_path="/projects/phases",
        v1_ops=("get",),
        v2_path="/phases",
        v2_ops=("get", "add", "update", "delete"),
        refs={"board_id": BOARD},
        soft_delete=True,
        hooks=PhaseRules(),
    ),
    "phase",
    "phase_id",
)


async def v2_boards(request: Request) -> Response:
    state = sandbox(request)
    return ok([BOARDS.v2(state, board) for board in live(state, BOARD)])


async def v1_boards(request: Request) -> Response:
    state = sandbox(request)
    return ok([BOARDS.v1(state, board) for board in live(state, BOARD)])


def _board_phases(request: Request) -> tuple[SandboxState, list[Record]]:
    state = sandbox(request)
    board_id = query_int(request, "board_id")
    if board_id is None:
        raise bad_request("Parameter 'board_id' is required")
    return state, live(state, PHASE, board_id=board_id)


async def v2_phases(request: Request) -> Response:
    state, phases = _board_phases(request)
    return ok([PHASES.v2(state, phase) for phase in phases])


async def v1_phases(request: Request) -> Response:
    state, phases = _board_phases(request)
    return ok([PHASES.v1(state, phase) for phase in phases])


def routes() -> list[BaseRoute]:
    """Before the projects' routes: ``/projects/boards`` would otherwise be ``/projects/{id}``."""
    return [
        v2_route("/boards", v2_boards, ["GET"]),
        v2_route("/phases", v2_phases, ["GET"]),
        *v1_routes("/projects/boards", v1_boards, ["GET"]),
        *v1_routes("/projects/phases", v1_phases, ["GET"]),
        *BOARDS.routes(),
        *PHASES.routes(),
    ]
