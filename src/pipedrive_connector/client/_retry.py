"""Retry policy: which failures are retried for which methods, and how long to wait in between."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PATCH", "PUT"})
RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})
# Raised before a single byte of the request reached the server: safe to retry any method.
NOT_SENT_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Per-client settings; ``with_overrides`` gives the per-call variant."""

    max_retries: int = 3
    # Rate-limit (429) waits are counted separately: they are expected, not failures.
    max_rate_limit_retries: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    # A wait longer than this (Retry-After or reset) is not slept through: it raises instead.
    max_wait: float = 60.0

    def with_overrides(self, *, max_retries: int | None = None) -> RetryPolicy:
        if max_retries is None:
            return self
        return replace(self, max_retries=max_retries)

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Capped exponential delay with "equal jitter": between half and all of the capped value."""
        capped = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return capped * (0.5 + 0.5 * (rng or random).random())


@dataclass(frozen=True)
class RetryEvent:
    """A retry about to happen, as reported to the ``on_retry`` hook (before the client waits)."""

    method: str
    path: str
    delay: float  # seconds until the next attempt
    attempt: int  # the attempt about to be made: 2 is the first retry
    max_attempts: int
    status_code: int | None = None  # the answer that failed, or
    error: str | None = None  # the transport error's name (e.g. "ReadTimeout")

    @property
    def reason(self) -> str:
        return str(self.status_code) if self.status_code is not None else (self.error or "error")

    def describe(self) -> str:
        """``retrying GET /api/v2/deals in 2.0 s (attempt 2/4): 503``."""
        return (
            f"retrying {self.method} {self.path} in {self.delay:.1f} s "
            f"(attempt {self.attempt}/{self.max_attempts}): {self.reason}"
        )


RetryHook = Callable[[RetryEvent], None]


def is_idempotent(method: str, override: bool | None) -> bool:
    if override is not None:
        return override
    return method.upper() in IDEMPOTENT_METHODS


def parse_retry_after(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date), else ``x-ratelimit-reset``."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset))
        except ValueError:
            return None
    return None
