"""Opt-in Pipedrive rate limits: daily token budget, 2-second burst windows, headers, 429.

Off unless ``settings.rate_limit`` names a plan or ``POST /_sandbox/rate-limit {"plan": "lite"}``
turns it on. For every authenticated API request (``scope["state"]["principal"]`` set by the auth
middleware; requests without one pass through untouched):

- burst: a rolling 2-second window per credential (API token: lite 20, growth 40, premium 100,
  ultimate 120; OAuth: 80/160/400/480), and 10 per 2 s on search endpoints on every plan;
- daily budget per company: 30,000 x plan multiplier (1/2/5/7) x seats, or ``daily_budget``; each
  request is charged its operation's ``x-token-cost``; once used up, everything is a 429 until
  midnight (UTC) on the sandbox clock.

Headers on every limited response: ``x-ratelimit-limit``, ``x-ratelimit-remaining``,
``x-ratelimit-reset``, ``x-daily-requests-left`` (API-token requests only),
``x-daily-ratelimit-token-limit``, ``x-daily-ratelimit-token-remaining``; a 429 adds ``Retry-After``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipedrive_connector.sandbox.contracts import Principal, SandboxStateLike
from pipedrive_connector.sandbox.ratelimit_costs import CostTable, default_cost_table, is_search
from pipedrive_connector.sandbox.ratelimit_history import UsageHistory
from pipedrive_connector.sandbox.ratelimit_windows import (
    BASE_DAILY_TOKENS,
    BURST_LIMIT,
    DAILY_WRITE_REQUESTS,
    PLAN_MULTIPLIER,
    SEARCH_LIMIT,
    DailyBudget,
    DailyWrites,
    RollingWindow,
    seconds_until_midnight,
)
from pipedrive_connector.sandbox.validation import load_json_object

PLANS = ("off", *PLAN_MULTIPLIER)
EXEMPT_PREFIXES = ("/_sandbox", "/oauth")
_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


@dataclass
class Decision:
    allowed: bool
    headers: list[tuple[bytes, bytes]]
    retry_after: int = 0
    daily_exhausted: bool = False


def _too_many(decision: Decision) -> bytes:
    error = "daily request budget exceeded" if decision.daily_exhausted else "Request over limit"
    return json.dumps(
        {
            "success": False,
            "error": error,
            "error_info": _INFO,
            "errorCode": 429,
            "data": None,
            "additional_data": None,
        }
    ).encode()


class RateLimiter:
    """Per-credential limits. Runs inside the auth middleware: reads ``scope["state"]["principal"]``."""

    def __init__(self, state: SandboxStateLike, costs: CostTable | None = None) -> None:
        self.state = state
        self.costs = costs or default_cost_table()
        self._lock = threading.Lock()
        self.plan: str = "off"
        self.daily_budget: int | None = None
        self.seats: int | None = None
        self._windows: dict[str, RollingWindow] = {}
        self._search_windows: dict[str, RollingWindow] = {}
        self._budgets: dict[int, DailyBudget] = {}
        self._writes: dict[str, DailyWrites] = {}
        self.history = UsageHistory()
        self.reset()

    # -- surface used by app.py ----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """/_sandbox/rate-limit."""
        return [Route("/_sandbox/rate-limit", self._cp, methods=["GET", "POST"])]

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def rate_limited(scope: Scope, receive: Receive, send: Send) -> None:
            principal = scope.get("state", {}).get("principal") if scope["type"] == "http" else None
            if (
                self.plan == "off"
                or not isinstance(principal, Principal)
                or str(scope.get("path", "")).startswith(EXEMPT_PREFIXES)
            ):
                await app(scope, receive, send)
                return
            decision = self.check(principal, str(scope["method"]), str(scope["path"]))
            if not decision.allowed:
                body = _too_many(decision)
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(decision.retry_after).encode()),
                    *decision.headers,
                ]
                await send({"type": "http.response.start", "status": 429, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *decision.headers]}
                await send(message)

            await app(scope, receive, send_with_headers)

        return rate_limited

    def reset(self) -> None:
        """Reset counters and go back to the configured plan (control-plane reset)."""
        settings = self.state.settings
        with self._lock:
            plan = str(getattr(settings, "rate_limit", "off") or "off")
            self.plan = plan if plan in PLANS else "off"
            self.daily_budget = getattr(settings, "daily_budget", None)
            self.seats = None
            self._windows.clear()
            self._search_windows.clear()
            self._budgets.clear()
            self._writes.clear()
        self.history.clear()

    def describe(self) -> dict[str, Any]:
        now = self.state.clock.now()
        company_id = int(getattr(self.state.settings, "company_id", 1))
        with self._lock:
            budget = self._budgets.setdefault(company_id, DailyBudget())
            budget.roll(now)
            limit = self._budget_limit()
            return {
                "plan": self.plan,
                "daily_budget": limit,
                "daily_used": budget.used,
                "daily_remaining": max(0, limit - budget.used),
                "seats": self._seat_count(),
                "search_limit": SEARCH_LIMIT,
                "burst_limit": None if self.plan == "off" else BURST_LIMIT["api_token"][self.plan],
                "burst_limit_oauth": None if self.plan == "off" else BURST_LIMIT["oauth"][self.plan],
            }

    # -- the decision --------------------------------------------------------------------------------

    def _seat_count(self) -> int:
        if self.seats is not None:
            return self.seats
        store = getattr(self.state, "store", None)
        try:
            users = store.all("user") if store is not None else []
        except Exception:  # the store's own problem; never fail a request over seat counting
            users = []
        return max(1, sum(1 for u in users if u.get("active_flag", True)))

    def _budget_limit(self) -> int:
        if self.daily_budget is not None:
            return self.daily_budget
        if self.plan == "off":
            return BASE_DAILY_TOKENS * self._seat_count()
        return BASE_DAILY_TOKENS * PLAN_MULTIPLIER[self.plan] * self._seat_count()

    def check(self, principal: Principal, method: str, path: str) -> Decision:
        now = self.state.clock.now()
        burst_limit = BURST_LIMIT[principal.auth_kind][self.plan]
        search = is_search(path)
        with self._lock:
            general = self._windows.setdefault(principal.credential_id, RollingWindow(burst_limit))
            general.limit = burst_limit
            windows = [general]
            if search:  # search requests count against both windows; headers report the search one
                windows.append(
                    self._search_windows.setdefault(principal.credential_id, RollingWindow(SEARCH_LIMIT))
                )
            window = windows[-1]
            budget = self._budgets.setdefault(principal.company_id, DailyBudget())
            budget.roll(now)
            budget_limit = self._budget_limit()
            writes = self._writes.setdefault(principal.credential_id, DailyWrites())
            writes.roll(now)

            daily_exhausted = budget.used >= budget_limit
            full = [w for w in windows if not w.has_room(now)]
            admitted = not daily_exhausted and not full
            cost = self.costs.cost(method, path) if admitted else 0
            self.history.note(now, admitted, cost)
            if admitted:
                for w in windows:
                    w.admit(now)
                budget.used += cost
                if method.upper() in ("POST", "PUT") and principal.auth_kind == "api_token":
                    writes.count += 1
            if daily_exhausted:
                retry_after = seconds_until_midnight(now)
            else:
                retry_after = max((w.seconds_until_free(now) for w in full), default=0)
            headers = [
                (b"x-ratelimit-limit", str(window.limit).encode()),
                (b"x-ratelimit-remaining", str(window.remaining(now)).encode()),
                (b"x-ratelimit-reset", str(window.seconds_until_free(now)).encode()),
                (b"x-daily-ratelimit-token-limit", str(budget_limit).encode()),
                (b"x-daily-ratelimit-token-remaining", str(max(0, budget_limit - budget.used)).encode()),
            ]
            if principal.auth_kind == "api_token":
                left = max(0, DAILY_WRITE_REQUESTS - writes.count)
                headers.append((b"x-daily-requests-left", str(left).encode()))
        return Decision(admitted, headers, retry_after=retry_after, daily_exhausted=daily_exhausted)

    # -- control plane -------------------------------------------------------------------------------

    async def _cp(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"success": True, "data": self.describe()})
        try:
            payload = load_json_object(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _cp_error("body must be a JSON object")
        if not isinstance(payload, dict):
            return _cp_error("body must be a JSON object")
        unknown = set(payload) - {"plan", "daily_budget", "seats", "reset_counters"}
        if unknown:
            return _cp_error(f"unknown setting(s): {', '.join(sorted(unknown))}")
        plan = payload.get("plan", self.plan)
        if plan not in PLANS:
            return _cp_error(f"plan must be one of {', '.join(PLANS)}")
        budget = payload.get("daily_budget", self.daily_budget)
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            return _cp_error("daily_budget must be a non-negative integer or null (Pipedrive's formula)")
        seats = payload.get("seats", self.seats)
        if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int) or seats < 1):
            return _cp_error("seats must be a positive integer or null (the number of active users)")
        with self._lock:
            if plan != self.plan or payload.get("reset_counters"):
                self._windows.clear()
                self._search_windows.clear()
            if payload.get("reset_counters"):
                self._budgets.clear()
                self._writes.clear()
            self.plan, self.daily_budget, self.seats = plan, budget, seats
        return JSONResponse({"success": True, "data": self.describe()})


def _cp_error(message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=400)
