"""Webhooks: the /v1/webhooks management API and outgoing deliveries (stub until implemented)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.contracts import SandboxStateLike


class WebhookService:
    """Subscribes to ``state.bus`` and delivers each change to matching webhooks."""

    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """Routes under /v1/webhooks, /api/v1/webhooks and /_sandbox/deliveries, /_sandbox/webhooks/*."""
        return []

    async def start(self) -> None:
        """Start the delivery worker (called from the app's lifespan)."""

    async def stop(self) -> None:
        """Stop the worker; pending deliveries are abandoned."""

    def reset(self) -> None:
        """Forget subscriptions and the delivery log (control-plane reset)."""

    def describe(self) -> dict[str, Any]:
        return {}
