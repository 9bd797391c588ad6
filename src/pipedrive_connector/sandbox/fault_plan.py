"""Fault settings and the seeded decision for each request.

Every request draws the same four numbers from one ``random.Random(seed)`` whatever happens to it,
so a given seed yields the same sequence of faults for the same sequence of requests.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

DEFAULT_STATUSES = (500, 502, 503)
ALLOWED_STATUSES = frozenset({500, 501, 502, 503, 504})
_RATE_FIELDS = ("error_rate", "drop_rate", "slow_rate", "after_rate", "after_drop_rate")
_MS_FIELDS = ("latency_ms", "slow_ms")
_MAX_MS = 120_000
KNOWN_FIELDS = frozenset({*_RATE_FIELDS, *_MS_FIELDS, "seed", "statuses", "paths"})


class FaultConfigError(ValueError):
    pass


@dataclass(frozen=True)
class FaultConfig:
    error_rate: float = 0.0  # 5xx before the handler: the request had no effect
    drop_rate: float = 0.0  # connection closed before the handler: no effect, no response
    latency_ms: int = 0  # added to every request
    slow_rate: float = 0.0  # share of requests delayed by slow_ms more (to trip client timeouts)
    slow_ms: int = 0
    after_rate: float = 0.0  # 5xx AFTER the handler ran: the write happened, the reply is lost
    after_drop_rate: float = 0.0  # connection closed after the handler ran
    seed: int | None = None
    statuses: tuple[int, ...] = DEFAULT_STATUSES
    paths: tuple[str, ...] = ()  # path prefixes faults apply to; empty = every API path

    @property
    def active(self) -> bool:
        return any(getattr(self, name) > 0 for name in (*_RATE_FIELDS, *_MS_FIELDS))

    def applies_to(self, path: str) -> bool:
        return not self.paths or path.startswith(self.paths)

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in (*_RATE_FIELDS, *_MS_FIELDS)},
            "seed": self.seed,
            "statuses": list(self.statuses),
            "paths": list(self.paths),
            "active": self.active,
        }

    @classmethod
    def parse(cls, payload: dict[str, Any], default_seed: int | None) -> FaultConfig:
        unknown = set(payload) - KNOWN_FIELDS
        if unknown:
            raise FaultConfigError(f"unknown field(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name in _RATE_FIELDS:
            value = payload.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise FaultConfigError(f"{name} must be a number between 0 and 1")
            values[name] = float(value)
        for name in _MS_FIELDS:
            value = payload.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= _MAX_MS:
                raise FaultConfigError(f"{name} must be a number of milliseconds between 0 and {_MAX_MS}")
            values[name] = int(value)
        if values["error_rate"] + values["drop_rate"] > 1:
            raise FaultConfigError("error_rate + drop_rate must not exceed 1")
        if values["after_rate"] + values["after_drop_rate"] > 1:
            raise FaultConfigError("after_rate + after_drop_rate must not exceed 1")
        seed = payload.get("seed", default_seed)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultConfigError("seed must be an integer or null")
        statuses = payload.get("statuses", list(DEFAULT_STATUSES))
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, int) and s in ALLOWED_STATUSES for s in statuses)
        ):
            raise FaultConfigError(f"statuses must be a non-empty list drawn from {sorted(ALLOWED_STATUSES)}")
        paths = payload.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("/") for p in paths):
            raise FaultConfigError('paths must be a list of path prefixes such as "/api/v2/"')
        return cls(seed=seed, statuses=tuple(statuses), paths=tuple(paths), **values)


@dataclass(frozen=True)
class FaultDecision:
    before: str | None  # "error" | "drop" | None
    after: str | None  # "error" | "drop" | None
    delay_ms: int
    status: int

    @property
    def any(self) -> bool:
        return bool(self.before or self.after or self.delay_ms)


@dataclass
class FaultPlan:
    config: FaultConfig = field(default_factory=FaultConfig)
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.config.seed)

    def decide(self) -> FaultDecision:
        config = self.config
        with self._lock:
            before_draw, slow_draw, after_draw, status_draw = (self._rng.random() for _ in range(4))
        before: str | None = None
        if before_draw < config.drop_rate:
            before = "drop"
        elif before_draw < config.drop_rate + config.error_rate:
            before = "error"
        after: str | None = None
        if after_draw < config.after_drop_rate:
            after = "drop"
        elif after_draw < config.after_drop_rate + config.after_rate:
            after = "error"
        delay = config.latency_ms + (config.slow_ms if slow_draw < config.slow_rate else 0)
        status = config.statuses[min(len(config.statuses) - 1, int(status_draw * len(config.statuses)))]
        return FaultDecision(before=before, after=after, delay_ms=delay, status=status)
