"""Lead labels (CRUD, UUID ids, fixed colours) and lead sources (a fixed list)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import UUID_PATTERN, read_v1_body

COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow")
LEAD_SOURCES = (
    "Manually created", "Deal", "Web forms", "Prospector", "Leadbooster", "Live chat", "Import",
    "Website visitors", "Workflow automation", "API",
)  # fmt: skip
LABEL_NOT_FOUND = ApiError(404, "Lead label not found", error_info="Object was not found.")


def _check(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    unknown = set(body) - {"name", "color"}
    if unknown:
        raise bad_request(f"Unknown parameter '{sorted(unknown)[0]}' for a lead label")
    changes: dict[str, Any] = {}
    if creating or "name" in body:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("Parameter 'name' is required and must be a non-empty string")
        changes["name"] = name
    if creating or "color" in body:
        color = body.get("color")
        if color not in COLORS:
            raise bad_request(f"Invalid value for 'color': must be one of {', '.join(COLORS)}")
        changes["color"] = color
    return changes


def _load(request: Request) -> Record:
    label_id = request.path_params["id"]
    record = sandbox(request).store.get("leadLabel", label_id) if UUID_PATTERN.match(label_id) else None
    if record is None:
        raise LABEL_NOT_FOUND
    return record


async def list_labels(request: Request) -> Response:
    return ok(sandbox(request).store.all("leadLabel"))


async def add_label(request: Request) -> Response:
    state = sandbox(request)
    changes = _check(await read_v1_body(request), creating=True)
    now = timefmt.iso_millis(state.clock.now())
    record = {"id": str(uuid.uuid4()), **changes, "add_time": now, "update_time": now}
    state.store.put("leadLabel", record)
    return ok(record)


async def update_label(request: Request) -> Response:
    state = sandbox(request)
    record = _load(request)
    changes = _check(await read_v1_body(request), creating=False)
    updated = dict(record, **changes, update_time=timefmt.iso_millis(state.clock.now()))
    state.store.put("leadLabel", updated)
    return ok(updated)


async def delete_label(request: Request) -> Response:
    state = sandbox(request)
    record = _load(request)
    state.store.remove("leadLabel", record["id"])
    for lead in state.store.all("lead"):
        if record["id"] in lead.get("label_ids", []):
            state.store.put("lead", dict(lead, label_ids=[i for i in lead["label_ids"] if i != record["id"]]))
    return ok({"id": record["id"]})


async def list_sources(request: Request) -> Response:
    return ok([{"name": name} for name in LEAD_SOURCES])


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/leadLabels", list_labels, ["GET"]),
        *v1_routes("/leadLabels", add_label, ["POST"]),
        *v1_routes("/leadLabels/{id}", update_label, ["PATCH"]),
        *v1_routes("/leadLabels/{id}", delete_label, ["DELETE"]),
        *v1_routes("/leadSources", list_sources, ["GET"]),
    ]
