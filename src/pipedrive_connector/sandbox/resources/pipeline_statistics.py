"""Pipeline statistics (v1): ``conversion_statistics`` and ``movement_statistics`` for a period.

Both look at one user's deals in the pipeline (``user_id``, else the requesting user), as the spec
says. Stage history comes from the deals' changelog (``stage_id`` changes): a deal has reached every
stage up to the furthest one it has been in. A stage-to-stage conversion rate is the share of the deals
that reached the first stage which also reached the next one; won and lost conversions are the shares of
won and lost deals; rates are whole percentages. Deals count for a period by their ``add_time``
(conversions, new deals), ``won_time`` and ``lost_time``; movements are the logged stage changes in it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.resources import changelog
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.deal_tools import query_date
from pipedrive_connector.sandbox.serializers.v1 import _format_money
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import path_int, query_int


class Period:
    """The pipeline, its ordered stages, the user's live deals in it and the period's bounds."""

    def __init__(self, request: Request) -> None:
        state = sandbox(request)
        self.state = state
        pipeline = state.store.get("pipeline", path_int(request))
        if pipeline is None or pipeline.get("is_deleted"):
            raise not_found("Pipeline not found")
        start = query_date(request, "start_date", required=True)
        end = query_date(request, "end_date", required=True)
        assert start is not None and end is not None
        if end < start:
            raise bad_request("Invalid value for 'end_date': the period ends before it starts")
        user_id = query_int(request, "user_id") or principal(request).user_id
        self.start, self.end = start.isoformat(), (end + timedelta(days=1)).isoformat()
        self.last_day = end
        stages = state.store.query("stage", where={"pipeline_id": pipeline["id"], "is_deleted": False})
        self.stages = sorted(stages, key=lambda s: (s.get("order_nr") or 0, s["id"]))
        self.deals = state.store.query(
            "deal", where={"pipeline_id": pipeline["id"], "owner_id": user_id, "is_deleted": False}
        )

    def within(self, moment: str | None) -> bool:
        return moment is not None and self.start <= moment[:10] < self.end

    def stage_moves(self) -> list[Record]:
        log_kind = changelog.LOGGED["deal"][2]
        ids = [deal["id"] for deal in self.deals]
        return self.state.store.query(log_kind, where={"deal_id": ids, "field_key": "stage_id"})


def _furthest(period: Period) -> dict[int, int]:
    """Deal id → the highest stage position (index in ``period.stages``) it has been in."""
    position = {stage["id"]: index for index, stage in enumerate(period.stages)}
    furthest: dict[int, int] = {}
    moves: dict[int, list[str | None]] = defaultdict(list)
    for move in period.stage_moves():
        moves[move["deal_id"]].extend((move["old_value"], move["new_value"]))
    for deal in period.deals:
        visited = [deal.get("stage_id"), *(int(v) for v in moves[deal["id"]] if v and v.isdigit())]
        reached = [position[s] for s in visited if s in position]
        if reached:
            furthest[deal["id"]] = max(reached)
    return furthest


def _rate(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


async def conversion_statistics(request: Request) -> Response:
    period = Period(request)
    added = [deal for deal in period.deals if period.within(deal.get("add_time"))]
    furthest = _furthest(period)
    conversions = []
    for index in range(len(period.stages) - 1):
        entered = sum(1 for deal in added if furthest.get(deal["id"], -1) >= index)
        moved_on = sum(1 for deal in added if furthest.get(deal["id"], -1) >= index + 1)
        conversions.append(
            {
                "from_stage_id": period.stages[index]["id"],
                "to_stage_id": period.stages[index + 1]["id"],
                "conversion_rate": _rate(moved_on, entered),
            }
        )
    won = sum(1 for deal in added if deal.get("status") == "won")
    lost = sum(1 for deal in added if deal.get("status") == "lost")
    return ok(
        {
            "stage_conversions": conversions,
            "won_conversion": _rate(won, len(added)),
            "lost_conversion": _rate(lost, len(added)),
        }
    )


def _deal_group(deals: list[Record]) -> dict[str, Any]:
    values: dict[str, float] = defaultdict(float)
    for deal in deals:
        values[str(deal.get("currency"))] += float(deal.get("value") or 0)
    rounded = {currency: round(total) for currency, total in values.items()}
    return {
        "count": len(deals),
        "deals_ids": [deal["id"] for deal in deals],
        "values": rounded,
        "formatted_values": {currency: _format_money(total, currency) for currency, total in rounded.items()},
    }


def _age_days(deal: Record, until: date) -> int:
    added = timefmt.parse_any_datetime(deal.get("add_time") or "")
    if added is None:
        return 0
    return max((until - added.date()).days, 0)


async def movement_statistics(request: Request) -> Response:
    period = Period(request)
    now = period.state.clock.now().date()
    until = min(period.last_day, now)
    open_deals = [
        deal
        for deal in period.deals
        if deal.get("status") == "open" and (deal.get("add_time") or "")[:10] < period.end
    ]
    by_stage: dict[int, list[int]] = defaultdict(list)
    for deal in open_deals:
        by_stage[deal.get("stage_id") or 0].append(_age_days(deal, until))
    ages = [age for stage_ages in by_stage.values() for age in stage_ages]
    average = {stage: round(sum(found) / len(found)) for stage, found in by_stage.items()}
    moves = [move for move in period.stage_moves() if period.within(move["time"])]
    return ok(
        {
            "movements_between_stages": {"count": len(moves)},
            "new_deals": _deal_group([d for d in period.deals if period.within(d.get("add_time"))]),
            "deals_left_open": _deal_group(open_deals),
            "won_deals": _deal_group(
                [d for d in period.deals if d.get("status") == "won" and period.within(d.get("won_time"))]
            ),
            "lost_deals": _deal_group(
                [d for d in period.deals if d.get("status") == "lost" and period.within(d.get("lost_time"))]
            ),
            "average_age_in_days": {
                "across_all_stages": round(sum(ages) / len(ages)) if ages else 0,
                "by_stages": [
                    {"stage_id": stage["id"], "value": average.get(stage["id"], 0)} for stage in period.stages
                ],
            },
        }
    )


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/pipelines/{id}/conversion_statistics", conversion_statistics, ["GET"]),
        *v1_routes("/pipelines/{id}/movement_statistics", movement_statistics, ["GET"]),
    ]
