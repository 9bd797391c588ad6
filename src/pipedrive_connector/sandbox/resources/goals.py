"""Goals (v1): add, find, update, delete, and results (progress over a period, computed from the store).

A goal is ``{id, owner_id, title, type: {name, params}, assignee: {id, type}, interval, duration:
{start, end}, expected_outcome: {target, tracking_metric[, currency_id]}, is_active, report_ids}``;
responses wrap it as ``{"goal": ...}`` (``find``: ``{"goals": [...]}``). Progress counts (or sums
the value of, for ``tracking_metric: sum``) the assignee's deals or activities in the period:
won deals by ``won_time``, started deals by ``add_time``, progressed deals by ``stage_change_time``
into ``params.stage_id``, added activities by ``add_time``, completed ones by
``marked_as_done_time``; ``revenue_forecast`` sums open deals expected to close in the period.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.resources.common import now_iso, ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import check_user
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import coerce_v1_int, coerce_v1_number, query_bool, read_v1_body

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "goal"
TYPES = (
    "deals_won",
    "deals_progressed",
    "activities_completed",
    "activities_added",
    "deals_started",
    "revenue_forecast",
)
ASSIGNEE_TYPES = ("person", "company", "team")
INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
METRICS = ("quantity", "sum")
REQUIRED = ("type", "assignee", "expected_outcome", "duration", "interval")
# find: parameters that widen the search to everyone's goals (the spec's "If provided, everyone's goals").
EVERYONE = (
    "type.name",
    "assignee.type",
    "expected_outcome.target",
    "expected_outcome.tracking_metric",
    "expected_outcome.currency_id",
    "type.params.pipeline_id",
    "type.params.stage_id",
    "type.params.activity_type_id",
)


def _object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"Invalid value for '{name}': expected an object")
    return value


def _id_list(name: str, value: Any) -> list[int] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    result = []
    for item in items:
        number = coerce_v1_int(name, item, nullable=False)
        assert number is not None
        result.append(number)
    return result


def _date(name: str, value: Any, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not timefmt.is_date(value):
        raise bad_request(f"Invalid value for '{name}': use YYYY-MM-DD")
    return value


def _type(state: SandboxState, raw: Any) -> dict[str, Any]:
    body = _object("type", raw)
    name = body.get("name")
    if name not in TYPES:
        raise bad_request(f"Invalid value for 'type.name': must be one of {', '.join(TYPES)}")
    params = _object("type.params", body.get("params") or {})
    unknown = set(params) - {"pipeline_id", "stage_id", "activity_type_id"}
    if unknown:
        raise bad_request(f"Invalid value for 'type.params': unknown parameter '{sorted(unknown)[0]}'")
    result: dict[str, Any] = {"pipeline_id": _id_list("type.params.pipeline_id", params.get("pipeline_id"))}
    for pipeline_id in result["pipeline_id"] or []:
        if state.store.get("pipeline", pipeline_id) is None:
            raise bad_request(
                f"Invalid value for 'type.params.pipeline_id': pipeline {pipeline_id} not found"
            )
    if name.startswith("activities_"):
        result["activity_type_id"] = _id_list("type.params.activity_type_id", params.get("activity_type_id"))
        for type_id in result["activity_type_id"] or []:
            if state.store.get("activityType", type_id) is None:
                raise bad_request(
                    f"Invalid value for 'type.params.activity_type_id': activity type {type_id} not found"
                )
    elif params.get("activity_type_id") is not None:
        raise bad_request("'type.params.activity_type_id' applies only to activities_* goals")
    if name == "deals_progressed":
        stage_id = coerce_v1_int("type.params.stage_id", params.get("stage_id"), nullable=False)
        if stage_id is None or state.store.get("stage", stage_id) is None:
            raise bad_request(f"Invalid value for 'type.params.stage_id': stage {stage_id} not found")
        result["stage_id"] = stage_id
    elif params.get("stage_id") is not None:
        raise bad_request("'type.params.stage_id' applies only to deals_progressed goals")
    return {"name": name, "params": result}


def _assignee(state: SandboxState, raw: Any) -> dict[str, Any]:
    body = _object("assignee", raw)
    kind = body.get("type")
    if kind not in ASSIGNEE_TYPES:
        raise bad_request(f"Invalid value for 'assignee.type': must be one of {', '.join(ASSIGNEE_TYPES)}")
    assignee_id = coerce_v1_int("assignee.id", body.get("id"), nullable=False)
    if kind == "person":
        check_user(state, "assignee.id", assignee_id)
    return {"id": assignee_id, "type": kind}


def _outcome(raw: Any) -> dict[str, Any]:
    body = _object("expected_outcome", raw)
    metric = body.get("tracking_metric")
    if metric not in METRICS:
        raise bad_request("Invalid value for 'expected_outcome.tracking_metric': must be quantity or sum")
    target = coerce_v1_number("expected_outcome.target", body.get("target"))
    if target is None or target < 0:
        raise bad_request("Invalid value for 'expected_outcome.target': a number of at least 0 is required")
    result: dict[str, Any] = {"target": target, "tracking_metric": metric}
    if metric == "sum":
        result["currency_id"] = coerce_v1_int(
            "expected_outcome.currency_id", body.get("currency_id"), nullable=False
        )
    elif body.get("currency_id") is not None:
        raise bad_request("'expected_outcome.currency_id' applies only to sum goals")
    return result


def _duration(raw: Any) -> dict[str, Any]:
    body = _object("duration", raw)
    start = _date("duration.start", body.get("start"))
    end = _date("duration.end", body.get("end"), nullable=True)
    if end is not None and start is not None and end < start:
        raise bad_request("Invalid value for 'duration.end': the goal cannot end before it starts")
    return {"start": start, "end": end}


def _changes(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "title" in body:
        if body["title"] is not None and not isinstance(body["title"], str):
            raise bad_request("Invalid value for 'title': expected a string")
        changes["title"] = body["title"]
    if "type" in body:
        changes["type"] = _type(state, body["type"])
    if "assignee" in body:
        changes["assignee"] = _assignee(state, body["assignee"])
    if "expected_outcome" in body:
        changes["expected_outcome"] = _outcome(body["expected_outcome"])
    if "duration" in body:
        changes["duration"] = _duration(body["duration"])
    if "interval" in body:
        if body["interval"] not in INTERVALS:
            raise bad_request(f"Invalid value for 'interval': must be one of {', '.join(INTERVALS)}")
        changes["interval"] = body["interval"]
    return changes


def _load(state: SandboxState, request: Request) -> Record:
    record = state.store.get(KIND, request.path_params["id"])
    if record is None or record.get("is_deleted"):
        raise not_found("Goal not found")
    return record


def _shape(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in ("is_deleted", "add_time")}


async def add_goal(request: Request) -> Response:
    state = sandbox(request)
    body = await read_v1_body(request)
    for name in REQUIRED:
        if body.get(name) in (None, ""):
            raise bad_request(f"Parameter '{name}' is required")
    changes = _changes(state, body)
    record: Record = {
        "id": uuid.uuid4().hex,
        "owner_id": principal(request).user_id,
        "title": None,
        **changes,
        "is_active": True,
        "report_ids": [uuid.uuid4().hex],
        "is_deleted": False,
        "add_time": now_iso(state),
    }
    state.store.put(KIND, record)
    return ok({"goal": _shape(record)})


async def update_goal(request: Request) -> Response:
    state = sandbox(request)
    body = await read_v1_body(request)
    before = _load(state, request)
    record = {**before, **_changes(state, body)}
    state.store.put(KIND, record)
    return ok({"goal": _shape(record)})


async def delete_goal(request: Request) -> Response:
    state = sandbox(request)
    record = _load(state, request)
    state.store.put(KIND, dict(record, is_deleted=True, is_active=False))
    return JSONResponse({"success": True})


def _query_value(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    return None if raw in (None, "") else raw


def _matches(record: Record, field: str, raw: str) -> bool:
    value: Any = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        wanted = _id_list(field, [part for part in raw.split(",") if part.strip()])
        return set(wanted or []) <= set(value)
    if isinstance(value, bool):
        return str(value).lower() == raw.lower()
    if isinstance(value, int | float):
        number = coerce_v1_number(field, raw)
        return value == number
    return str(value) == raw


async def find_goals(request: Request) -> Response:
    state = sandbox(request)
    goals = state.store.query(KIND, where={"is_deleted": False}, order_by=None)
    active = query_bool(request, "is_active")
    goals = [g for g in goals if g["is_active"] == (True if active is None else active)]
    everyone = any(_query_value(request, name) is not None for name in EVERYONE)
    assignee_id = coerce_v1_int("assignee.id", _query_value(request, "assignee.id"))
    if assignee_id is None and not everyone:
        assignee_id = principal(request).user_id
    if assignee_id is not None:
        goals = [g for g in goals if g["assignee"]["id"] == assignee_id]
    for name in (*EVERYONE, "title"):
        raw = _query_value(request, name)
        if raw is not None:
            goals = [g for g in goals if _matches(g, name, raw)]
    start, end = _query_value(request, "period.start"), _query_value(request, "period.end")
    if (start is None) != (end is None):
        raise bad_request("Parameters 'period.start' and 'period.end' go together")
    if start is not None and end is not None:
        _date("period.start", start)
        _date("period.end", end)
        goals = [
            g
            for g in goals
            if g["duration"]["start"] <= end
            and (g["duration"]["end"] is None or g["duration"]["end"] >= start)
        ]
    return ok({"goals": [_shape(g) for g in goals]})


def progress(state: SandboxState, goal: Record, start: str, end: str) -> float:
    """The goal's progress in [start, end] (dates, inclusive)."""
    name = goal["type"]["name"]
    params = goal["type"]["params"]
    assignee = goal["assignee"]

    def in_period(value: Any) -> bool:
        return isinstance(value, str) and start <= value[:10] <= end

    def mine(record: Record) -> bool:
        return assignee["type"] != "person" or record.get("owner_id") == assignee["id"]

    if name.startswith("activities_"):
        types = params.get("activity_type_id")
        keys = None
        if types is not None:
            keys = {t["key_string"] for t in state.store.query("activityType", where={"id": types})}
        stamp = "marked_as_done_time" if name == "activities_completed" else "add_time"
        found = [
            a
            for a in state.store.query("activity", where={"is_deleted": False}, order_by=None)
            if mine(a) and in_period(a.get(stamp)) and (keys is None or a.get("type") in keys)
        ]
        return len(found)
    pipelines = params.get("pipeline_id")
    deals = [
        d
        for d in state.store.query("deal", where={"is_deleted": False}, order_by=None)
        if mine(d) and (pipelines is None or d.get("pipeline_id") in pipelines)
    ]
    if name == "deals_won":
        deals = [d for d in deals if d.get("status") == "won" and in_period(d.get("won_time"))]
    elif name == "deals_started":
        deals = [d for d in deals if in_period(d.get("add_time"))]
    elif name == "deals_progressed":
        deals = [
            d
            for d in deals
            if d.get("stage_id") == params["stage_id"] and in_period(d.get("stage_change_time"))
        ]
    else:  # revenue_forecast
        deals = [d for d in deals if d.get("status") == "open" and in_period(d.get("expected_close_date"))]
    if goal["expected_outcome"]["tracking_metric"] == "sum" or name == "revenue_forecast":
        total = float(sum(float(d.get("value") or 0) for d in deals))
        return int(total) if total.is_integer() else round(total, 2)
    return len(deals)


async def goal_results(request: Request) -> Response:
    state = sandbox(request)
    goal = _load(state, request)
    start = _date("period.start", _query_value(request, "period.start"))
    end = _date("period.end", _query_value(request, "period.end"))
    assert start is not None and end is not None
    if start > end:
        raise bad_request("Invalid value for 'period.end': the period cannot end before it starts")
    if start < goal["duration"]["start"]:
        raise bad_request("Invalid value for 'period.start': must be on or after the goal's start")
    if goal["duration"]["end"] is not None and end > goal["duration"]["end"]:
        raise bad_request("Invalid value for 'period.end': must be on or before the goal's end")
    return ok({"progress": progress(state, goal, start, end), "goal": _shape(goal)})


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/goals/find", find_goals, ["GET"]),
        *v1_routes("/goals", add_goal, ["POST"]),
        *v1_routes("/goals/{id}/results", goal_results, ["GET"]),
        *v1_routes("/goals/{id}", update_goal, ["PUT"]),
        *v1_routes("/goals/{id}", delete_goal, ["DELETE"]),
    ]
