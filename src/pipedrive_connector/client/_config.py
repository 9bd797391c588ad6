"""Resolving the client's settings from arguments and environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from pipedrive_connector.client._redact import redact_text
from pipedrive_connector.client.auth import ApiTokenAuth, TokenLocation, credential_key
from pipedrive_connector.client.errors import ConfigurationError

ENV_TOKEN = "PIPEDRIVE_API_TOKEN"
ENV_COMPANY_DOMAIN = "PIPEDRIVE_COMPANY_DOMAIN"
ENV_BASE_URL = "PIPEDRIVE_BASE_URL"
DEFAULT_BASE_URL = "https://api.pipedrive.com"

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_VERSION_SUFFIXES = ("/api/v2", "/api/v1", "/v1")


@dataclass(frozen=True)
class ResolvedAuth:
    auth: httpx.Auth
    # Identifies the credential for the shared rate limiter and field cache; never the secret.
    credential_key: str
    # A base URL fixed by arguments or environment; None: ask the auth object, else the default.
    base_url: str | None


def normalize_base_url(value: str, *, source: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"{source} must be an http(s) URL such as https://acme.pipedrive.com, got {redact_text(value)!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{source} must not carry a query string or fragment")
    for suffix in _VERSION_SUFFIXES:
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    return url


def company_domain_url(domain: str, *, source: str = "company_domain") -> str:
    value = domain.strip().rstrip("/")
    if value.startswith(("http://", "https://")):
        return normalize_base_url(value, source=source)
    if value.lower().endswith(".pipedrive.com"):
        value = value[: -len(".pipedrive.com")]
    if not _DOMAIN.match(value):
        raise ConfigurationError(
            f"{source} must be your Pipedrive subdomain (the 'acme' in acme.pipedrive.com), got {domain!r}"
        )
    return f"https://{value}.pipedrive.com"


def resolve_auth(
    *,
    api_token: str | None,
    token_location: TokenLocation,
    auth: httpx.Auth | None,
    oauth: httpx.Auth | None,
    company_domain: str | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedAuth:
    env = os.environ if environ is None else environ
    if auth is not None and oauth is not None and auth is not oauth:
        raise ConfigurationError("pass either auth= or oauth= (they are the same setting), not both")
    chosen = auth if auth is not None else oauth
    if chosen is not None and api_token:
        raise ConfigurationError("pass either api_token= or auth=/oauth=, not both")
    if chosen is not None and not isinstance(chosen, httpx.Auth):
        raise ConfigurationError(
            f"auth= must be an httpx.Auth (e.g. OAuth2Auth), got {type(chosen).__name__}"
        )

    if chosen is None:
        token = api_token or env.get(ENV_TOKEN, "").strip() or None
        if not token:
            raise ConfigurationError(
                "no Pipedrive credentials: pass api_token=... (or set PIPEDRIVE_API_TOKEN), "
                "or auth=/oauth= with an OAuth2Auth"
            )
        chosen = ApiTokenAuth(token, token_location)

    key = getattr(chosen, "rate_limit_key", None)
    if not isinstance(key, str) or not key:
        key = credential_key(str(id(chosen)), kind="auth")

    fixed: str | None
    if base_url:
        fixed = normalize_base_url(base_url, source="base_url")
    elif company_domain:
        fixed = company_domain_url(company_domain)
    elif _api_domain(chosen):
        fixed = None  # follow the auth object's api_domain (it may change on refresh)
    elif env.get(ENV_BASE_URL, "").strip():
        fixed = normalize_base_url(env[ENV_BASE_URL], source=ENV_BASE_URL)
    elif env.get(ENV_COMPANY_DOMAIN, "").strip():
        fixed = company_domain_url(env[ENV_COMPANY_DOMAIN], source=ENV_COMPANY_DOMAIN)
    else:
        fixed = None
    return ResolvedAuth(auth=chosen, credential_key=key, base_url=fixed)


def _api_domain(auth: httpx.Auth) -> str | None:
    value = getattr(auth, "api_domain", None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def current_base_url(resolved: ResolvedAuth) -> str:
    """The base URL for the next request: fixed setting, else the auth's api_domain, else the default."""
    if resolved.base_url:
        return resolved.base_url
    domain = _api_domain(resolved.auth)
    if domain:
        return normalize_base_url(domain, source="api_domain")
    return DEFAULT_BASE_URL
