"""API-token authentication as an ``httpx.Auth``."""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from typing import Literal

import httpx

from pipedrive_connector.client.errors import ConfigurationError

TokenLocation = Literal["header", "query"]
TOKEN_HEADER = "x-api-token"
TOKEN_QUERY_PARAM = "api_token"


def credential_key(secret: str, kind: str = "token") -> str:
    """A stable, non-reversible id for a credential (rate-limit buckets, caches, logs)."""
    digest = hashlib.sha256(f"pipedrive-connector:{kind}:{secret}".encode()).hexdigest()
    return f"{kind}:{digest[:16]}"


class ApiTokenAuth(httpx.Auth):
    """Sends a Pipedrive API token in the ``x-api-token`` header (default) or the ``api_token`` query.

    The token never appears in ``repr``; ``rate_limit_key`` identifies it without revealing it.
    """

    def __init__(self, token: str, location: TokenLocation = "header") -> None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigurationError("api_token is empty: pass the API token from Pipedrive's settings")
        if location not in ("header", "query"):
            raise ConfigurationError(f"token_location must be 'header' or 'query', got {location!r}")
        self._token = token.strip()
        self.location: TokenLocation = location
        self.rate_limit_key = credential_key(self._token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.location == "header":
            request.headers[TOKEN_HEADER] = self._token
        else:
            request.url = request.url.copy_set_param(TOKEN_QUERY_PARAM, self._token)
        yield request

    def __repr__(self) -> str:
        return f"ApiTokenAuth(token=<hidden>, location={self.location!r})"
