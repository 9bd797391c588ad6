"""Constructor options shared by ``Pipedrive`` and ``AsyncPipedrive``, turned into a ``ClientCore``."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TypedDict

import httpx

from pipedrive_connector.client._config import resolve_auth
from pipedrive_connector.client._core import DEFAULT_TIMEOUT, ClientCore, TimeoutArg, UsageHook
from pipedrive_connector.client._ratelimit import shared_limiter_url
from pipedrive_connector.client._redact import install_log_redaction
from pipedrive_connector.client._retry import RetryHook, RetryPolicy
from pipedrive_connector.client.auth import TokenLocation
from pipedrive_connector.client.errors import ConfigurationError

DEFAULT_FIELD_CACHE_TTL = 300.0


class ClientOptions(TypedDict, total=False):
    """Keyword options of both clients (all optional).

    token_location: "header" (``x-api-token``, default) or "query" (``?api_token=``).
    auth / oauth: any ``httpx.Auth`` (e.g. ``OAuth2Auth``) instead of an API token; same setting.
    company_domain: "acme" for https://acme.pipedrive.com. base_url: any base URL (wins).
    timeout: seconds per request (default 30). max_retries: retries of failed idempotent requests
    (default 3). max_rate_limit_retries: waits after 429s (default 6). max_wait: longest wait the
    client sleeps through (default 60 s; beyond it raises DailyBudgetExhausted). backoff_base /
    backoff_cap: exponential backoff start and ceiling (0.5 s / 8 s). rate_limit: pace requests
    client-side (default True). on_usage: called with a ``Usage`` per HTTP attempt. on_retry:
    called with a ``RetryEvent`` before each retry's wait (5xx, transport error or 429).
    field_cache_ttl: seconds custom-field definitions stay cached (default 300).
    limiter: "redis://host:6379/0" shares the rate limiter (windows, daily budget) with every process
    using this credential and URL (else ``PIPEDRIVE_LIMITER_URL``; "local": this process alone).
    environ: the environment to read PIPEDRIVE_* from (default ``os.environ``).
    """

    token_location: TokenLocation
    auth: httpx.Auth | None
    oauth: httpx.Auth | None
    company_domain: str | None
    base_url: str | None
    timeout: TimeoutArg
    max_retries: int
    max_rate_limit_retries: int
    max_wait: float
    backoff_base: float
    backoff_cap: float
    rate_limit: bool
    on_usage: UsageHook | None
    on_retry: RetryHook | None
    field_cache_ttl: float
    environ: Mapping[str, str] | None
    limiter: str | None


def check_http_client(http_client: object, transport: object, expected: type) -> None:
    """``http_client=`` must be the twin's httpx class and excludes ``transport=``."""
    if http_client is None:
        return
    if not isinstance(http_client, expected):
        raise ConfigurationError(
            f"http_client must be an httpx.{expected.__name__}, got {type(http_client).__name__}"
        )
    if transport is not None:
        raise ConfigurationError("pass either transport= or http_client=, not both")


def check_options(options: Mapping[str, object]) -> None:
    unknown = sorted(set(options) - ClientOptions.__optional_keys__)
    if unknown:
        valid = ", ".join(sorted(ClientOptions.__optional_keys__))
        raise ConfigurationError(f"unknown option(s) {', '.join(unknown)}; valid options: {valid}")


def build_core(
    api_token: str | None, options: ClientOptions, *, rng: random.Random | None = None
) -> ClientCore:
    check_options(options)
    max_retries = options.get("max_retries", 3)
    max_rate_limit_retries = options.get("max_rate_limit_retries", 6)
    max_wait = options.get("max_wait", 60.0)
    backoff_base = options.get("backoff_base", 0.5)
    backoff_cap = options.get("backoff_cap", 8.0)
    if max_retries < 0 or max_rate_limit_retries < 0:
        raise ConfigurationError("max_retries and max_rate_limit_retries must be 0 or more")
    if max_wait < 0 or backoff_base < 0 or backoff_cap < 0:
        raise ConfigurationError("max_wait, backoff_base and backoff_cap must be 0 or more seconds")
    install_log_redaction()
    resolved = resolve_auth(
        api_token=api_token,
        token_location=options.get("token_location", "header"),
        auth=options.get("auth"),
        oauth=options.get("oauth"),
        company_domain=options.get("company_domain"),
        base_url=options.get("base_url"),
        environ=options.get("environ"),
    )
    policy = RetryPolicy(
        max_retries=max_retries,
        max_rate_limit_retries=max_rate_limit_retries,
        backoff_base=backoff_base,
        backoff_cap=backoff_cap,
        max_wait=max_wait,
    )
    timeout = options.get("timeout")
    try:
        limiter_url = shared_limiter_url(options.get("limiter"), options.get("environ"))
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    return ClientCore(
        resolved,
        policy=policy,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        on_usage=options.get("on_usage"),
        rate_limit=options.get("rate_limit", True),
        rng=rng,
        on_retry=options.get("on_retry"),
        limiter_url=limiter_url,
    )
