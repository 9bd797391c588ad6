"""The trigger console at ``/ui`` (``pipedrive triggers serve --ui``): subscriptions, the inbox by
status, an event's payload and handler runs, replay and dead-letter actions, a throughput chart.

Reads go through the state's public methods (``TriggerState``), actions through ``TriggerApp.replay``
and ``mark_failed``; every page but the sign-in needs the token printed at start (``auth``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pipedrive_connector.console_kit.html import static_route
from pipedrive_connector.triggers.console.auth import ConsoleAuth
from pipedrive_connector.triggers.console.pages import PREFIX, STATIC, Pages

if TYPE_CHECKING:
    from pipedrive_connector.triggers.app import TriggerApp

Endpoint = Callable[[Request], Awaitable[Response]]


def console_app(app: TriggerApp, token: str) -> Starlette:
    """The console's Starlette app (its routes carry the ``/ui`` prefix)."""
    auth = ConsoleAuth(token)
    pages = Pages(app, auth)

    def signed_in(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if not auth.signed_in(request):
                return await pages.sign_in_page(request)
            if request.method == "POST":
                form = await request.form()
                if not auth.csrf_ok(str(form.get("csrf", ""))):
                    return Response(
                        "The form is stale: reload the page.", status_code=403, media_type="text/plain"
                    )
            return await endpoint(request)

        return guarded

    routes = [
        static_route(STATIC),
        Route(f"{PREFIX}/login", pages.sign_in_page, methods=["GET"]),
        Route(f"{PREFIX}/login", pages.sign_in, methods=["POST"]),
        Route(PREFIX, signed_in(pages.overview), methods=["GET"]),
        Route(f"{PREFIX}/", signed_in(pages.overview), methods=["GET"]),
        Route(f"{PREFIX}/events", signed_in(pages.events), methods=["GET"]),
        Route(f"{PREFIX}/events/{{seq:int}}", signed_in(pages.event), methods=["GET"]),
        Route(f"{PREFIX}/events/{{seq:int}}/replay", signed_in(pages.replay_one), methods=["POST"]),
        Route(f"{PREFIX}/events/{{seq:int}}/dead-letter", signed_in(pages.dead_letter), methods=["POST"]),
        Route(f"{PREFIX}/replay-dead", signed_in(pages.replay_dead), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def with_console(app: TriggerApp, token: str) -> ASGIApp:
    """The receiver (``app.asgi``) with the console answering under ``/ui``; lifespan events go to
    the receiver, which starts and stops the dispatcher."""
    console = console_app(app, token)

    async def combined(scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            await console(scope, receive, send)
            return
        await app.asgi(scope, receive, send)

    return combined
