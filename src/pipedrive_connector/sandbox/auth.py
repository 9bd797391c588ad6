"""Auth middleware: API token (header or query) or OAuth bearer → ``scope["state"]["principal"]``."""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from pipedrive_connector.sandbox import scopes
from pipedrive_connector.sandbox.contracts import Principal
from pipedrive_connector.sandbox.errors import unauthorized_body

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

PUBLIC_PREFIXES = ("/oauth/", "/_sandbox/")
INVALID_BEARER = {"success": False, "error": "Invalid token: access_token is invalid", "errorCode": 401}
SCOPE_MISMATCH = {"success": False, "error": "Scope and URL mismatch", "errorCode": 403}
MALFORMED_HEADER = {
    "success": False,
    "error": "Invalid request: malformed authorization header",
    "errorCode": 400,
}


async def _send_json(send: Send, status: int, body: dict[str, object]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class AuthMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(PUBLIC_PREFIXES)
            or scope["path"]
            in (
                "/oauth",
                "/_sandbox",
            )
        ):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        principal: Principal | None
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                await _send_json(send, 400, MALFORMED_HEADER)
                return
            principal = self.state.oauth.authenticate_bearer(credential.strip())
            if principal is None:
                await _send_json(send, 401, INVALID_BEARER)
                return
            if not scopes.allowed(scope["path"], scope["method"], principal.scopes):
                await _send_json(send, 403, SCOPE_MISMATCH)
                return
        else:
            token = headers.get("x-api-token")
            if token is None:
                query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                token = (query.get("api_token") or [None])[0]
            principal = self._principal_for_token(token) if token else None
            if principal is None:
                await _send_json(send, 401, unauthorized_body())
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _principal_for_token(self, token: str) -> Principal | None:
        candidate = token.encode()
        matched: int | None = None
        for user in self.state.store.all("user"):
            if not user.get("active_flag", True):
                continue
            expected = self.state.user_token(int(user["id"])).encode()
            # Compare against every user so timing does not reveal which one matched.
            if hmac.compare_digest(candidate, expected):
                matched = int(user["id"])
        if matched is None:
            return None
        return Principal(
            user_id=matched,
            company_id=self.state.settings.company_id,
            auth_kind="api_token",
            credential_id=f"api_token:user:{matched}",
        )
