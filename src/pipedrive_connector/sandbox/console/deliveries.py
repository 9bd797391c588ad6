"""The webhook delivery log: every attempt (status, latency, body sent) and a resend button."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.console_kit.html import Html, esc, link, page_number, pager, post_button, table
from pipedrive_connector.sandbox.console.frame import PREFIX, back, console_page, form_post, state_of

PER_PAGE = 50
ACTIVE = "Webhook deliveries"


def _answer(entry: dict[str, Any]) -> Html:
    css = "ok" if entry.get("ok") else "bad"
    text = entry.get("status_code") if entry.get("status_code") is not None else entry.get("error")
    return Html(f'<span class="{css}">{esc(text)}</span>')


def _latency(entry: dict[str, Any]) -> str:
    latency = entry.get("latency_ms")
    return f"{latency:g} ms" if isinstance(latency, int | float) else ""


async def log_page(request: Request) -> Response:
    state = state_of(request)
    raw_webhook = request.query_params.get("webhook_id", "")
    outcome = request.query_params.get("outcome", "")
    webhook_id = int(raw_webhook) if raw_webhook.isdigit() and len(raw_webhook) < 18 else None
    entries = state.webhooks.worker.log.list(webhook_id)
    if outcome in ("ok", "failed"):
        entries = [e for e in entries if bool(e.get("ok")) == (outcome == "ok")]
    entries.reverse()  # newest first
    current = page_number(request)
    shown = entries[(current - 1) * PER_PAGE : current * PER_PAGE]
    rows = [
        [
            link(f"{PREFIX}/deliveries/{e['id']}", e["id"]),
            e.get("time"),
            e.get("webhook_id"),
            e.get("event"),
            link(_record_path(e), e.get("entity_id")) if e.get("entity_id") is not None else "",
            e.get("attempt"),
            _answer(e),
            _latency(e),
            post_button(f"{PREFIX}/deliveries/{e['id']}/resend", "Resend")
            if e.get("body") is not None
            else "",
        ]
        for e in shown
    ]
    webhooks = state.webhooks.store.all()
    hooks = [
        [w.id, w.event_action, w.event_object, _without_userinfo(w.subscription_url), w.version]
        for w in webhooks
    ]
    filters = Html(
        f'<form class="search" method="get" action="{esc(PREFIX)}/deliveries">'
        f'<input name="webhook_id" value="{esc(raw_webhook)}" placeholder="webhook id" '
        'aria-label="Webhook id">'
        '<select name="outcome" aria-label="Outcome">'
        + "".join(
            f'<option value="{value}"{" selected" if value == outcome else ""}>{label}</option>'
            for value, label in (("", "all answers"), ("ok", "2xx only"), ("failed", "failures only"))
        )
        + '</select><button type="submit">Filter</button></form>'
    )
    nav = pager(
        f"{PREFIX}/deliveries", current, PER_PAGE, len(entries), webhook_id=raw_webhook, outcome=outcome
    )
    headers = ["ID", "Time", "Webhook", "Event", "Record", "Attempt", "Answer", "Latency", ""]
    body = Html(
        "<h2>Webhooks</h2>"
        + table(["ID", "Action", "Object", "URL", "Version"], hooks, "No webhooks registered.")
        + "<h2>Attempts (newest first)</h2>"
        + filters
        + nav
        + table(headers, rows, "No deliveries yet.")
        + nav
    )
    return console_page(request, "Webhook deliveries", body, ACTIVE)


def _pretty(sent: object) -> str:
    return json.dumps(sent, indent=2, ensure_ascii=False) if sent is not None else "nothing"


def _without_userinfo(address: str) -> str:
    """A subscription URL without ``user:password@`` (credentials never reach a page)."""
    parts = urlsplit(address)
    if "@" not in parts.netloc:
        return address
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _record_path(entry: dict[str, Any]) -> str:
    kind = str(entry.get("event", "")).rpartition(".")[2]
    return f"{PREFIX}/record/{kind}/{entry.get('entity_id')}"


async def detail_page(request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    entry = state_of(request).webhooks.worker.log.get(entry_id)
    if entry is None:
        return console_page(
            request, "Not found", Html(f"<p>No delivery {esc(entry_id)} in the log.</p>"), ACTIVE, 404
        )
    facts: list[list[object]] = [
        ["Webhook", entry.get("webhook_id")],
        ["Event", entry.get("event")],
        ["Event id", entry.get("event_id")],
        ["Record", link(_record_path(entry), entry.get("entity_id"))],
        ["Attempt", entry.get("attempt")],
        ["Answer", _answer(entry)],
        ["Latency", _latency(entry)],
        ["Time", entry.get("time")],
        ["Resent from", entry.get("resent_from")],
    ]
    sent = entry.get("body")
    body = Html(
        f"<p>{link(f'{PREFIX}/deliveries', '← All deliveries')}</p>"
        + table(["", ""], facts)
        + (post_button(f"{PREFIX}/deliveries/{entry_id}/resend", "Resend") if sent is not None else "")
        + "<h2>Body sent</h2>"
        + f"<pre>{esc(_pretty(sent))}</pre>"
    )
    return console_page(request, f"Delivery {entry_id}", body, ACTIVE)


@form_post
async def resend(request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    try:
        fresh = await state_of(request).webhooks.resend(entry_id)
    except LookupError as exc:
        return back(f"{PREFIX}/deliveries", f"Not resent: {exc}")
    answer = fresh["status_code"] if fresh["status_code"] is not None else fresh["error"]
    return back(f"{PREFIX}/deliveries", f"Delivery {entry_id} resent as delivery {fresh['id']}: {answer}")


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/deliveries", log_page, methods=["GET"]),
        Route(f"{PREFIX}/deliveries/{{entry_id:int}}", detail_page, methods=["GET"]),
        Route(f"{PREFIX}/deliveries/{{entry_id:int}}/resend", resend, methods=["POST"]),
    ]
