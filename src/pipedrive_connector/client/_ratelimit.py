"""Client-side rate limiting shared by every client (sync or async, any thread) using one credential.

Pipedrive limits each token to N requests per rolling 2-second window (N from ``x-ratelimit-limit``)
and search endpoints to 10 per 2 s. The limiter hands out send slots so that no more than N requests
start in any window, pauses everyone until ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` hits
0, and after a 429 until the server's ``Retry-After``. ``reserve`` only computes a delay under a
lock; the caller sleeps (``time.sleep`` or ``anyio.sleep``), so threads and tasks share one state.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import httpx

WINDOW_SECONDS = 2.0
# Requests are counted where the server receives them; leave room for latency differences.
WINDOW_SLACK = 0.15
SEARCH_LIMIT = 10


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

    def __init__(self) -> None:
        self.general = WindowLimiter()
        self.search = WindowLimiter(limit=SEARCH_LIMIT)

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
