"""The console's page frame (navigation, flash line) and its replay of requests through the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pipedrive_connector.console_kit.html import Html, layout, page, url
from pipedrive_connector.sandbox.state import SandboxState

PREFIX = "/_sandbox/ui"
STATIC = f"{PREFIX}/static"
NAV = (
    (f"{PREFIX}/board", "Board"),
    (f"{PREFIX}/list/deal", "Deals"),
    (f"{PREFIX}/list/person", "Persons"),
    (f"{PREFIX}/list/organization", "Organizations"),
    (f"{PREFIX}/list/lead", "Leads"),
    (f"{PREFIX}/list/activity", "Activities"),
    (f"{PREFIX}/list/note", "Notes"),
    (f"{PREFIX}/list/product", "Products"),
    (f"{PREFIX}/deliveries", "Webhook deliveries"),
    (f"{PREFIX}/rate-limit", "Rate limits"),
    (f"{PREFIX}/controls", "Faults & clock"),
    (f"{PREFIX}/oauth", "OAuth"),
)
USER_AGENT = "Pipedrive sandbox console"


def state_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def console_page(request: Request, title: str, body: Html, active: str, status: int = 200) -> HTMLResponse:
    flash = request.query_params.get("msg", "")[:500]
    markup = layout(
        title, body, brand="Pipedrive sandbox", static=STATIC, nav=NAV, active=active, flash=flash
    )
    return page(markup, status)


def back(path: str, message: str, **params: object) -> RedirectResponse:
    """303 to ``path`` showing ``message`` (the answer to every console form)."""
    return RedirectResponse(url(path, **params, msg=message), status_code=303)


async def forward(
    request: Request, method: str, path: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    """``method path`` through this sandbox's own app as the admin user (user 1), as a client would
    send it: faults, auth, rate limits, routing, save hooks and webhooks all apply."""
    state = state_of(request)
    transport = httpx.ASGITransport(app=request.app)
    headers = {"x-api-token": state.user_token(1), "user-agent": USER_AGENT}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.console") as client:
        return await client.request(method, path, json=body, headers=headers)


def error_text(response: httpx.Response) -> str:
    """The error a sandbox answer carries, or its status line."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(data, dict) and data.get("error"):
        return f"HTTP {response.status_code}: {data['error']}"
    return f"HTTP {response.status_code}"


Endpoint = Callable[[Request], Awaitable[Response]]


def form_post(endpoint: Endpoint) -> Endpoint:
    """Refuse a console form post sent from another site's page (its ``Origin`` names another host):
    the console has no sign-in, like the control plane, so this keeps other pages from driving it."""

    async def checked(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            return PlainTextResponse("Console forms are accepted only from the console's own pages.", 403)
        return await endpoint(request)

    return checked
