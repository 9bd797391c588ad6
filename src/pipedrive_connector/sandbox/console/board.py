"""The pipeline board: open deals by stage; moving a card is a real ``PATCH /api/v2/deals/{id}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.console_kit.html import Html, esc, join, link, url
from pipedrive_connector.sandbox.console.frame import (
    PREFIX,
    back,
    console_page,
    error_text,
    form_post,
    forward,
    state_of,
)

CARDS_PER_STAGE = 30


def _money(deal: dict[str, object]) -> str:
    value = deal.get("value")
    return f"{value:,} {deal.get('currency') or ''}".strip() if isinstance(value, int | float) else ""


async def show(request: Request) -> Response:
    store = state_of(request).store
    pipelines = store.query("pipeline", where={"is_deleted": False}, order_by="id")
    if not pipelines:
        return console_page(request, "Board", Html('<p class="muted">No pipelines.</p>'), "Board")
    raw = request.query_params.get("pipeline_id", "")
    chosen = next((p for p in pipelines if str(p["id"]) == raw), pipelines[0])
    stages = store.query(
        "stage", where={"pipeline_id": chosen["id"], "is_deleted": False}, order_by="order_nr"
    )
    tabs = Html(
        " · ".join(
            f"<strong>{esc(p['name'])}</strong>"
            if p is chosen
            else link(url(f"{PREFIX}/board", pipeline_id=p["id"]), p["name"])
            for p in pipelines
        )
    )
    open_deals = {"pipeline_id": chosen["id"], "status": "open", "is_deleted": False}
    per_stage = store.count_by("deal", "stage_id", where=open_deals)
    options = [(stage["id"], stage["name"]) for stage in stages]
    columns = []
    for stage in stages:
        deals = store.query(
            "deal", where={**open_deals, "stage_id": stage["id"]}, order_by="id", limit=CARDS_PER_STAGE
        )
        total = per_stage.get(stage["id"], 0)
        cards = join(_card(deal, options, chosen["id"]) for deal in deals)
        more = ""
        if total > len(deals):
            more = link(
                url(f"{PREFIX}/list/deal", stage_id=stage["id"]), f"{total - len(deals)} more in this stage →"
            )
        columns.append(
            Html(
                f'<section class="stage" data-stage-id="{esc(stage["id"])}" '
                f'aria-label="{esc(stage["name"])}">'
                f'<h3>{esc(stage["name"])} <span class="muted">({total})</span></h3>{cards}{more}</section>'
            )
        )
    body = Html(
        f'<p>Pipelines: {tabs}</p><p class="muted">Drag a card to another stage (or pick the stage and '
        f"press Move): the console sends PATCH /api/v2/deals/{{id}}, so webhooks fire.</p>"
        f'<div class="board">{join(columns)}</div>'
    )
    return console_page(request, f"Board · {chosen['name']}", body, "Board")


def _card(deal: dict[str, object], stages: list[tuple[object, object]], pipeline_id: object) -> Html:
    choices = join(
        Html(
            f'<option value="{esc(sid)}"{" selected" if sid == deal.get("stage_id") else ""}>'
            f"{esc(name)}</option>"
        )
        for sid, name in stages
    )
    deal_id = deal["id"]
    title = link(f"{PREFIX}/record/deal/{deal_id}", deal.get("title"))
    action = f"{PREFIX}/deals/{deal_id}/move"
    return Html(
        f'<article class="card" draggable="true" data-deal-id="{esc(deal_id)}">'
        f'<div class="title">{title}</div>'
        f'<div class="muted">#{esc(deal_id)} {esc(_money(deal))}</div>'
        f'<form class="move" method="post" action="{esc(action)}">'
        f'<input type="hidden" name="pipeline_id" value="{esc(pipeline_id)}">'
        f'<select name="stage_id" aria-label="Stage">{choices}</select> <button type="submit">Move</button>'
        "</form></article>"
    )


@form_post
async def move(request: Request) -> Response:
    form = await request.form()
    deal_id = request.path_params["deal_id"]
    stage_raw = str(form.get("stage_id", ""))
    pipeline = str(form.get("pipeline_id", ""))
    target = f"{PREFIX}/board"
    if not stage_raw.isdigit():
        return back(target, "Pick a stage to move the deal to.", pipeline_id=pipeline)
    response = await forward(request, "PATCH", f"/api/v2/deals/{deal_id}", {"stage_id": int(stage_raw)})
    if response.status_code != 200:
        return back(target, f"Deal {deal_id} was not moved: {error_text(response)}", pipeline_id=pipeline)
    stage = state_of(request).store.get("stage", int(stage_raw)) or {}
    message = f"Deal {deal_id} moved to {stage.get('name', stage_raw)}."
    return back(target, message, pipeline_id=pipeline)


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/board", show, methods=["GET"]),
        Route(f"{PREFIX}/deals/{{deal_id:int}}/move", move, methods=["POST"]),
    ]
