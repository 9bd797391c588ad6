"""A bounded HTTP load generator on loopback: fixed offered rates, or closed-loop maximum.

Latency is measured from the moment a request was *scheduled* to be sent, so a server (or a
generator) that falls behind shows up in the latency instead of silently lowering the load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from benchmarks.rawhttp import RawHTTPError, RawPool
from benchmarks.stats import percentile

BodyFactory = Callable[[int], bytes]


@dataclass
class LoadResult:
    offered_rate: float | None  # None: closed loop ("max")
    duration: float
    sent: int = 0
    acknowledged: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu_seconds: float = 0.0  # the generator's own CPU time (this process), to show it is no limit

    def summary(self) -> dict[str, Any]:
        ok = self.latencies
        return {
            "offered_rate": self.offered_rate,
            "sent": self.sent,
            "acknowledged": self.acknowledged,
            "acked_per_second": self.acknowledged / self.elapsed if self.elapsed else 0.0,
            "p50_ms": percentile(ok, 50) * 1000 if ok else None,
            "p99_ms": percentile(ok, 99) * 1000 if ok else None,
            "statuses": self.statuses,
            "elapsed": self.elapsed,
            "generator_cpu_share": self.cpu_seconds / self.elapsed if self.elapsed else 0.0,
        }


async def _post(
    pool: RawPool, path: str, body: bytes, headers: dict[str, str], scheduled: float, result: LoadResult
) -> None:
    status = 0
    try:
        status, _ = await pool.post(path, body, headers)
        key = str(status)
    except RawHTTPError as exc:
        key = str(exc).split(":", 1)[0]
    result.statuses[key] = result.statuses.get(key, 0) + 1
    if status == 200:
        result.acknowledged += 1
        result.latencies.append(time.perf_counter() - scheduled)


async def run_load(
    url: str,
    body: BodyFactory,
    headers: dict[str, str],
    *,
    rate: float | None,
    duration: float,
    max_in_flight: int = 512,
    max_connections: int = 64,
    closed_loop_clients: int = 32,
) -> LoadResult:
    """Offer ``rate`` requests/s for ``duration`` s (or run ``closed_loop_clients`` back-to-back)."""
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(f"the load generator only targets loopback addresses, not {url}")
    result = LoadResult(offered_rate=rate, duration=duration)
    parts = urlsplit(url)
    path = parts.path or "/"
    pool = RawPool(parts.hostname or "", parts.port or 80, max_connections=max_connections)
    hdrs = {"Content-Type": "application/json", **headers}
    try:
        started = time.perf_counter()
        cpu_started = time.process_time()
        if rate is None:
            stop_at = started + duration

            async def client() -> None:
                while time.perf_counter() < stop_at:
                    n = result.sent
                    result.sent += 1
                    await _post(pool, path, body(n), hdrs, time.perf_counter(), result)

            await asyncio.gather(*(client() for _ in range(closed_loop_clients)))
        else:
            gate = asyncio.Semaphore(max_in_flight)
            tasks: list[asyncio.Task[None]] = []
            total = int(rate * duration)

            async def one(n: int, scheduled: float) -> None:
                try:
                    await _post(pool, path, body(n), hdrs, scheduled, result)
                finally:
                    gate.release()

            for n in range(total):
                scheduled = started + n / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await gate.acquire()
                result.sent += 1
                tasks.append(asyncio.create_task(one(n, scheduled)))
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 15)
        result.elapsed = time.perf_counter() - started
        result.cpu_seconds = time.process_time() - cpu_started
    finally:
        await pool.close()
    return result
