"""Pipelines and stages: API v2 CRUD (their current home) and the legacy v1 lists."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.contracts import ChangeAction
from pipedrive_connector.sandbox.errors import ApiError, bad_request, not_found, validation_failed
from pipedrive_connector.sandbox.pagination import cursor_page, offset_page, offset_result, offset_window
from pipedrive_connector.sandbox.resources.common import now_iso, ok, publish, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.serializers import v2 as v2_shapes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import F, check_v2_body, path_int, query_int, read_json_object

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

PIPELINE_FIELDS = {"name": F("string"), "is_deal_probability_enabled": F("boolean")}
STAGE_FIELDS = {
    "name": F("string"),
    "pipeline_id": F("integer"),
    "deal_probability": F("integer"),
    "is_deal_rot_enabled": F("boolean"),
    "days_to_rotten": F("integer", nullable=True),
}


def _live(records: list[Record]) -> list[Record]:
    return [record for record in records if not record.get("is_deleted")]


def _load(request: Request, kind: str, label: str) -> Record:
    record = sandbox(request).store.get(kind, path_int(request))
    if record is None:
        raise not_found(f"{label} not found")
    return record


def _check_name(body: dict[str, Any]) -> None:
    if "name" in body and not body["name"].strip():
        raise validation_failed("name", "Must not be empty")


def _check_probability(body: dict[str, Any]) -> None:
    probability = body.get("deal_probability")
    if probability is not None and not 0 <= probability <= 100:
        raise validation_failed("deal_probability", "Must be between 0 and 100")


def _announce(
    state: SandboxState, request: Request, action: ChangeAction, record: Record, before: Record | None
) -> None:
    """Publish a pipeline or stage change (``record`` is the new record, or the deleted one)."""
    kind: Literal["pipeline", "stage"] = "stage" if "pipeline_id" in record else "pipeline"
    v1: Callable[[Record], dict[str, Any]] = (
        partial(v1_shapes.stage_v1, state.store) if kind == "stage" else v1_shapes.pipeline_v1
    )
    v2 = v2_shapes.stage_v2 if kind == "stage" else v2_shapes.pipeline_v2
    gone = action == "delete"
    publish(
        state,
        request,
        kind,
        action,
        record["id"],
        current_v1=None if gone else v1(record),
        previous_v1=v1(before) if before else None,
        current_v2=None if gone else v2(record),
        previous_v2=v2(before) if before else None,
    )


# ---- pipelines ----


async def list_pipelines(request: Request) -> Response:
    state = sandbox(request)
    page, cursor = cursor_page(request, _live(state.store.all("pipeline")))
    return ok([v2_shapes.pipeline_v2(record) for record in page], additional_data={"next_cursor": cursor})


async def get_pipeline(request: Request) -> Response:
    return ok(v2_shapes.pipeline_v2(_load(request, "pipeline", "Pipeline")))


async def add_pipeline(request: Request) -> Response:
    state = sandbox(request)
    body = await read_json_object(request)
    check_v2_body(body, PIPELINE_FIELDS, ("name",))
    _check_name(body)
    now = now_iso(state)
    order = max((p.get("order_nr") or 0 for p in state.store.all("pipeline")), default=0) + 1
    record = {
        "id": state.store.next_id("pipeline"), "name": body["name"], "order_nr": order, "is_deleted": False,
        "is_deal_probability_enabled": body.get("is_deal_probability_enabled", False),
        "add_time": now, "update_time": now,
    }  # fmt: skip
    state.store.put("pipeline", record)
    _announce(state, request, "create", record, None)
    return ok(v2_shapes.pipeline_v2(record))


async def update_pipeline(request: Request) -> Response:
    state = sandbox(request)
    body = await read_json_object(request)
    check_v2_body(body, PIPELINE_FIELDS)
    _check_name(body)
    record = _load(request, "pipeline", "Pipeline")
    if record.get("is_deleted"):
        raise not_found("Pipeline not found")
    updated = dict(record, **body, update_time=now_iso(state))
    state.store.put("pipeline", updated)
    _announce(state, request, "change", updated, record)
    return ok(v2_shapes.pipeline_v2(updated))


async def delete_pipeline(request: Request) -> Response:
    state = sandbox(request)
    record = _load(request, "pipeline", "Pipeline")
    if record.get("is_deleted"):
        raise not_found("Pipeline not found")
    if len(_live(state.store.all("pipeline"))) == 1:
        raise ApiError(403, "The last pipeline cannot be deleted")
    now = now_iso(state)
    state.store.put("pipeline", dict(record, is_deleted=True, update_time=now))
    for stage in state.store.all("stage"):
        if stage["pipeline_id"] == record["id"]:
            state.store.put("stage", dict(stage, is_deleted=True, update_time=now))
    _announce(state, request, "delete", record, record)
    return ok({"id": record["id"]})


# ---- stages ----


async def list_stages(request: Request) -> Response:
    state = sandbox(request)
    stages = _live(state.store.all("stage"))
    pipeline_id = query_int(request, "pipeline_id")
    if pipeline_id is not None:
        stages = [stage for stage in stages if stage["pipeline_id"] == pipeline_id]
    page, cursor = cursor_page(request, stages, sort_fields=("id", "update_time", "add_time", "order_nr"))
    return ok([v2_shapes.stage_v2(record) for record in page], additional_data={"next_cursor": cursor})


async def get_stage(request: Request) -> Response:
    return ok(v2_shapes.stage_v2(_load(request, "stage", "Stage")))


async def add_stage(request: Request) -> Response:
    state = sandbox(request)
    body = await read_json_object(request)
    check_v2_body(body, STAGE_FIELDS, ("name", "pipeline_id"))
    _check_name(body)
    _check_probability(body)
    pipeline = state.store.get("pipeline", body["pipeline_id"])
    if pipeline is None or pipeline.get("is_deleted"):
        raise bad_request(f"Invalid value for 'pipeline_id': pipeline {body['pipeline_id']} not found")
    now = now_iso(state)
    siblings = [s for s in _live(state.store.all("stage")) if s["pipeline_id"] == body["pipeline_id"]]
    record = {
        "id": state.store.next_id("stage"), "order_nr": len(siblings) + 1, "name": body["name"],
        "is_deleted": False, "deal_probability": body.get("deal_probability", 100),
        "pipeline_id": body["pipeline_id"], "is_deal_rot_enabled": body.get("is_deal_rot_enabled", False),
        "days_to_rotten": body.get("days_to_rotten"), "add_time": now, "update_time": now,
    }  # fmt: skip
    state.store.put("stage", record)
    _announce(state, request, "create", record, None)
    return ok(v2_shapes.stage_v2(record))


async def update_stage(request: Request) -> Response:
    state = sandbox(request)
    body = await read_json_object(request)
    check_v2_body(body, STAGE_FIELDS)
    _check_name(body)
    _check_probability(body)
    record = _load(request, "stage", "Stage")
    if record.get("is_deleted"):
        raise not_found("Stage not found")
    if "pipeline_id" in body:
        pipeline = state.store.get("pipeline", body["pipeline_id"])
        if pipeline is None or pipeline.get("is_deleted"):
            raise bad_request(f"Invalid value for 'pipeline_id': pipeline {body['pipeline_id']} not found")
    updated = dict(record, **body, update_time=now_iso(state))
    state.store.put("stage", updated)
    _announce(state, request, "change", updated, record)
    return ok(v2_shapes.stage_v2(updated))


async def delete_stage(request: Request) -> Response:
    state = sandbox(request)
    record = _load(request, "stage", "Stage")
    if record.get("is_deleted"):
        raise not_found("Stage not found")
    state.store.put("stage", dict(record, is_deleted=True, update_time=now_iso(state)))
    _announce(state, request, "delete", record, record)
    return ok({"id": record["id"]})


# ---- legacy v1 ----


async def list_pipelines_v1(request: Request) -> Response:
    state = sandbox(request)
    return ok([v1_shapes.pipeline_v1(record) for record in _live(state.store.all("pipeline"))])


async def get_pipeline_v1(request: Request) -> Response:
    return ok(v1_shapes.pipeline_v1(_load(request, "pipeline", "Pipeline")))


async def list_stages_v1(request: Request) -> Response:
    state = sandbox(request)
    stages = _live(state.store.all("stage"))
    pipeline_id = query_int(request, "pipeline_id")
    if pipeline_id is not None:
        stages = [stage for stage in stages if stage["pipeline_id"] == pipeline_id]
    page, pagination = offset_page(request, stages)
    return ok([v1_shapes.stage_v1(state.store, s) for s in page], additional_data={"pagination": pagination})


async def get_stage_v1(request: Request) -> Response:
    state = sandbox(request)
    return ok(v1_shapes.stage_v1(state.store, _load(request, "stage", "Stage")))


def _deals_of(request: Request, field: str, kind: str, label: str) -> Response:
    """``/v1/pipelines/{id}/deals`` and ``/v1/stages/{id}/deals``: open deals, flat v1 shape."""
    state = sandbox(request)
    container = _load(request, kind, label)
    where: dict[str, Any] = {field: container["id"], "status": "open", "is_deleted": False}
    where["is_archived"] = False
    stage_id = query_int(request, "stage_id") if kind == "pipeline" else None
    if stage_id is not None:
        where["stage_id"] = stage_id
    user_id = query_int(request, "user_id")
    if user_id is not None and request.query_params.get("everyone") not in ("1", "true"):
        where["owner_id"] = user_id
    start, limit = offset_window(request)
    rows = state.store.query("deal", where=where, order_by=None, limit=limit + 1, offset=start)
    page, pagination = offset_result(start, limit, rows)
    data = [v1_shapes.flat_ids(v1_shapes.deal_v1(state.store, d)) for d in page]
    return ok(data, additional_data={"pagination": pagination})


async def pipeline_deals(request: Request) -> Response:
    return _deals_of(request, "pipeline_id", "pipeline", "Pipeline")


async def stage_deals(request: Request) -> Response:
    return _deals_of(request, "stage_id", "stage", "Stage")


def routes() -> list[BaseRoute]:
    return [
        v2_route("/pipelines", list_pipelines, ["GET"]),
        v2_route("/pipelines", add_pipeline, ["POST"]),
        v2_route("/pipelines/{id}", get_pipeline, ["GET"]),
        v2_route("/pipelines/{id}", update_pipeline, ["PATCH"]),
        v2_route("/pipelines/{id}", delete_pipeline, ["DELETE"]),
        v2_route("/stages", list_stages, ["GET"]),
        v2_route("/stages", add_stage, ["POST"]),
        v2_route("/stages/{id}", get_stage, ["GET"]),
        v2_route("/stages/{id}", update_stage, ["PATCH"]),
        v2_route("/stages/{id}", delete_stage, ["DELETE"]),
        *v1_routes("/pipelines/{id}/deals", pipeline_deals, ["GET"]),
        *v1_routes("/stages/{id}/deals", stage_deals, ["GET"]),
        *v1_routes("/pipelines", list_pipelines_v1, ["GET"]),
        *v1_routes("/pipelines/{id}", get_pipeline_v1, ["GET"]),
        *v1_routes("/stages", list_stages_v1, ["GET"]),
        *v1_routes("/stages/{id}", get_stage_v1, ["GET"]),
    ]
