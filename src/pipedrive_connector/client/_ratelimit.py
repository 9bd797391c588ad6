"""Client-side rate limiting shared by every client (sync or async, any thread) using one credential.

Pipedrive limits each token to N requests per rolling 2-second window (N from ``x-ratelimit-limit``)
and search endpoints to 10 per 2 s. The limiter hands out send slots so that no more than N requests
start in any window, pauses everyone until ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` hits
0, and after a 429 until the server's ``Retry-After``. ``reserve`` only computes a delay under a
lock; the caller sleeps (``time.sleep`` or ``anyio.sleep``), so threads and tasks share one state.

With ``limiter="redis://..."`` (or ``PIPEDRIVE_LIMITER_URL``, or ``use_shared_limiter(url)``) the
windows and the daily budget live in Redis instead (``_ratelimit_redis``), so that several processes
using one credential share them. The core stays sans-I/O: it says what to reserve
(``SharedReservation``) and what it learned from a response (``SharedUpdate``); the sync and async
clients carry those to Redis and hand the answer (``SharedGrant``) back to the core.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

WINDOW_SECONDS = 2.0
# Requests are counted where the server receives them; leave room for latency differences.
WINDOW_SLACK = 0.15
SEARCH_LIMIT = 10
LIMITER_URL_ENV = "PIPEDRIVE_LIMITER_URL"
LIMITER_SCHEMES = ("redis://", "rediss://", "unix://")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateSnapshot:
    """What the last response said about the budgets (None: header absent)."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    daily_tokens_limit: int | None = None
    daily_tokens_left: int | None = None
    daily_requests_left: int | None = None


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def snapshot_of(headers: httpx.Headers) -> RateSnapshot:
    reset_raw = headers.get("x-ratelimit-reset")
    try:
        reset = float(reset_raw) if reset_raw is not None else None
    except ValueError:
        reset = None
    return RateSnapshot(
        limit=_int_header(headers, "x-ratelimit-limit"),
        remaining=_int_header(headers, "x-ratelimit-remaining"),
        reset=reset,
        daily_tokens_limit=_int_header(headers, "x-daily-ratelimit-token-limit"),
        daily_tokens_left=_int_header(headers, "x-daily-ratelimit-token-remaining"),
        daily_requests_left=_int_header(headers, "x-daily-requests-left"),
    )


