"""Lists of records (search, paged in SQL) and one record with its change history."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.console_kit.html import Html, esc, link, page_number, pager, table
from pipedrive_connector.sandbox.console.frame import PREFIX, console_page, state_of
from pipedrive_connector.sandbox.resources.changelog import LOGGED
from pipedrive_connector.sandbox.store import Contains

PER_PAGE = 50
MAX_QUERY = 200


@dataclass(frozen=True)
class Listed:
    label: str
    search_field: str
    columns: tuple[tuple[str, Callable[[dict[str, Any]], object]], ...]
    filters: tuple[str, ...] = ()  # indexed fields a list may be narrowed to (?stage_id=3)


def _first_value(items: object) -> object:
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0].get("value")
    return None


def _amount(record: dict[str, Any]) -> object:
    value = record.get("value")
    if isinstance(value, dict):  # leads: {"amount", "currency"}
        return f"{value.get('amount')} {value.get('currency')}"
    return f"{value} {record.get('currency') or ''}" if value is not None else ""


LISTED: dict[str, Listed] = {
    "deal": Listed(
        "Deals",
        "title",
        (
            ("Title", lambda r: r.get("title")),
            ("Value", _amount),
            ("Status", lambda r: r.get("status")),
            ("Stage", lambda r: r.get("stage_id")),
            ("Updated", lambda r: r.get("update_time")),
        ),
        ("stage_id", "pipeline_id", "status", "person_id", "org_id", "owner_id"),
    ),
    "person": Listed(
        "Persons",
        "name",
        (
            ("Name", lambda r: r.get("name")),
            ("Email", lambda r: _first_value(r.get("emails"))),
            ("Phone", lambda r: _first_value(r.get("phones"))),
            ("Organization", lambda r: r.get("org_id")),
        ),
        ("org_id", "owner_id"),
    ),
    "organization": Listed(
        "Organizations",
        "name",
        (("Name", lambda r: r.get("name")), ("Website", lambda r: r.get("website"))),
        ("owner_id",),
    ),
    "lead": Listed(
        "Leads",
        "title",
        (
            ("Title", lambda r: r.get("title")),
            ("Value", _amount),
            ("Person", lambda r: r.get("person_id")),
            ("Archived", lambda r: "yes" if r.get("is_archived") else ""),
        ),
        ("person_id", "owner_id"),
    ),
    "activity": Listed(
        "Activities",
        "subject",
        (
            ("Subject", lambda r: r.get("subject")),
            ("Type", lambda r: r.get("type")),
            ("Due", lambda r: r.get("due_date")),
            ("Done", lambda r: "yes" if r.get("done") else ""),
            ("Deal", lambda r: r.get("deal_id")),
        ),
        ("deal_id", "person_id", "org_id", "owner_id"),
    ),
    "note": Listed(
        "Notes",
        "content",
        (
            ("Content", lambda r: str(r.get("content") or "")[:160]),
            ("Deal", lambda r: r.get("deal_id")),
            ("Person", lambda r: r.get("person_id")),
            ("Added", lambda r: r.get("add_time")),
        ),
        ("deal_id", "person_id", "org_id", "lead_id"),
    ),
    "product": Listed(
        "Products",
        "name",
        (
            ("Name", lambda r: r.get("name")),
            ("Code", lambda r: r.get("code")),
            ("Unit", lambda r: r.get("unit")),
        ),
        ("owner_id",),
    ),
}


def _narrowing(request: Request, listed: Listed) -> dict[str, Any]:
    where: dict[str, Any] = {}
    for field in listed.filters:
        raw = request.query_params.get(field)
        if raw:
            where[field] = int(raw) if raw.isdigit() and len(raw) < 18 else raw
    return where


async def list_page(request: Request) -> Response:
    kind = request.path_params["kind"]
    listed = LISTED.get(kind)
    if listed is None:
        known = ", ".join(LISTED)
        return console_page(
            request, "Unknown list", Html(f"<p>No list {esc(kind)}; known: {esc(known)}.</p>"), "", 404
        )
    store = state_of(request).store
    query = request.query_params.get("q", "").strip()[:MAX_QUERY]
    narrowed = _narrowing(request, listed)
    where: dict[str, Any] = {"is_deleted": False, **narrowed}
    if query:
        where[listed.search_field] = Contains(query)
    current = page_number(request)
    total = store.count(kind, where=where)
    records = store.query(kind, where=where, order_by="id", limit=PER_PAGE, offset=(current - 1) * PER_PAGE)
    path = f"{PREFIX}/list/{kind}"
    hidden = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in narrowed.items())
    search = Html(
        f'<form class="search" method="get" action="{esc(path)}">{hidden}'
        f'<input type="search" name="q" value="{esc(query)}" placeholder="Search {esc(listed.search_field)}" '
        f'aria-label="Search"><button type="submit">Search</button></form>'
    )
    narrowed_text = ", ".join(f"{k} = {v}" for k, v in narrowed.items())
    note = Html(f'<p class="muted">Only {esc(narrowed_text)}.</p>') if narrowed else Html("")
    rows = [
        [link(f"{PREFIX}/record/{kind}/{record['id']}", record["id"])]
        + [get(record) for _, get in listed.columns]
        for record in records
    ]
    nav = pager(path, current, PER_PAGE, total, q=query, **narrowed)
    body = Html(search + note + nav + table(["ID", *(name for name, _ in listed.columns)], rows) + nav)
    return console_page(request, listed.label, body, listed.label)


async def record_page(request: Request) -> Response:
    kind = request.path_params["kind"]
    raw_id = request.path_params["record_id"]
    state = state_of(request)
    record = state.store.get(kind, int(raw_id) if raw_id.isdigit() and len(raw_id) < 18 else raw_id)
    listed = LISTED.get(kind)
    if listed is None or record is None:
        body = Html(f"<p>No {esc(kind)} with id {esc(raw_id)}.</p>")
        return console_page(request, "Not found", body, "", 404)
    title = record.get("title") or record.get("name") or record.get("subject") or f"{kind} {raw_id}"
    parts = [
        Html(f"<p>{link(f'{PREFIX}/list/{kind}', '← ' + listed.label)}"),
        Html(" (deleted)</p>" if record.get("is_deleted") else "</p>"),
        Html("<h2>Record</h2>"),
        Html(f"<pre>{esc(json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True))}</pre>"),
    ]
    if kind in LOGGED:
        parts.append(_changelog(request, kind, record["id"]))
    parts.append(_deliveries_of(request, kind, record["id"]))
    return console_page(request, f"{kind.capitalize()}: {title}", Html("".join(parts)), listed.label)


def _changelog(request: Request, kind: str, item_id: int) -> Html:
    _plural, _label, log_kind, link_field = LOGGED[kind]
    store = state_of(request).store
    current = page_number(request)
    total = store.count(log_kind, where={link_field: item_id})
    entries = store.query(
        log_kind,
        where={link_field: item_id},
        order_by="id",
        descending=True,
        limit=PER_PAGE,
        offset=(current - 1) * PER_PAGE,
    )
    rows = [
        [
            e.get("time"),
            e.get("field_key"),
            e.get("old_value"),
            e.get("new_value"),
            e.get("actor_user_id"),
            e.get("change_source_user_agent"),
        ]
        for e in entries
    ]
    nav = pager(f"{PREFIX}/record/{kind}/{item_id}", current, PER_PAGE, total)
    headers = ["Time", "Field", "Old", "New", "By user", "User agent"]
    return Html("<h2>Change history</h2>" + nav + table(headers, rows, "No changes logged."))


def _deliveries_of(request: Request, kind: str, item_id: object) -> Html:
    entries = [
        e
        for e in state_of(request).webhooks.worker.log.list()
        if str(e.get("entity_id")) == str(item_id) and str(e.get("event", "")).endswith(f".{kind}")
    ][-PER_PAGE:]
    rows = [
        [
            link(f"{PREFIX}/deliveries/{e['id']}", e["id"]),
            e.get("time"),
            e.get("event"),
            e.get("webhook_id"),
            e.get("attempt"),
            e.get("status_code") or e.get("error"),
        ]
        for e in reversed(entries)
    ]
    headers = ["Delivery", "Time", "Event", "Webhook", "Attempt", "Answer"]
    return Html(
        "<h2>Webhook deliveries about it</h2>" + table(headers, rows, "No deliveries about this record.")
    )


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/list/{{kind}}", list_page, methods=["GET"]),
        Route(f"{PREFIX}/record/{{kind}}/{{record_id}}", record_page, methods=["GET"]),
    ]
