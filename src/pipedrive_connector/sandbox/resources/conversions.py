"""Lead ↔ deal conversion (API v2). The sandbox runs the conversion job at once: its status is
``completed`` by the time the POST answers."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.resources import leads
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v2_route
from pipedrive_connector.sandbox.resources.deals import DEALS
from pipedrive_connector.sandbox.resources.entity import check_ref
from pipedrive_connector.sandbox.validation import F, check_v2_body, path_int, read_json_object

CONVERT_FIELDS = {"stage_id": F("integer"), "pipeline_id": F("integer")}
CONVERSION_NOT_FOUND = ApiError(404, "Conversion not found", error_info="Object was not found.")


def _record_conversion(request: Request, source: str, source_id: Any, target: str, target_id: Any) -> str:
    conversion_id = str(uuid.uuid4())
    sandbox(request).store.put(
        "conversion",
        {
            "id": conversion_id,
            "source": source,
            "source_id": source_id,
            target: target_id,
            "status": "completed",
        },
    )
    return conversion_id


async def lead_to_deal(request: Request) -> Response:
    state = sandbox(request)
    lead = leads.load(state, request.path_params["id"])
    body = await read_json_object(request)
    check_v2_body(body, CONVERT_FIELDS)
    check_ref(state, "stage", "stage_id", body.get("stage_id"))
    check_ref(state, "pipeline", "pipeline_id", body.get("pipeline_id"))
    value = lead.get("value") or {}
    changes: dict[str, Any] = {
        "title": lead["title"],
        "owner_id": lead["owner_id"],
        "person_id": lead.get("person_id"),
        "org_id": lead.get("organization_id"),
        "value": value.get("amount") or 0,
        "expected_close_date": lead.get("expected_close_date"),
        "custom_fields": lead.get("custom_fields") or {},
        "source_lead_id": lead["id"],
        "origin": lead.get("origin"),
        "channel": lead.get("channel"),
        "channel_id": lead.get("channel_id"),
    }
    if value.get("currency"):
        changes["currency"] = value["currency"]
    changes.update({key: body[key] for key in ("stage_id", "pipeline_id") if key in body})
    deal = DEALS.create(state, request, changes)
    for activity in state.store.all("activity"):
        if activity.get("lead_id") == lead["id"]:
            state.store.put("activity", dict(activity, deal_id=deal["id"], lead_id=None))
    gone = dict(lead, is_deleted=True, update_time=timefmt.iso_millis(state.clock.now()))
    state.store.put("lead", gone)
    leads.publish_lead(state, request, "delete", lead, None)
    return ok({"conversion_id": _record_conversion(request, "lead", lead["id"], "deal_id", deal["id"])},
              additional_data=None)  # fmt: skip


async def deal_to_lead(request: Request) -> Response:
    state = sandbox(request)
    deal = DEALS.load_live(state, path_int(request))
    if deal.get("status") != "open":
        raise bad_request("Only open deals can be converted to leads")
    now = timefmt.iso_millis(state.clock.now())
    lead = leads.new_lead(principal(request).user_id, now)
    lead.update(
        title=deal["title"], owner_id=deal["owner_id"], person_id=deal.get("person_id"),
        organization_id=deal.get("org_id"), expected_close_date=deal.get("expected_close_date"),
        custom_fields=deal.get("custom_fields") or {}, source_deal_id=deal["id"],
        value={"amount": deal["value"], "currency": deal["currency"]} if deal.get("value") else None,
    )  # fmt: skip
    state.store.put("lead", lead)
    leads.publish_lead(state, request, "create", None, lead)
    DEALS.soft_delete(state, request, deal)
    return ok({"conversion_id": _record_conversion(request, "deal", deal["id"], "lead_id", lead["id"])},
              additional_data=None)  # fmt: skip


def _status(source: str) -> Any:
    async def conversion_status(request: Request) -> Response:
        state = sandbox(request)
        record = state.store.get("conversion", request.path_params["conversion_id"])
        source_id = request.path_params["id"]
        if record is None or record["source"] != source or str(record["source_id"]) != source_id:
            raise CONVERSION_NOT_FOUND
        target = "deal_id" if source == "lead" else "lead_id"
        data = {target: record[target], "conversion_id": record["id"], "status": record["status"]}
        return ok(data, additional_data=None)

    return conversion_status


def routes() -> list[BaseRoute]:
    return [
        v2_route("/leads/{id}/convert/deal", lead_to_deal, ["POST"]),
        v2_route("/leads/{id}/convert/status/{conversion_id}", _status("lead"), ["GET"]),
        v2_route("/deals/{id}/convert/lead", deal_to_lead, ["POST"]),
        v2_route("/deals/{id}/convert/status/{conversion_id}", _status("deal"), ["GET"]),
    ]
