"""Opt-in fault injection: latency, 5xx replies, dropped connections, slow responses (stub)."""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from pipedrive_connector.sandbox.contracts import SandboxStateLike


class FaultInjector:
    """Outermost middleware; never applies to /_sandbox/ control-plane paths."""

    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """/_sandbox/faults."""
        return []

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def passthrough(scope: Scope, receive: Receive, send: Send) -> None:
            await app(scope, receive, send)

        return passthrough

    def reset(self) -> None:
        """Turn faults off (control-plane reset)."""
