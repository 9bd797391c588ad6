"""Connection flags shared by ``run``, the resource commands and ``request``: flags > env > profile."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from pipedrive_connector.component import Connection
from pipedrive_connector.component.errors import ConnectionConfigError

API_TOKEN = typer.Option(
    None,
    "--api-token",
    envvar="PIPEDRIVE_API_TOKEN",
    show_envvar=True,
    help="Pipedrive API token.",
    show_default=False,
)
BASE_URL = typer.Option(
    None,
    "--base-url",
    envvar="PIPEDRIVE_BASE_URL",
    show_envvar=True,
    help="API base URL, e.g. a sandbox's http://127.0.0.1:PORT.",
)
COMPANY_DOMAIN = typer.Option(
    None,
    "--company-domain",
    envvar="PIPEDRIVE_COMPANY_DOMAIN",
    show_envvar=True,
    help="Company subdomain: https://<domain>.pipedrive.com.",
)
ADD_TO = typer.Option(
    "header", "--add-to", help="Send the token as a header (x-api-token) or query (api_token)."
)
API_VERSION = typer.Option(
    "v2", "--api-version", help="v2 (today's endpoints) or v1 (the seed's legacy shapes)."
)
PROFILE = typer.Option(
    None,
    "--connection",
    "--profile",
    envvar="PIPEDRIVE_PROFILE",
    show_envvar=True,
    help="A saved connection profile (see `pipedrive auth`).",
)


@dataclass
class ConnectionFlags:
    api_token: str | None
    base_url: str | None
    company_domain: str | None
    add_to: str
    api_version: str
    profile: str | None

    def connection(self) -> Connection:
        if self.add_to not in ("header", "query"):
            raise ConnectionConfigError(f"--add-to must be header or query, got {self.add_to!r}")
        if self.api_version not in ("v1", "v2"):
            raise ConnectionConfigError(f"--api-version must be v1 or v2, got {self.api_version!r}")
        version: Any = self.api_version
        if self.api_token and not self.profile:
            return Connection.api_key(
                self.api_token,
                self.add_to,  # type: ignore[arg-type]
                self.base_url,
                self.company_domain,
                version,
            )
        try:
            from pipedrive_connector.client.profiles import ProfileError, resolve_credentials
        except ImportError:  # profiles not available: flags and environment only
            raise ConnectionConfigError(
                "no Pipedrive credentials: pass --api-token or set PIPEDRIVE_API_TOKEN"
            ) from None
        try:
            resolved = resolve_credentials(
                profile=self.profile,
                api_token=None,
                base_url=self.base_url,
                company_domain=self.company_domain,
            )
        except ProfileError as error:
            raise ConnectionConfigError(str(error)) from None
        if resolved.auth is not None:
            return Connection.oauth2(resolved.auth, resolved.base_url, resolved.company_domain, version)
        if not resolved.api_token:
            raise ConnectionConfigError("no Pipedrive credentials: pass --api-token or --connection PROFILE")
        return Connection.api_key(
            resolved.api_token,
            self.add_to,  # type: ignore[arg-type]
            resolved.base_url,
            resolved.company_domain,
            version,
        )


def read_json_argument(text: str, what: str) -> Any:
    """``'{"a": 1}'`` or ``@file.json`` (``@-`` reads stdin)."""
    source = what
    if text.startswith("@"):
        name = text[1:]
        source = "stdin" if name == "-" else name
        try:
            text = typer.get_text_stream("stdin").read() if name == "-" else Path(name).read_text("utf-8")
        except OSError as error:
            raise ConnectionConfigError(f"{what}: cannot read {name}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConnectionConfigError(
            f"{what}: {source} is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None


def parse_pairs(pairs: list[str] | None, what: str) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON when they parse (numbers, true, null), else strings."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConnectionConfigError(f"{what}: expected key=value, got {pair!r}")
        try:
            result[key] = json.loads(value)
        except json.JSONDecodeError:
            result[key] = value
    return result
