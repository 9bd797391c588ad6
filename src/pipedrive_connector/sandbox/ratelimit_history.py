"""Rate-limit usage per sandbox-clock minute (the console's chart): requests admitted, tokens spent
and requests refused (429), for the last ``MINUTES`` minutes that saw any request."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MINUTES = 120
MINUTE_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class MinuteUsage:
    requests: int = 0
    tokens: int = 0
    refused: int = 0


class UsageHistory:
    def __init__(self) -> None:
        self._minutes: OrderedDict[str, MinuteUsage] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, now: datetime, admitted: bool, tokens: int) -> None:
        minute = now.strftime(MINUTE_FORMAT)
        with self._lock:
            usage = self._minutes.get(minute)
            if usage is None:
                usage = self._minutes[minute] = MinuteUsage()
                while len(self._minutes) > MINUTES:
                    self._minutes.popitem(last=False)
            if admitted:
                usage.requests += 1
                usage.tokens += tokens
            else:
                usage.refused += 1

    def points(self) -> list[dict[str, Any]]:
        """Oldest minute first: ``{"minute", "requests", "tokens", "refused"}``."""
        with self._lock:
            return [
                {"minute": minute, "requests": u.requests, "tokens": u.tokens, "refused": u.refused}
                for minute, u in self._minutes.items()
            ]

    def clear(self) -> None:
        with self._lock:
            self._minutes.clear()