class WindowLimiter:
    """One rolling window: at most ``limit`` request starts per ``WINDOW_SECONDS``."""

    def __init__(self, limit: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._starts: deque[float] = deque()
        self.limit = limit
        self._default_limit = limit
        self._blocked_until = 0.0
        self.last: RateSnapshot = RateSnapshot()

    def reserve(self) -> float:
        """Claim the next free send slot; returns how many seconds to wait before sending."""
        with self._lock:
            now = self._clock()
            start = max(now, self._blocked_until)
            window = WINDOW_SECONDS + WINDOW_SLACK
            while self._starts and self._starts[0] <= now - window:
                self._starts.popleft()
            if self._starts:
                start = max(start, self._starts[-1])  # keep the slots ordered
            limit = self.limit
            if limit is not None and limit > 0 and len(self._starts) >= limit:
                start = max(start, self._starts[-limit] + window)
            self._starts.append(start)
            return max(0.0, start - now)

    def observe(self, headers: httpx.Headers, status_code: int) -> RateSnapshot:
        snap = snapshot_of(headers)
        with self._lock:
            self.last = snap
            if snap.limit is not None and snap.limit > 0:
                self.limit = snap.limit
            elif status_code < 400:
                # The server stopped reporting a window (a different plan or server): stop pacing
                # by an old one; a 429 would still be honoured.
                self.limit = self._default_limit
            if snap.remaining is not None and snap.remaining <= 0 and status_code != 429:
                pause = snap.reset if snap.reset is not None else WINDOW_SECONDS
                self._blocked_until = max(self._blocked_until, self._clock() + min(pause, WINDOW_SECONDS))
        return snap

    def block_for(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


class CredentialLimiter:
    """The general window and the search window of one credential."""

    def __init__(self, general: WindowLimiter | None = None, search: WindowLimiter | None = None) -> None:
        self.general = general or WindowLimiter()
        self.search = search or WindowLimiter(limit=SEARCH_LIMIT)

    def for_path(self, path: str) -> WindowLimiter:
        """The window whose headers a response on ``path`` reports."""
        return self.search if is_search_path(path) else self.general

    def reserve(self, path: str) -> float:
        """Seconds to wait before sending to ``path``: searches count against both windows."""
        wait = self.general.reserve()
        if is_search_path(path):
            wait = max(wait, self.search.reserve())
        return wait


def is_search_path(path: str) -> bool:
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    return tail in ("search", "itemSearch") or path.rstrip("/").endswith("/itemSearch/field")


_registry: dict[str, CredentialLimiter] = {}
_registry_lock = threading.Lock()
_shared_url: str | None = None


def check_limiter_url(url: str, source: str = "limiter") -> str:
    """A ``redis://`` (``rediss://``, ``unix://``) URL, or a clear error naming ``source``."""
    if not isinstance(url, str) or not url.strip().startswith(LIMITER_SCHEMES):
        raise ValueError(f"{source} must be a redis:// (rediss://, unix://) URL")
    return url.strip()


def use_shared_limiter(url: str | None) -> None:
    """Make clients built without ``limiter=`` keep their windows in Redis at ``url``, shared with
    every process that does the same; None goes back to $PIPEDRIVE_LIMITER_URL (or none)."""
    global _shared_url
    checked = check_limiter_url(url, LIMITER_URL_ENV) if url is not None else None
    with _registry_lock:
        _shared_url = checked


def shared_limiter_url(option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The Redis URL a client shares its limiter through: ``limiter=`` ("local": none), else
    ``use_shared_limiter``'s, else $PIPEDRIVE_LIMITER_URL; None: this process's own windows."""
    if option is not None:
        if option.strip() == "local":
            return None
        return check_limiter_url(option)
    if _shared_url is not None:
        return _shared_url
    env_value = (environ if environ is not None else os.environ).get(LIMITER_URL_ENV, "").strip()
    return check_limiter_url(env_value, LIMITER_URL_ENV) if env_value else None


@dataclass(frozen=True)
class SharedReservation:
    """One send slot to claim in Redis: in each window (scope, limit; 0: none learned yet) and
    ``cost`` tokens of the daily budget, all or nothing."""

    windows: tuple[tuple[str, int], ...]
    cost: int = 1


@dataclass(frozen=True)
class SharedGrant:
    """Redis's answer: wait ``wait`` seconds and send, or (``daily_reset`` set) the shared daily
    budget is gone for that many seconds more."""

    wait: float = 0.0
    daily_reset: float | None = None


@dataclass(frozen=True)
class SharedUpdate:
    """What one response taught about a window (``scope``) and the daily budget."""

    scope: str
    limit: int | None = None
    block: float = 0.0
    daily_left: int | None = None
    daily_ttl: float = 0.0


def seconds_until_utc_midnight(now: datetime | None = None) -> float:
    """Pipedrive's daily budget resets at midnight (server time); the next UTC midnight estimates it."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - now).total_seconds())


def update_from(scope: str, snap: RateSnapshot) -> SharedUpdate:
    """What a response teaches the shared limiter: the window's limit and the daily tokens left.

    Unlike ``WindowLimiter.observe`` it does not pause on ``x-ratelimit-remaining: 0``: the shared
    window already holds every process's slots, and the reset is whole seconds (rounded up), so
    the pause would idle the window for up to a second each time. A client outside the shared
    limiter that fills the window causes a 429, whose Retry-After pauses every process.
    """
    return SharedUpdate(
        scope,
        limit=snap.limit if snap.limit is not None and snap.limit > 0 else None,
        daily_left=snap.daily_tokens_left,
        daily_ttl=seconds_until_utc_midnight(),
    )


def limiter_for(credential_key: str) -> CredentialLimiter:
    """The process-wide limiter of a credential (keyed by a hash, never the secret)."""
    with _registry_lock:
        limiter = _registry.get(credential_key)
        if limiter is None:
            limiter = _registry[credential_key] = CredentialLimiter()
        return limiter


def reset_limiters() -> None:
    """Forget every credential's learned limits and pending waits (tests, or after a plan change)."""
    with _registry_lock:
        _registry.clear()
