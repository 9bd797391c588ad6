"""Constructor arguments shared by ``Pipedrive`` and ``AsyncPipedrive``, turned into a ``ClientCore``."""

from __future__ import annotations

import random
from collections.abc import Mapping

import httpx

from pipedrive_connector.client._config import resolve_auth
from pipedrive_connector.client._core import DEFAULT_TIMEOUT, ClientCore, TimeoutArg, UsageHook
from pipedrive_connector.client._redact import install_log_redaction
from pipedrive_connector.client._retry import RetryPolicy
from pipedrive_connector.client.auth import TokenLocation
from pipedrive_connector.client.errors import ConfigurationError


def build_core(
    *,
    api_token: str | None,
    token_location: TokenLocation,
    auth: httpx.Auth | None,
    oauth: httpx.Auth | None,
    company_domain: str | None,
    base_url: str | None,
    timeout: TimeoutArg,
    max_retries: int,
    max_rate_limit_retries: int,
    max_wait: float,
    backoff_base: float,
    backoff_cap: float,
    rate_limit: bool,
    on_usage: UsageHook | None,
    environ: Mapping[str, str] | None,
    rng: random.Random | None = None,
) -> ClientCore:
    if max_retries < 0 or max_rate_limit_retries < 0:
        raise ConfigurationError("max_retries and max_rate_limit_retries must be 0 or more")
    if max_wait < 0 or backoff_base < 0 or backoff_cap < 0:
        raise ConfigurationError("max_wait, backoff_base and backoff_cap must be 0 or more seconds")
    install_log_redaction()
    resolved = resolve_auth(
        api_token=api_token,
        token_location=token_location,
        auth=auth,
        oauth=oauth,
        company_domain=company_domain,
        base_url=base_url,
        environ=environ,
    )
    policy = RetryPolicy(
        max_retries=max_retries,
        max_rate_limit_retries=max_rate_limit_retries,
        backoff_base=backoff_base,
        backoff_cap=backoff_cap,
        max_wait=max_wait,
    )
    return ClientCore(
        resolved,
        policy=policy,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        on_usage=on_usage,
        rate_limit=rate_limit,
        rng=rng,
    )
