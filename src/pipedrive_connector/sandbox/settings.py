"""Sandbox settings: everything ``pipedrive sandbox serve`` and ``run_sandbox`` can configure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

RatePlan = Literal["off", "lite", "growth", "premium", "ultimate"]
SeedName = Literal["demo", "empty"]


@dataclass
class SandboxSettings:
    api_token: str = field(default="sandbox-token", repr=False)  # a secret: kept out of reprs
    db_path: str | None = None
    seed: SeedName = "demo"
    rate_limit: RatePlan = "off"
    daily_budget: int | None = None  # None: 30,000 x plan multiplier x seats, as Pipedrive computes it
    webhook_retry_delays: tuple[float, ...] = (3.0, 30.0, 150.0)
    webhook_timeout_seconds: float = 10.0
    webhook_ban_enabled: bool = True
    company_domain: str = "sandbox"
    company_id: int = 1
    fault_seed: int | None = None
    extra: dict[str, object] = field(default_factory=dict)
