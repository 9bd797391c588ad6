"""Connections: the seed's two authorization types (manifest data) and a runtime ``Connection``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from pipedrive_connector.client._redact import redact_url
from pipedrive_connector.component.actions.props import text
from pipedrive_connector.component.context import ActionContext, ApiVersion
from pipedrive_connector.component.errors import ConnectionConfigError
from pipedrive_connector.component.model import (
    ConnectionDefinition,
    ControlType,
    Option,
    Property,
    PropertyType,
)

if TYPE_CHECKING:
    from pipedrive_connector.client import AsyncPipedrive, Pipedrive

AddTo = Literal["header", "query"]
API_TOKEN_ENV = "PIPEDRIVE_API_TOKEN"
BASE_URL_ENV = "PIPEDRIVE_BASE_URL"
COMPANY_DOMAIN_ENV = "PIPEDRIVE_COMPANY_DOMAIN"

# Pipedrive's OAuth scopes in a stable order; True = selected by default. Webhook management (the
# triggers) needs ``admin``: Pipedrive's specs list only ``admin`` on /webhooks and define no
# ``webhooks:*`` scope, so ``admin`` is pre-selected instead of the issue's ``webhooks:full``.
OAUTH_SCOPES: tuple[tuple[str, bool], ...] = (
    ("base", True),
    ("deals:read", True),
    ("deals:full", True),
    ("contacts:read", True),
    ("contacts:full", True),
    ("leads:read", True),
    ("leads:full", True),
    ("activities:read", True),
    ("activities:full", True),
    ("users:read", True),
    ("search:read", True),
    ("admin", True),
    ("mail:read", False),
    ("mail:full", False),
    ("products:read", False),
    ("products:full", False),
    ("projects:read", False),
    ("projects:full", False),
    ("goals:read", False),
    ("goals:full", False),
    ("recents:read", False),
    ("deal-fields:full", False),
    ("contact-fields:full", False),
    ("product-fields:full", False),
    ("phone-integration", False),
    ("video-calls", False),
    ("messengers-integration", False),
)

API_KEY = ConnectionDefinition(
    name="api_key",
    title="API Key",
    properties=(
        text(
            "value",
            "Value",
            "Your personal API token (Pipedrive: Settings > Personal preferences > API).",
            required=True,
            secret=True,
        ),
        Property(
            "add_to",
            "Add to",
            PropertyType.STRING,
            ControlType.TEXT,
            "Where the token is sent: header (x-api-token, Pipedrive's recommendation) or query (api_token).",
            default="header",
            options=(Option("Header", "header"), Option("Query parameters", "query")),
        ),
    ),
    details={"header": "x-api-token", "query_parameter": "api_token", "test": "GET /v1/users/me"},
)

OAUTH2 = ConnectionDefinition(
    name="oauth2_authorization_code",
    title="OAuth2 Authorization Code",
    properties=(
        text("client_id", "Client Id", "The client ID of your Pipedrive app.", required=True),
        text(
            "client_secret",
            "Client Secret",
            "The client secret of your Pipedrive app.",
            required=True,
            secret=True,
        ),
    ),
    details={
        "authorization_url": "https://oauth.pipedrive.com/oauth/authorize",
        "token_url": "https://oauth.pipedrive.com/oauth/token",
        "refresh_url": "https://oauth.pipedrive.com/oauth/token",
        "client_authentication": "HTTP Basic (client_id:client_secret)",
        "scopes": [{"name": name, "selected": selected} for name, selected in OAUTH_SCOPES],
        "base_url": "the token response's api_domain",
        "test": "GET /v1/users/me",
    },
)

CONNECTIONS: tuple[ConnectionDefinition, ...] = (API_KEY, OAUTH2)


@dataclass
class Connection:
    """How to reach one Pipedrive company: credentials, base URL, and the API mode of the actions.

    Build one with ``Connection.api_key(...)``, ``Connection.oauth2(auth)`` or ``Connection.from_env()``.
    ``client_options`` go to the ``Pipedrive`` client (e.g. ``transport=`` or ``http_client=``).
    """

    kind: Literal["api_key", "oauth2"]
    api_token: str | None = field(default=None, repr=False)
    add_to: AddTo = "header"
    auth: httpx.Auth | None = field(default=None, repr=False)
    base_url: str | None = None
    company_domain: str | None = None
    api_version: ApiVersion = "v2"
    client_options: dict[str, Any] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        base_url = redact_url(self.base_url) if self.base_url else None
        return (
            f"Connection(kind={self.kind!r}, add_to={self.add_to!r}, base_url={base_url!r}, "
            f"company_domain={self.company_domain!r}, api_version={self.api_version!r})"
        )

    @classmethod
    def api_key(
        cls,
        value: str,
        add_to: AddTo = "header",
        base_url: str | None = None,
        company_domain: str | None = None,
        api_version: ApiVersion = "v2",
        **client_options: Any,
    ) -> Connection:
        if not isinstance(value, str) or not value.strip():
            raise ConnectionConfigError("API Key connection: Value (the API token) is empty")
        if add_to not in ("header", "query"):
            raise ConnectionConfigError(
                f"API Key connection: Add to must be 'header' or 'query', got {add_to!r}"
            )
        _check_version(api_version)
        return cls(
            "api_key", value.strip(), add_to, None, base_url, company_domain, api_version, client_options
        )

    @classmethod
    def oauth2(
        cls,
        auth: httpx.Auth,
        base_url: str | None = None,
        company_domain: str | None = None,
        api_version: ApiVersion = "v2",
        **client_options: Any,
    ) -> Connection:
        """An OAuth2 connection from an ``httpx.Auth`` that adds the Bearer token (and refreshes it)."""
        _check_version(api_version)
        return cls("oauth2", None, "header", auth, base_url, company_domain, api_version, client_options)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, api_version: ApiVersion = "v2") -> Connection:
        env = os.environ if environ is None else environ
        token = env.get(API_TOKEN_ENV)
        if not token:
            raise ConnectionConfigError(f"no API token: set {API_TOKEN_ENV} or pass one")
        return cls.api_key(
            token,
            base_url=env.get(BASE_URL_ENV) or None,
            company_domain=env.get(COMPANY_DOMAIN_ENV) or None,
            api_version=api_version,
        )

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(self.client_options)
        if self.base_url:
            kwargs["base_url"] = self.base_url
        if self.company_domain:
            kwargs["company_domain"] = self.company_domain
        if self.kind == "oauth2":
            kwargs["auth"] = self.auth
        else:
            kwargs["api_token"] = self.api_token
            kwargs["token_location"] = self.add_to
        return kwargs

    def client(self) -> Pipedrive:
        from pipedrive_connector.client import Pipedrive

        return Pipedrive(**self._client_kwargs())

    def async_client(self) -> AsyncPipedrive:
        from pipedrive_connector.client import AsyncPipedrive

        return AsyncPipedrive(**self._client_kwargs())

    def context(
        self, api_version: ApiVersion | None = None, resolve_custom_fields: bool = True
    ) -> ActionContext:
        return ActionContext(api_version or self.api_version, resolve_custom_fields, self._cache)

    def test(self) -> ConnectionTest:
        """``GET /v1/users/me``: who the credentials belong to."""
        with self.client() as client:
            return ConnectionTest.from_body(client.request("GET", "/v1/users/me"))

    async def atest(self) -> ConnectionTest:
        async with self.async_client() as client:
            return ConnectionTest.from_body(await client.request("GET", "/v1/users/me"))


@dataclass(frozen=True)
class ConnectionTest:
    user_id: int | None
    name: str
    email: str
    company_name: str
    company_domain: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> ConnectionTest:
        data = body.get("data") or {}
        return cls(
            data.get("id"),
            str(data.get("name") or ""),
            str(data.get("email") or ""),
            str(data.get("company_name") or ""),
            str(data.get("company_domain") or ""),
        )

    @property
    def message(self) -> str:
        return f"connected as {self.name} (company {self.company_domain})"


def _check_version(api_version: str) -> None:
    if api_version not in ("v1", "v2"):
        raise ConnectionConfigError(f"api_version must be 'v1' or 'v2', got {api_version!r}")
