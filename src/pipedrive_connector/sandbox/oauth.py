"""The sandbox's OAuth2 server: /oauth/authorize, /oauth/token, /oauth/revoke (stub until implemented)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.contracts import Principal, SandboxStateLike


class OAuthServer:
    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """/oauth/* and /_sandbox/oauth/* routes."""
        return []

    def authenticate_bearer(self, token: str) -> Principal | None:
        """The principal for a valid, unexpired access token; None otherwise."""
        return None

    def reset(self) -> None:
        """Forget clients, codes and tokens (control-plane reset)."""
