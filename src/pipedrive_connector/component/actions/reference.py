"""Reference data an automation reads to pick ids (pipelines, stages, users, activity types, filters),
call logs and goals."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import Entity, _forget_cursors, list_items, pick
from pipedrive_connector.component.actions.props import (
    S,
    boolean,
    integer,
    limit,
    loaded,
    select,
    start,
    text,
)
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Action, Property

PIPELINES = Entity("pipeline", "/v1/pipelines", "/api/v2/pipelines")
STAGES = Entity("stage", "/v1/stages", "/api/v2/stages")
CALL_LOGS = Entity("call_log", "/v1/callLogs", None)
FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")
CALL_OUTCOMES = ("connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy")
GOAL_TYPES = ("deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started")


def whole_list(path: str, *names: str) -> Any:
    """A flow reading one list Pipedrive returns whole (no paging), with ``names`` as query parameters."""

    def run(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
        body: dict[str, Any] = yield from request("GET", path, pick(inputs, *names))
        if body.get("data") is None:
            body = {**body, "data": []}
        return body

    return run


def get_pipelines(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from list_items(ctx, PIPELINES, {}, {}, inputs.get("start", 0), inputs.get("limit")))


def get_stages(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "pipeline_id")
    return (yield from list_items(ctx, STAGES, params, params, inputs.get("start", 0), inputs.get("limit")))


def get_current_user(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    body: dict[str, Any] = yield from request("GET", "/v1/users/me")
    return body


def get_call_logs(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from list_items(ctx, CALL_LOGS, {}, {}, inputs.get("start", 0), inputs.get("limit")))


CALL_LOG_FIELDS = (
    "user_id",
    "activity_id",
    "subject",
    "duration",
    "outcome",
    "from_phone_number",
    "to_phone_number",
    "start_time",
    "end_time",
    "person_id",
    "org_id",
    "deal_id",
    "lead_id",
    "note",
)


def add_call_log(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    _forget_cursors(ctx)
    body: dict[str, Any] = yield from request("POST", "/v1/callLogs", json=pick(inputs, *CALL_LOG_FIELDS))
    return body


def get_goals(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "title", "is_active")
    for name, key in (
        ("type", "type.name"),
        ("assignee_id", "assignee.id"),
        ("assignee_type", "assignee.type"),
    ):
        if inputs.get(name) is not None:
            params[key] = inputs[name]
    body: dict[str, Any] = yield from request("GET", "/v1/goals/find", params)
    data = body.get("data")
    goals = data.get("goals") if isinstance(data, dict) else data
    return {**body, "data": goals if isinstance(goals, list) else []}


def _date_time(name: str, label: str, description: str, **kw: Any) -> Property:
    return text(
        name, label, f"{description} In UTC, 'YYYY-MM-DD HH:MM:SS'.", placeholder="2026-01-31 14:00:00", **kw
    )


def _list(
    name: str, title: str, description: str, shape: dict[str, Any], execute: Any, *props: Property
) -> Action:
    return Action(
        name=name,
        title=title,
        description=description,
        resource="reference",
        properties=props,
        execute=execute,
        output_schema=outputs.many(shape),
        extra=True,
        read_only=True,
    )


ACTIONS = (
    _list(
        "getPipelines",
        "Get all pipelines",
        "Returns the pipelines.",
        outputs.PIPELINE,
        get_pipelines,
        start(),
        limit(),
    ),
    _list(
        "getStages",
        "Get all stages",
        "Returns the stages, of one pipeline when pipeline_id is given.",
        outputs.STAGE,
        get_stages,
        loaded("pipeline_id", "Pipeline ID", "pipelines", "Only the stages of this pipeline."),
        start(),
        limit(),
    ),
    _list(
        "getUsers",
        "Get all users",
        "Returns the users of the company.",
        outputs.USER,
        whole_list("/v1/users"),
    ),
    Action(
        name="getCurrentUser",
        title="Get the current user",
        description="Returns the user the connection acts as.",
        resource="reference",
        properties=(),
        execute=get_current_user,
        output_schema=outputs.one(outputs.USER),
        extra=True,
        read_only=True,
    ),
    _list(
        "getActivityTypes",
        "Get all activity types",
        "Returns the activity types (call, meeting ...).",
        outputs.ACTIVITY_TYPE,
        whole_list("/v1/activityTypes"),
    ),
    _list(
        "getFilters",
        "Get all filters",
        "Returns the saved filters, of one type when type is given.",
        outputs.FILTER,
        whole_list("/v1/filters", "type"),
        select("type", "Type", "The type of filters.", S, *((t, t) for t in FILTER_TYPES)),
    ),
    _list(
        "getCallLogs",
        "Get all call logs",
        "Returns the call logs of the user.",
        outputs.CALL_LOG,
        get_call_logs,
        start(),
        limit(),
    ),
    Action(
        name="addCallLog",
        title="Add a call log",
        description="Logs a call, optionally linked to a deal, lead, person, organization or activity.",
        resource="reference",
        properties=(
            text("to_phone_number", "To Phone Number", "The number called.", required=True, min_length=1),
            select(
                "outcome",
                "Outcome",
                "How the call went.",
                S,
                *((o.replace("_", " ").capitalize(), o) for o in CALL_OUTCOMES),
                required=True,
            ),
            _date_time("start_time", "Start Time", "When the call started.", required=True, min_length=1),
            _date_time("end_time", "End Time", "When the call ended.", required=True, min_length=1),
            text("from_phone_number", "From Phone Number", "The number that made the call."),
            text("subject", "Subject", "The subject of the call."),
            integer("duration", "Duration", "The duration of the call in seconds.", minimum=0),
            loaded("user_id", "User ID", "users", "The user who made the call (default: you)."),
            integer("activity_id", "Activity ID", "The activity this call belongs to.", minimum=1),
            loaded("person_id", "Person ID", "persons", "The person called."),
            loaded("org_id", "Organization ID", "organizations", "The organization called."),
            loaded("deal_id", "Deal ID", "deals", "The deal the call is about."),
            loaded(
                "lead_id", "Lead ID", "leads", "The lead (UUID) the call is about.", type=S, format="uuid"
            ),
            text("note", "Note", "A note on the call (HTML)."),
        ),
        execute=add_call_log,
        output_schema=outputs.one(outputs.CALL_LOG),
        extra=True,
    ),
    _list(
        "getGoals",
        "Find goals",
        "Returns the goals matching the given criteria (all of yours without any).",
        outputs.GOAL,
        get_goals,
        select(
            "type",
            "Type",
            "The type of goal.",
            S,
            *((t.replace("_", " ").capitalize(), t) for t in GOAL_TYPES),
        ),
        text("title", "Title", "The goal's title."),
        boolean("is_active", "Is Active", "Only active (true) or inactive (false) goals."),
        integer(
            "assignee_id", "Assignee ID", "The user, team or company the goal is assigned to.", minimum=1
        ),
        select(
            "assignee_type",
            "Assignee Type",
            "What assignee_id is.",
            S,
            ("Person", "person"),
            ("Company", "company"),
            ("Team", "team"),
        ),
    ),
)
