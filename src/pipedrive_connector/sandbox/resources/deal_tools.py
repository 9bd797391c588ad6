"""Deal reports and copies (v1): ``/deals/summary``, ``/deals/timeline`` (and their deprecated
``/archived`` twins over archived deals), ``/deals/{id}/duplicate``.

Values "converted into the company default currency" are the requesting user's default currency at
1:1: the sandbox has no exchange rates. A deal's weighted value is its value times its probability,
or its stage's deal probability when the deal has none (as the v1 deal shape computes it).

The timeline follows the spec's response schema: one ``{period_start, period_end, deals, totals}``
object spanning all ``amount`` intervals from ``start_date`` (Pipedrive's live API answers a list with
one such object per interval; the spec documents the object).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import custom_fields, timefmt
from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.resources import deal_products, deals
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import MERGE_HOOKS, MERGE_LINKS, ListQuery
from pipedrive_connector.sandbox.serializers.v1 import _format_money, flat_ids
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import path_int, query_choice, query_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

DEALS = deals.DEALS
INTERVALS = ("day", "week", "month", "quarter")
DATE_FIELDS = (
    "add_time", "update_time", "close_time", "won_time", "lost_time", "first_won_time",
    "stage_change_time", "archive_time", "expected_close_date",
)  # fmt: skip
# Fields a duplicate does not take from its original.
NOT_COPIED = (
    "id", "add_time", "update_time", "creator_user_id", "stage_change_time", "is_deleted", "_deleted_at",
    "is_archived", "archive_time",
)  # fmt: skip


def query_date(request: Request, name: str, *, required: bool = False) -> date | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_request(f"Parameter '{name}' is required")
        return None
    if not timefmt.is_date(raw):
        raise bad_request(f"Invalid value for '{name}': use YYYY-MM-DD, got '{raw}'")
    return date.fromisoformat(raw)


def weighted_value(state: SandboxState, deal: Record) -> float:
    probability = deal.get("probability")
    if probability is None and deal.get("stage_id"):
        stage = state.store.get("stage", deal["stage_id"]) or {}
        probability = stage.get("deal_probability", 100)
    return float(deal.get("value") or 0) * (100 if probability is None else probability) / 100


def _number(value: float) -> float | int:
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def selected_deals(state: SandboxState, request: Request, query: ListQuery, archived: bool) -> list[Record]:
    """Live deals, archived or not, matching ``query`` and, when given, the saved filter ``filter_id``."""
    query.add("is_deleted", False)
    query.add("is_archived", archived)
    filter_id = query_int(request, "filter_id")
    if filter_id is not None:
        return DEALS.filtered_by_saved_filter(state, filter_id, query)
    user_id = query_int(request, "user_id")
    if user_id is not None:
        query.add("owner_id", user_id)
    return state.store.query("deal", where=query.where, any_of=query.any_of, order_by=None)


# ---- summary ----


async def summary(request: Request) -> Response:
    """``GET /v1/deals/summary``: totals by currency of the not archived deals (``status``, ``filter_id``,
    ``user_id``, ``pipeline_id``, ``stage_id``)."""
    return _summary(request, archived=False)


async def archived_summary(request: Request) -> Response:
    """``GET /v1/deals/summary/archived`` (deprecated): the same over the archived deals."""
    return _summary(request, archived=True)


def _summary(request: Request, *, archived: bool) -> Response:
    state = sandbox(request)
    query = ListQuery()
    status = query_choice(request, "status", deals.STATUSES)
    if status is not None:
        query.add("status", status)
    for name in ("pipeline_id", "stage_id"):
        value = query_int(request, name)
        if value is not None:
            query.add(name, value)
    found = selected_deals(state, request, query, archived)
    home = deals.default_currency(state, principal(request).user_id)
    values: dict[str, dict[str, Any]] = {}
    weighted: dict[str, dict[str, Any]] = {}
    for deal in found:
        currency = str(deal.get("currency") or home)
        total = values.setdefault(currency, {"value": 0.0, "count": 0})
        total["value"] += float(deal.get("value") or 0)
        total["count"] += 1
        weight = weighted.setdefault(currency, {"value": 0.0, "count": 0})
        weight["value"] += weighted_value(state, deal)
        weight["count"] += 1
    for currency, total in values.items():
        total["value"] = _number(total["value"])
        total["value_converted"] = total["value"]
        total["value_formatted"] = _format_money(total["value"], currency)
        total["value_converted_formatted"] = _format_money(total["value"], home)
    for currency, weight in weighted.items():
        weight["value"] = _number(weight["value"])
        weight["value_formatted"] = _format_money(weight["value"], currency)
    converted = _number(sum(total["value"] for total in values.values()))
    weighted_converted = _number(sum(weight["value"] for weight in weighted.values()))
    return ok(
        {
            "values_total": values,
            "weighted_values_total": weighted,
            "total_count": len(found),
            "total_currency_converted_value": converted,
            "total_weighted_currency_converted_value": weighted_converted,
            "total_currency_converted_value_formatted": _format_money(converted, home),
            "total_weighted_currency_converted_value_formatted": _format_money(weighted_converted, home),
        }
    )


# ---- timeline ----


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, interval: str, amount: int) -> date:
    """The first day after ``amount`` intervals from ``start``."""
    if interval == "day":
        return start + timedelta(days=amount)
    if interval == "week":
        return start + timedelta(weeks=amount)
    return _add_months(start, amount * (3 if interval == "quarter" else 1))


def _field_date(deal: Record, field_key: str, is_custom: bool) -> str | None:
    raw = (deal.get("custom_fields") or {}).get(field_key) if is_custom else deal.get(field_key)
    if isinstance(raw, dict):
        raw = raw.get("value")
    if not isinstance(raw, str) or not raw:
        return None
    return raw[:10]


def _date_field(state: SandboxState, field_key: str) -> bool:
    """Check ``field_key`` names a date field of deals; True when it is a custom one."""
    if field_key in DATE_FIELDS:
        return False
    definition = custom_fields.custom_definitions(state.store, "deal").get(field_key)
    if definition is not None and definition.get("field_type") == "date":
        return True
    raise bad_request(f"Invalid value for 'field_key': '{field_key}' is not a date field of deals")


def _sums(state: SandboxState, found: list[Record]) -> dict[str, dict[str, float | int]]:
    sums: dict[str, dict[str, float]] = {
        name: defaultdict(float)
        for name in ("values", "weighted_values", "open_values", "weighted_open_values", "won_values")
    }
    for deal in found:
        currency = str(deal.get("currency"))
        value = float(deal.get("value") or 0)
        weight = weighted_value(state, deal)
        sums["values"][currency] += value
        sums["weighted_values"][currency] += weight
        if deal.get("status") == "open":
            sums["open_values"][currency] += value
            sums["weighted_open_values"][currency] += weight
        else:
            sums["won_values"][currency] += value
    return {name: {cur: _number(v) for cur, v in by.items()} for name, by in sums.items()}


async def timeline(request: Request) -> Response:
    """``GET /v1/deals/timeline``: open and won deals whose ``field_key`` date falls in the period."""
    return _timeline(request, archived=False)


async def archived_timeline(request: Request) -> Response:
    """``GET /v1/deals/timeline/archived`` (deprecated): the same over the archived deals."""
    return _timeline(request, archived=True)


def _timeline(request: Request, *, archived: bool) -> Response:
    state = sandbox(request)
    start = query_date(request, "start_date", required=True)
    assert start is not None
    interval = query_choice(request, "interval", INTERVALS)
    if interval is None:
        raise bad_request("Parameter 'interval' is required")
    amount = query_int(request, "amount", minimum=1, maximum=1000)
    if amount is None:
        raise bad_request("Parameter 'amount' is required")
    field_key = request.query_params.get("field_key")
    if not field_key:
        raise bad_request("Parameter 'field_key' is required")
    is_custom = _date_field(state, field_key)
    exclude = request.query_params.get("exclude_deals")
    if exclude not in (None, "", "0", "1"):
        raise bad_request("Invalid value for 'exclude_deals': must be 0 or 1")
    try:
        end = period_end(start, interval, amount)
    except (OverflowError, ValueError):
        raise bad_request("Invalid value for 'amount': the period ends after year 9999") from None
    convert = request.query_params.get("totals_convert_currency")
    home = deals.default_currency(state, principal(request).user_id)
    if convert == "default_currency":
        convert = home
    elif convert and state.store.count("currency", where={"code": convert}) == 0:
        raise bad_request(f"Invalid value for 'totals_convert_currency': unknown currency '{convert}'")
    query = ListQuery()
    query.add("status", ["open", "won"])
    pipeline_id = query_int(request, "pipeline_id")
    if pipeline_id is not None:
        query.add("pipeline_id", pipeline_id)
    found = [
        deal
        for deal in selected_deals(state, request, query, archived)
        if (day := _field_date(deal, field_key, is_custom)) is not None
        and start.isoformat() <= day < end.isoformat()
    ]
    sums = _sums(state, found)
    totals: dict[str, Any] = {
        "count": len(found),
        "values": sums["values"],
        "weighted_values": sums["weighted_values"],
        "open_count": sum(1 for deal in found if deal.get("status") == "open"),
        "open_values": sums["open_values"],
        "weighted_open_values": sums["weighted_open_values"],
        "won_count": sum(1 for deal in found if deal.get("status") == "won"),
        "won_values": sums["won_values"],
    }
    data: dict[str, Any] = {
        "period_start": f"{start.isoformat()} 00:00:00",
        "period_end": f"{(end - timedelta(days=1)).isoformat()} 23:59:59",
        "deals": [] if exclude == "1" else [flat_ids(DEALS.v1(state, deal)) for deal in found],
        "totals": totals,
    }
    if convert:
        # Each total summed over its currencies (1:1, see the module docstring).
        converted = {name: _number(sum(by.values())) for name, by in sums.items()}
        data["totals_converted"] = {"currency": convert, **converted}
    return ok(data)


# ---- duplicate ----


async def duplicate(request: Request) -> Response:
    """``POST /v1/deals/{id}/duplicate``: a new deal with the original's data and products."""
    state = sandbox(request)
    original = DEALS.load_live(state, path_int(request))
    changes = {k: v for k, v in original.items() if k not in NOT_COPIED}
    copy = DEALS.create(state, request, changes)
    with state.db_lock:
        attachments = state.store.query(deal_products.KIND, where={"deal_id": original["id"]}, order_by="id")
        for attached in attachments:
            fresh = dict(attached, id=state.store.next_id(deal_products.KIND), deal_id=copy["id"])
            state.store.put(deal_products.KIND, fresh)
    status = spec_data.response_status("POST /v1/deals/{id}/duplicate")
    return ok(flat_ids(DEALS.v1(state, copy)), status=status)


def routes() -> list[BaseRoute]:
    """Before ``/deals/{id}``: ``summary`` and ``timeline`` would be taken for ids."""
    return [
        *v1_routes("/deals/summary", summary, ["GET"]),
        *v1_routes("/deals/summary/archived", archived_summary, ["GET"]),
        *v1_routes("/deals/timeline", timeline, ["GET"]),
        *v1_routes("/deals/timeline/archived", archived_timeline, ["GET"]),
        *v1_routes("/deals/{id}/duplicate", duplicate, ["POST"]),
    ]


def _products_follow_merge(
    state: SandboxState, request: Request, kind: str, merged: Record, survivor: Record
) -> None:
    """A merged deal's products are the survivor's now (moved by MERGE_LINKS): count them."""
    if kind == "deal":
        survivor["products_count"] = state.store.count(deal_products.KIND, where={"deal_id": survivor["id"]})


MERGE_LINKS["deal"] = (*MERGE_LINKS.get("deal", ()), (deal_products.KIND, "deal_id"))
MERGE_HOOKS.append(_products_follow_merge)
