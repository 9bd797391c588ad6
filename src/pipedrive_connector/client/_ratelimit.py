"""Client-side rate limiting shared by every client (sync or async, any thread) using one credential.

Pipedrive limits each token to N requests per rolling 2-second window (N from ``x-ratelimit-limit``)
and search endpoints to 10 per 2 s. The limiter hands out send slots so that no more than N requests
start in any window, pauses everyone until ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` hits
0, and after a 429 until the server's ``Retry-After``. ``reserve`` only computes a delay under a
lock; the caller sleeps (``time.sleep`` or ``anyio.sleep``), so threads and tasks share one state.

With ``PIPEDRIVE_LIMITER_URL=redis://...`` (or ``use_shared_limiter(url)``) the windows live in
Redis instead, so that several processes using one credential share them: each reservation, learned
limit and pause is one Lua script (atomic, on Redis's clock, as process clocks differ). A reservation
is then one Redis round trip, made synchronously (an async client blocks its loop for that long). If
Redis cannot be reached, the process falls back to its own windows and says so once in the log.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

WINDOW_SECONDS = 2.0
# Requests are counted where the server receives them; leave room for latency differences.
WINDOW_SLACK = 0.15
SEARCH_LIMIT = 10
LIMITER_URL_ENV = "PIPEDRIVE_LIMITER_URL"
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


# KEYS: starts (list), learned limit, blocked-until. ARGV: window seconds, default limit (0: none).
# Returns the wait in seconds, as a string (Lua numbers returned to Redis become integers).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(redis.call('GET', KEYS[2]) or ARGV[2])
local start = math.max(now, tonumber(redis.call('GET', KEYS[3]) or '0'))
while true do
  local first = redis.call('LINDEX', KEYS[1], 0)
  if first and tonumber(first) <= now - window then redis.call('LPOP', KEYS[1]) else break end
end
local n = redis.call('LLEN', KEYS[1])
if n > 0 then start = math.max(start, tonumber(redis.call('LINDEX', KEYS[1], -1))) end
if limit > 0 and n >= limit then
  start = math.max(start, tonumber(redis.call('LINDEX', KEYS[1], -limit)) + window)
end
redis.call('RPUSH', KEYS[1], string.format('%.6f', start))
redis.call('PEXPIRE', KEYS[1], math.ceil((start - now + window) * 1000) + 1000)
return string.format('%.6f', start - now)
"""
# KEYS: blocked-until. ARGV: seconds from now (Redis's clock).
_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""


class RedisWindowLimiter(WindowLimiter):
    """A ``WindowLimiter`` whose slots, learned limit and pauses live in Redis under ``prefix``,
    shared by every process that uses the same prefix (one credential, one window)."""

    def __init__(self, client: Any, prefix: str, limit: int | None = None) -> None:
        super().__init__(limit)
        self._client = client
        self._keys = [f"{prefix}:starts", f"{prefix}:limit", f"{prefix}:blocked"]
        self._reserve_script = client.register_script(_RESERVE)
        self._block_script = client.register_script(_BLOCK)
        self._failed = False

    def _shared(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` against Redis; None (and this process's own windows) when it fails."""
        try:
            result = work()
        except Exception as exc:
            if not self._failed:
                logger.warning("shared rate limiter unavailable, pacing this process alone: %s", exc)
            self._failed = True
            return None
        if self._failed:
            logger.warning("shared rate limiter reachable again")
            self._failed = False
        return result

    def reserve(self) -> float:
        limit = self.limit if self.limit is not None and self.limit > 0 else 0
        wait = self._shared(
            lambda: self._reserve_script(keys=self._keys, args=[WINDOW_SECONDS + WINDOW_SLACK, limit])
        )
        return float(wait) if wait is not None else super().reserve()

    def observe(self, headers: httpx.Headers, status_code: int) -> RateSnapshot:
        snap = super().observe(headers, status_code)
        if snap.limit is not None and snap.limit > 0:
            # Kept for a day: a plan change shows up in the next response's headers anyway.
            self._shared(lambda: self._client.set(self._keys[1], snap.limit, ex=86400))
        if snap.remaining is not None and snap.remaining <= 0 and status_code != 429:
            pause = snap.reset if snap.reset is not None else WINDOW_SECONDS
            self._block(min(pause, WINDOW_SECONDS))
        return snap

    def block_for(self, seconds: float) -> None:
        super().block_for(seconds)
        self._block(seconds)

    def _block(self, seconds: float) -> None:
        self._shared(lambda: self._block_script(keys=[self._keys[2]], args=[max(0.0, seconds)]))


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


def use_shared_limiter(url: str | None) -> None:
    """Keep every credential's windows in Redis at ``url`` (``redis://...``), shared by all the
    processes that do the same; None goes back to per-process windows. Default: $PIPEDRIVE_LIMITER_URL.
    """
    global _shared_url
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"{LIMITER_URL_ENV} must be a redis:// URL")
    with _registry_lock:
        _shared_url = url
        _registry.clear()


def _new_limiter(credential_key: str) -> CredentialLimiter:
    url = _shared_url if _shared_url is not None else os.environ.get(LIMITER_URL_ENV) or None
    if url is None:
        return CredentialLimiter()
    try:
        import redis
    except ImportError:
        raise ValueError(f"{LIMITER_URL_ENV} needs redis: pip install 'pipedrive-connector[redis]'") from None
    client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
    prefix = f"pipedrive:limiter:{credential_key}"
    return CredentialLimiter(
        RedisWindowLimiter(client, f"{prefix}:general"),
        RedisWindowLimiter(client, f"{prefix}:search", limit=SEARCH_LIMIT),
    )


def limiter_for(credential_key: str) -> CredentialLimiter:
    """The process-wide limiter of a credential (keyed by a hash, never the secret)."""
    with _registry_lock:
        limiter = _registry.get(credential_key)
        if limiter is None:
            limiter = _registry[credential_key] = _new_limiter(credential_key)
        return limiter


def reset_limiters() -> None:
    """Forget every credential's learned limits and pending waits (tests, or after a plan change)."""
    with _registry_lock:
        _registry.clear()
