"""Rate-limit usage (a chart), the fault and clock controls, and OAuth apps and tokens (counts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.console_kit.html import Html, bar_chart, esc, table
from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.console.frame import (
    PREFIX,
    back,
    console_page,
    error_text,
    form_post,
    forward,
    state_of,
)
from pipedrive_connector.sandbox.fault_plan import KNOWN_FIELDS as FAULT_FIELDS
from pipedrive_connector.sandbox.ratelimit_history import MINUTE_FORMAT

PLANS = ("off", "lite", "growth", "premium", "ultimate")
RATE_FIELDS = ("error_rate", "drop_rate", "slow_rate", "after_rate", "after_drop_rate")
MS_FIELDS = ("latency_ms", "slow_ms")
CHART_MINUTES = 30


class FormError(ValueError):
    pass


def _number(form: FormData, name: str, kind: type[int] | type[float]) -> int | float | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise FormError(
            f"{name} must be {'a whole number' if kind is int else 'a number'}, not {raw!r}"
        ) from None


def _numbers(form: FormData, name: str) -> list[int] | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise FormError(f"{name} must be whole numbers separated by commas, not {raw!r}") from None


def _last_minutes(points: list[dict[str, Any]], now: datetime, minutes: int) -> list[dict[str, Any]]:
    """One point per minute for the ``minutes`` minutes up to ``now`` (zeros where nothing ran)."""
    by_minute = {point["minute"]: point for point in points}
    window = []
    for back_by in range(minutes - 1, -1, -1):
        minute = (now - timedelta(minutes=back_by)).strftime(MINUTE_FORMAT)
        empty = {"minute": minute, "requests": 0, "tokens": 0, "refused": 0}
        window.append(by_minute.get(minute, empty))
    return window


async def rate_limit_page(request: Request) -> Response:
    limiter = state_of(request).ratelimiter
    described = limiter.describe()
    points = _last_minutes(limiter.history.points(), state_of(request).clock.now(), CHART_MINUTES)
    facts = [[key.replace("_", " "), value] for key, value in described.items()]
    plan = described["plan"]
    options = "".join(f"<option{' selected' if p == plan else ''}>{esc(p)}</option>" for p in PLANS)
    budget = described["daily_budget"] if limiter.daily_budget is not None else ""
    form = Html(
        f'<form method="post" action="{esc(PREFIX)}/rate-limit">'
        f'<label>Plan <select name="plan">{options}</select></label> '
        f'<label>Daily token budget <input name="daily_budget" value="{esc(budget)}" size="8" '
        'placeholder="formula"></label> <label><input type="checkbox" name="reset_counters" value="1"> '
        'reset counters</label> <button type="submit">Apply</button></form>'
    )
    body = Html(
        bar_chart([(p["minute"], p["requests"], False) for p in points], "Requests admitted per minute")
        + bar_chart([(p["minute"], p["tokens"], False) for p in points], "Tokens spent per minute")
        + bar_chart([(p["minute"], p["refused"], True) for p in points], "Requests refused (429) per minute")
        + (
            '<p class="muted">Rate limiting is off: nothing is counted until a plan is chosen.</p>'
            if plan == "off"
            else ""
        )
        + "<h2>Now</h2>"
        + table(["", ""], facts)
        + "<h2>Change</h2>"
        + form
        + "<h2>Per minute (sandbox clock, UTC)</h2>"
        + table(
            ["Minute", "Admitted", "Tokens", "Refused"],
            [
                [p["minute"], p["requests"], p["tokens"], p["refused"]]
                for p in reversed(points)
                if p["requests"] or p["refused"]
            ],
            "No rate-limited requests yet.",
        )
    )
    return console_page(request, "Rate limits", body, "Rate limits")


@form_post
async def rate_limit_post(request: Request) -> Response:
    form = await request.form()
    target = f"{PREFIX}/rate-limit"
    try:
        payload: dict[str, Any] = {
            "plan": str(form.get("plan", "off")),
            "daily_budget": _number(form, "daily_budget", int),
        }
    except FormError as exc:
        return back(target, str(exc))
    if form.get("reset_counters"):
        payload["reset_counters"] = True
    response = await forward(request, "POST", "/_sandbox/rate-limit", payload)
    return back(target, "Rate limits changed." if response.is_success else error_text(response))


async def controls_page(request: Request) -> Response:
    state = state_of(request)
    faults = state.faults.describe()
    fields = "".join(
        f'<label>{esc(name)} <input name="{esc(name)}" value="{esc(faults.get(name))}" size="6"></label> '
        for name in (*RATE_FIELDS, *MS_FIELDS)
    )
    seed_value = faults.get("seed") if faults.get("seed") is not None else ""
    statuses = ",".join(str(s) for s in faults.get("statuses", []))
    paths = ",".join(faults.get("paths", []))
    fault_form = Html(
        f'<form method="post" action="{esc(PREFIX)}/controls/faults"><p>{fields}</p><p>'
        f'<label>seed <input name="seed" value="{esc(seed_value)}" size="6"></label> '
        f'<label>statuses <input name="statuses" value="{esc(statuses)}" size="14"></label> '
        f'<label>paths <input name="paths" value="{esc(paths)}" size="24" '
        'placeholder="/api/v2/deals"></label>'
        '</p><button type="submit">Apply faults</button> '
        '<button type="submit" name="off" value="1">Turn faults off</button></form>'
    )
    clock_form = Html(
        f'<form method="post" action="{esc(PREFIX)}/controls/clock">'
        '<label>Advance by <input name="advance_seconds" value="3600" size="8"> seconds</label> '
        '<button type="submit">Advance the clock</button></form>'
    )
    counts = sorted(state.store.counts().items())
    body = Html(
        "<h2>Faults</h2>"
        + table(["", ""], [[key, value] for key, value in faults.items()])
        + fault_form
        + "<h2>Clock</h2>"
        + f"<p>Sandbox time: <strong>{esc(timefmt.iso(state.clock.now()))}</strong> "
        f"(offset {esc(state.clock.offset_seconds)} s)</p>"
        + clock_form
        + "<h2>Records</h2>"
        + table(["Kind", "Count"], counts)
    )
    return console_page(request, "Faults & clock", body, "Faults & clock")


@form_post
async def faults_post(request: Request) -> Response:
    form = await request.form()
    target = f"{PREFIX}/controls"
    payload: dict[str, Any] = {}
    if not form.get("off"):
        try:
            for name in RATE_FIELDS:
                payload[name] = _number(form, name, float)
            for name in MS_FIELDS:
                payload[name] = _number(form, name, int)
            payload["seed"] = _number(form, "seed", int)
            payload["statuses"] = _numbers(form, "statuses")
        except FormError as exc:
            return back(target, str(exc))
        paths = [part.strip() for part in str(form.get("paths", "")).split(",") if part.strip()]
        payload["paths"] = paths or None
        payload = {k: v for k, v in payload.items() if v is not None and k in FAULT_FIELDS}
    response = await forward(request, "POST", "/_sandbox/faults", payload)
    return back(target, "Faults changed." if response.is_success else error_text(response))


@form_post
async def clock_post(request: Request) -> Response:
    form = await request.form()
    target = f"{PREFIX}/controls"
    try:
        seconds = _number(form, "advance_seconds", float)
    except FormError as exc:
        return back(target, str(exc))
    response = await forward(request, "POST", "/_sandbox/clock", {"advance_seconds": seconds or 0})
    if not response.is_success:
        return back(target, error_text(response))
    return back(target, f"Sandbox time is now {response.json()['now']}.")


async def oauth_page(request: Request) -> Response:
    state = state_of(request)
    clients = state.oauth.store.list_clients()
    tokens = state.oauth.store.count_live(state.clock.now())
    body = Html(
        "<h2>Apps</h2>"
        + table(
            ["Client id", "Redirect URI", "Any loopback redirect"],
            [
                [c["client_id"], c["redirect_uri"], "yes" if c["any_loopback_redirect"] else ""]
                for c in clients
            ],
            "No apps registered.",
        )
        + "<h2>Live tokens (counts only)</h2>"
        + table(["", "Count"], [[key.replace("_", " "), value] for key, value in tokens.items()])
        + '<p class="muted">Secrets and tokens are never shown.</p>'
    )
    return console_page(request, "OAuth apps and tokens", body, "OAuth")


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/rate-limit", rate_limit_page, methods=["GET"]),
        Route(f"{PREFIX}/rate-limit", rate_limit_post, methods=["POST"]),
        Route(f"{PREFIX}/controls", controls_page, methods=["GET"]),
        Route(f"{PREFIX}/controls/faults", faults_post, methods=["POST"]),
        Route(f"{PREFIX}/controls/clock", clock_post, methods=["POST"]),
        Route(f"{PREFIX}/oauth", oauth_page, methods=["GET"]),
    ]
