"""The trigger console's pages: subscriptions, events by status, one event, replay and dead-letter."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from pipedrive_connector.console_kit.html import (
    Html,
    bar_chart,
    esc,
    layout,
    link,
    page,
    table,
    url,
)
from pipedrive_connector.triggers.console.auth import COOKIE, ConsoleAuth
from pipedrive_connector.triggers.state import EVENT_STATUSES, InboxRow

if TYPE_CHECKING:
    from pipedrive_connector.triggers.app import TriggerApp

PREFIX = "/ui"
STATIC = f"{PREFIX}/static"
NAV = ((f"{PREFIX}/", "Overview"), (f"{PREFIX}/events", "Events"))
PER_PAGE = 50
CHART_MINUTES = 60
MAX_FILTER = 100
MAX_SEQ = 2**63 - 1


class Pages:
    def __init__(self, app: TriggerApp, auth: ConsoleAuth) -> None:
        self.app = app
        self.auth = auth

    # -- frame ---------------------------------------------------------------------------------------
    def _page(self, request: Request, title: str, body: Html, active: str, status: int = 200) -> HTMLResponse:
        flash = request.query_params.get("msg", "")[:500]
        markup = layout(
            title, body, brand="Pipedrive triggers", static=STATIC, nav=NAV, active=active, flash=flash
        )
        return page(markup, status)

    def _form(self, action: str, label: str, confirm: str = "") -> Html:
        ask = f' data-confirm="{esc(confirm)}"' if confirm else ""
        return Html(
            f'<form class="inline" method="post" action="{esc(action)}">'
            f'<input type="hidden" name="csrf" value="{esc(self.auth.csrf)}">'
            f'<button type="submit"{ask}>{esc(label)}</button></form>'
        )

    @staticmethod
    def _back(path: str, message: str) -> RedirectResponse:
        return RedirectResponse(url(path, msg=message), status_code=303)

    # -- sign-in -------------------------------------------------------------------------------------
    async def sign_in_page(self, request: Request) -> Response:
        body = Html(
            "<p>Paste the console token that <code>pipedrive triggers serve --ui</code> printed.</p>"
            f'<form method="post" action="{esc(PREFIX)}/login"><label>Token '
            '<input type="password" name="token" autocomplete="off" size="40"></label> '
            '<button type="submit">Sign in</button></form>'
        )
        return self._page(request, "Sign in", body, "", 401)

    async def sign_in(self, request: Request) -> Response:
        form = await request.form()
        if not self.auth.token_matches(str(form.get("token", ""))):
            return self._back(f"{PREFIX}/login", "That is not the console token.")
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        response.set_cookie(
            COOKIE,
            self.auth.session,
            httponly=True,
            samesite="strict",
            path=PREFIX,
            secure=request.url.scheme == "https",
        )
        return response

    # -- overview ------------------------------------------------------------------------------------
    async def overview(self, request: Request) -> Response:
        store = self.app.store
        counts = store.counts()
        tiles = "".join(
            f'<div class="tile"><div class="muted">{esc(status)}</div><div class="big">'
            f"{link(url(f'{PREFIX}/events', status=status), counts.get(status, 0))}</div></div>"
            for status in EVENT_STATUSES
        )
        subs = [
            [
                sub.id,
                sub.trigger,
                sub.mode,
                json.dumps(sub.params, sort_keys=True) if sub.params else "",
                sub.subscription_url,
                sub.webhook_id or "",
                "yes" if sub.enrich else "",
                _when(sub.created_at),
                link(url(f"{PREFIX}/events", trigger=sub.trigger), "events"),
            ]
            for sub in store.subscriptions()
        ]
        handlers = [[h.name, h.trigger or "every trigger"] for h in self.app.dispatcher.handlers()]
        received, finished = self._throughput()
        dead = counts.get("dead", 0)
        actions = (
            self._form(f"{PREFIX}/replay-dead", f"Replay all {dead} dead events", "Replay every dead event?")
            if dead
            else Html('<p class="muted">No dead events.</p>')
        )
        body = Html(
            f'<div class="cards">{tiles}</div>'
            + "<h2>Dead letters</h2>"
            + actions
            + f"<h2>Throughput (last {CHART_MINUTES} minutes, UTC)</h2>"
            + bar_chart(received, "Events received per minute")
            + bar_chart(finished, "Events finished (done or dead) per minute")
            + "<h2>Subscriptions and their webhooks</h2>"
            + table(
                [
                    "ID",
                    "Trigger",
                    "Mode",
                    "Params",
                    "Webhook URL",
                    "Pipedrive webhook",
                    "Enrich",
                    "Created",
                    "",
                ],
                subs,
                "No subscriptions: `pipedrive triggers enable` adds one.",
            )
            + "<h2>Handlers</h2>"
            + table(["Name", "Runs for"], handlers, "No handlers: events are marked done as they come.")
        )
        return self._page(request, "Trigger inbox", body, "Overview")

    def _throughput(self) -> tuple[list[tuple[str, float, bool]], list[tuple[str, float, bool]]]:
        start = time.time() - CHART_MINUTES * 60
        received, finished = self.app.store.throughput(start, 60)
        labels = [_minute(start + 60 * index) for index in range(CHART_MINUTES)]
        return (
            [(labels[i], received.get(i, 0), False) for i in range(CHART_MINUTES)],
            [(labels[i], finished.get(i, 0), False) for i in range(CHART_MINUTES)],
        )

    # -- events --------------------------------------------------------------------------------------
    async def events(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        trigger = request.query_params.get("trigger", "")[:MAX_FILTER]
        if status and status not in EVENT_STATUSES:
            body = Html(f"<p>Unknown status {esc(status)}; one of {esc(', '.join(EVENT_STATUSES))}.</p>")
            return self._page(request, "Events", body, "Events", 400)
        cursors = {name: request.query_params.get(name, "") for name in ("before", "after")}
        bad = [name for name, value in cursors.items() if value and not _is_seq(value)]
        if bad:
            body = Html(f"<p>{esc(bad[0])} must be an event seq (a positive whole number).</p>")
            return self._page(request, "Events", body, "Events", 400)
        before = int(cursors["before"]) if cursors["before"] else None
        after = int(cursors["after"]) if cursors["after"] and before is None else None

        def page_of(
            limit: int, before_seq: int | None = None, after_seq: int | None = None
        ) -> list[InboxRow]:
            return self.app.store.events(
                status or None, limit, trigger or None, before_seq=before_seq, after_seq=after_seq
            )

        shown = page_of(PER_PAGE, before, after)
        if not shown and after is not None:  # nothing newer any more: show the newest page
            shown = page_of(PER_PAGE)
        older = bool(shown) and bool(page_of(1, before_seq=shown[0].seq))
        newer = bool(shown) and bool(page_of(1, after_seq=shown[-1].seq))
        total = self.app.store.count_events(status or None, trigger or None)
        options = "".join(
            f'<option value="{esc(s)}"{" selected" if s == status else ""}>{esc(s or "any status")}</option>'
            for s in ("", *EVENT_STATUSES)
        )
        filters = Html(
            f'<form class="search" method="get" action="{esc(PREFIX)}/events">'
            f'<select name="status" aria-label="Status">{options}</select>'
            f'<input name="trigger" value="{esc(trigger)}" placeholder="trigger, e.g. newDeal" '
            'aria-label="Trigger">'
            '<button type="submit">Filter</button></form>'
        )
        rows = [_event_row(row) for row in reversed(shown)]
        nav = _pager(shown, total, older, newer, status=status, trigger=trigger)
        headers = [
            "Seq",
            "Received",
            "Trigger",
            "Object",
            "Action",
            "Record",
            "Source",
            "Status",
            "Attempts",
            "Error",
        ]
        body = Html(
            filters
            + nav
            + table(headers, rows, "No events match.")
            + nav
            + '<p class="muted">Newest first.</p>'
        )
        return self._page(request, "Events", body, "Events")

    async def event(self, request: Request) -> Response:
        seq = request.path_params["seq"]
        row = self.app.store.event(seq)
        if row is None:
            return self._page(request, "Not found", Html(f"<p>No event {esc(seq)}.</p>"), "Events", 404)
        done = self.app.store.handlers_done(seq)
        handlers = [
            [
                h.name,
                "succeeded"
                if h.name in done
                else ("waiting" if row.status != "dead" else "failed or not run"),
            ]
            for h in self.app.dispatcher.handlers()
            if h.wants(row.trigger)
        ]
        facts: list[list[object]] = [
            ["Status", Html(f'<span class="{_status_class(row.status)}">{esc(row.status)}</span>')],
            ["Trigger", row.trigger],
            ["Subscription", row.subscription_id],
            ["Source", row.source],
            ["Event key", row.event_key],
            ["Received", _when(row.received_at)],
            ["Finished", _when(row.finished_at)],
            ["Handler attempts", row.attempts],
            ["Last error", row.last_error],
        ]
        actions = [self._form(f"{PREFIX}/events/{seq}/replay", "Replay (every handler runs again)")]
        if row.status == "pending":
            actions.append(
                self._form(
                    f"{PREFIX}/events/{seq}/dead-letter", "Move to dead letters", "Stop retrying this event?"
                )
            )
        payload = json.dumps(row.event.to_dict(), indent=2, ensure_ascii=False, default=str)
        body = Html(
            f"<p>{link(f'{PREFIX}/events', '← Events')}</p>"
            + table(["", ""], facts)
            + "<p>"
            + " ".join(actions)
            + "</p>"
            + "<h2>Handlers</h2>"
            + table(["Handler", "For this event"], handlers, "No handler runs for this trigger.")
            + "<h2>Payload</h2>"
            + f"<pre>{esc(payload)}</pre>"
        )
        return self._page(request, f"Event {seq}", body, "Events")

    # -- actions -------------------------------------------------------------------------------------
    async def replay_one(self, request: Request) -> Response:
        seq = request.path_params["seq"]
        if self.app.store.event(seq) is None:
            return self._back(f"{PREFIX}/events", f"No event {seq}.")
        result = self.app.replay([seq])
        return self._back(f"{PREFIX}/events/{seq}", f"Event {seq} queued again ({result.requeued} requeued).")

    async def replay_dead(self, request: Request) -> Response:
        result = self.app.replay(dead=True)
        return self._back(f"{PREFIX}/", f"{result.requeued} dead event(s) queued again.")

    async def dead_letter(self, request: Request) -> Response:
        seq = request.path_params["seq"]
        row = self.app.store.event(seq)
        if row is None or row.status != "pending":
            state = "missing" if row is None else row.status
            return self._back(
                f"{PREFIX}/events/{seq}", f"Only a pending event can be dead-lettered (it is {state})."
            )
        self.app.store.mark_failed(seq, "moved to the dead letters from the console", None)
        return self._back(f"{PREFIX}/events/{seq}", f"Event {seq} moved to the dead letters.")


def _event_row(row: InboxRow) -> list[object]:
    return [
        link(f"{PREFIX}/events/{row.seq}", row.seq),
        _when(row.received_at),
        row.trigger,
        row.event.object,
        row.event.action,
        row.event.entity_id,
        row.source,
        Html(f'<span class="{_status_class(row.status)}">{esc(row.status)}</span>'),
        row.attempts,
        (row.last_error or "")[:120],
    ]


def _pager(shown: list[InboxRow], total: int, older: bool, newer: bool, **params: str) -> Html:
    """Newer/Older links that carry the page's edge seq (keyset paging: no offset to scan)."""
    span = f"seq {shown[-1].seq} to {shown[0].seq} · " if shown else ""
    parts = [f"<span>{span}{total} in all</span>"]
    if newer:
        parts.append(link(url(f"{PREFIX}/events", **params, after=shown[-1].seq), "← Newer", rel="prev"))
    if older:
        parts.append(link(url(f"{PREFIX}/events", **params, before=shown[0].seq), "Older →", rel="next"))
    return Html(f'<nav class="pager">{"".join(parts)}</nav>')


def _is_seq(value: str) -> bool:
    return value.isdigit() and 0 < int(value) <= MAX_SEQ


def _status_class(status: str) -> str:
    return {"done": "ok", "dead": "bad"}.get(status, "")


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _minute(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M")
