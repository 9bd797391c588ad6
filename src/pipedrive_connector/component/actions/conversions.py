"""Lead and deal conversions (API v2 in both modes: v1 has none) and lead labels (API v1).

A conversion is a job: the POST answers with its id, and the status endpoint says when it is done and
which record it made. The action polls the status until the job completes, fails or ``wait_seconds`` pass.
"""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import _forget_cursors, pick, sub_path
from pipedrive_connector.component.actions.props import S, integer, lead_id, loaded, number, select, text
from pipedrive_connector.component.calls import Flow, pause, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ComponentError
from pipedrive_connector.component.model import Action

POLL_INTERVAL_SECONDS = 1.0
DONE = ("completed",)
FAILED = ("failed", "rejected")
LABEL_COLORS = ("green", "blue", "red", "yellow", "purple", "gray")


class ConversionFailed(ComponentError):
    """Pipedrive reported the conversion job failed or was rejected."""


def convert(source: str, target: str) -> Any:
    """The flow of convert<Source>To<Target>: start the job, then poll its status."""
    collection = f"{source}s"
    uuids = ("id",) if source == "lead" else ()

    def run(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
        start_path = sub_path(f"/api/v2/{collection}/{{id}}/convert/{target}", uuids, id=inputs["id"])
        _forget_cursors(ctx)
        started = yield from request("POST", start_path, json=pick(inputs, "stage_id", "pipeline_id"))
        conversion_id = (started.get("data") or {}).get("conversion_id")
        status_path = sub_path(
            f"/api/v2/{collection}/{{id}}/convert/status/{{conversion_id}}",
            (*uuids, "conversion_id"),
            id=inputs["id"],
            conversion_id=conversion_id,
        )
        polls = max(1, int(inputs.get("wait_seconds", 30) / POLL_INTERVAL_SECONDS) + 1)
        data: dict[str, Any] = {"conversion_id": conversion_id, "status": "not_started"}
        for attempt in range(polls):
            if attempt:
                yield from pause(POLL_INTERVAL_SECONDS)
            body = yield from request("GET", status_path)
            data = {**data, **(body.get("data") or {})}
            if data.get("status") in FAILED:
                raise ConversionFailed(
                    f"the {source} to {target} conversion {conversion_id} {data['status']}"
                )
            if data.get("status") in DONE:
                break
        return {"success": data.get("status") in DONE, "data": data}

    return run


def get_lead_labels(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    body: dict[str, Any] = yield from request("GET", "/v1/leadLabels")
    return body


def add_lead_label(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    body: dict[str, Any] = yield from request("POST", "/v1/leadLabels", json=pick(inputs, "name", "color"))
    return body


def _wait() -> Any:
    return number(
        "wait_seconds",
        "Wait Seconds",
        "How long to wait for the conversion job to finish.",
        default=30,
        minimum=0,
        maximum=300,
    )


ACTIONS = (
    Action(
        name="convertLeadToDeal",
        title="Convert a lead to a deal",
        description="Converts a lead into a deal and waits for the job; data.deal_id is the new deal.",
        resource="leads",
        properties=(
            lead_id("ID (UUID) of the lead to convert."),
            loaded("pipeline_id", "Pipeline ID", "pipelines", "The pipeline of the new deal."),
            loaded(
                "stage_id", "Stage ID", "stages", "The stage of the new deal.", depends_on=("pipeline_id",)
            ),
            _wait(),
        ),
        execute=convert("lead", "deal"),
        output_schema=outputs.one(outputs.CONVERSION),
        extra=True,
    ),
    Action(
        name="convertDealToLead",
        title="Convert a deal to a lead",
        description="Converts a deal into a lead (the deal is deleted) and waits for the job; "
        "data.lead_id is the new lead.",
        resource="leads",
        properties=(integer("id", "Id", "ID of the deal to convert.", required=True, minimum=1), _wait()),
        execute=convert("deal", "lead"),
        output_schema=outputs.one(outputs.CONVERSION),
        extra=True,
        destructive=True,
    ),
    Action(
        name="getLeadLabels",
        title="Get all lead labels",
        description="Returns the lead labels of the company.",
        resource="leads",
        properties=(),
        execute=get_lead_labels,
        output_schema=outputs.many(outputs.LEAD_LABEL),
        extra=True,
        read_only=True,
    ),
    Action(
        name="addLeadLabel",
        title="Add a lead label",
        description="Adds a lead label.",
        resource="leads",
        properties=(
            text("name", "Name", "The name of the label.", required=True, min_length=1),
            select(
                "color",
                "Color",
                "The color of the label.",
                S,
                *((c.capitalize(), c) for c in LABEL_COLORS),
                required=True,
            ),
        ),
        execute=add_lead_label,
        output_schema=outputs.one(outputs.LEAD_LABEL),
        extra=True,
    ),
)
