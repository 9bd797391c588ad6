"""Opt-in Pipedrive rate limits: daily token budget, 2-second burst windows, headers, 429 (stub)."""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from pipedrive_connector.sandbox.contracts import SandboxStateLike


class RateLimiter:
    """Per-credential limits. Runs inside the auth middleware: reads ``scope["state"]["principal"]``."""

    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """/_sandbox/rate-limit."""
        return []

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def passthrough(scope: Scope, receive: Receive, send: Send) -> None:
            await app(scope, receive, send)

        return passthrough

    def reset(self) -> None:
        """Reset counters (control-plane reset)."""
