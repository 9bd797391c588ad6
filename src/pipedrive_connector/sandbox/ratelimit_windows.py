"""The counters behind the sandbox rate limits: rolling 2-second windows and the daily token budget.

All times come from the sandbox clock, so moving the clock through the control plane frees a window
or starts a new day.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

WINDOW_SECONDS = 2.0
SEARCH_LIMIT = 10
BASE_DAILY_TOKENS = 30_000
DAILY_WRITE_REQUESTS = 10_000  # the 2019 "fair usage" POST/PUT count behind x-daily-requests-left

PLAN_MULTIPLIER = {"lite": 1, "growth": 2, "premium": 5, "ultimate": 7}
BURST_LIMIT = {
    "api_token": {"lite": 20, "growth": 40, "premium": 100, "ultimate": 120},
    "oauth": {"lite": 80, "growth": 160, "premium": 400, "ultimate": 480},
}


@dataclass
class RollingWindow:
    """Requests admitted in the last ``WINDOW_SECONDS``."""

    limit: int
    stamps: deque[datetime] = field(default_factory=deque)

    def _expire(self, now: datetime) -> None:
        horizon = now - timedelta(seconds=WINDOW_SECONDS)
        while self.stamps and self.stamps[0] <= horizon:
            self.stamps.popleft()

    def has_room(self, now: datetime) -> bool:
        self._expire(now)
        return len(self.stamps) < self.limit

    def admit(self, now: datetime) -> None:
        self.stamps.append(now)

    def remaining(self, now: datetime) -> int:
        self._expire(now)
        return max(0, self.limit - len(self.stamps))

    def seconds_until_free(self, now: datetime) -> int:
        """Whole seconds until the oldest admitted request leaves the window (at least 1)."""
        self._expire(now)
        if not self.stamps:
            return math.ceil(WINDOW_SECONDS)
        left = (self.stamps[0] + timedelta(seconds=WINDOW_SECONDS) - now).total_seconds()
        return max(1, math.ceil(left))


@dataclass
class DailyBudget:
    """Tokens used by one company on one sandbox-clock day (UTC)."""

    day: date | None = None
    used: int = 0

    def roll(self, now: datetime) -> None:
        if self.day != now.date():
            self.day = now.date()
            self.used = 0


@dataclass
class DailyWrites:
    day: date | None = None
    count: int = 0

    def roll(self, now: datetime) -> None:
        if self.day != now.date():
            self.day = now.date()
            self.count = 0


def seconds_until_midnight(now: datetime) -> int:
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    return max(1, math.ceil((tomorrow - now).total_seconds()))
