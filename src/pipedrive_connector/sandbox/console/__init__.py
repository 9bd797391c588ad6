"""The sandbox's web console at ``/_sandbox/ui``: server-rendered pages over the sandbox's own state.

Reading needs no JavaScript; every change (moving a deal, resending a delivery, faults, clock, rate
limits) is a form post that the console replays as a request through the sandbox's own app
(``frame.forward``), so it takes the same path, middleware and webhooks as any client's request.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.console_kit.html import static_route
from pipedrive_connector.sandbox.console import board, controls, deliveries, records
from pipedrive_connector.sandbox.console.frame import PREFIX, STATIC


async def _home(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/board", status_code=302)


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX, _home, methods=["GET"]),
        Route(f"{PREFIX}/", _home, methods=["GET"]),
        static_route(STATIC),
        *board.routes(),
        *records.routes(),
        *deliveries.routes(),
        *controls.routes(),
    ]
