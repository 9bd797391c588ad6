"""The sandbox as its store grows: GET by id, pages of 500 and creates at 100 vs 100,000 deals.

Three sandboxes run side by side in their own processes, loaded through ``POST /_sandbox/bulk``
(the large load is itself timed), plus the bare Starlette floor. Every case is one client (or 16
connections for the concurrent row) for a fixed time; cases are interleaved per repetition and
the size comparisons are medians of paired ratios (same repetition).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.procs import ChildServer
from benchmarks.rawhttp import RawPool
from benchmarks.results import Section, Target
from benchmarks.sandbox_ops import TOKEN, Sandbox
from benchmarks.stats import interleave, median, median_ratio

CONCURRENCY = 16
PAGE = 500
BULK_LIMIT_SECONDS = 30.0
HEADERS = {"x-api-token": TOKEN, "Content-Type": "application/json"}


@dataclass(frozen=True)
class Sizes:
    """Deals in the small (GET baseline), medium (page baseline) and large sandbox."""

    small: int = 100
    medium: int = 1_000
    large: int = 100_000


def deal_lines(count: int, *, per_chunk: int = 1_000) -> Iterator[bytes]:
    """``count`` deal lines for the bulk endpoint, in chunks (the body is streamed, never built whole)."""
    for start in range(0, count, per_chunk):
        yield b"".join(
            json.dumps(
                {"kind": "deal", "title": f"Scale deal {n}", "value": 1000 + n % 5000, "currency": "EUR"}
            ).encode()
            + b"\n"
            for n in range(start, min(count, start + per_chunk))
        )


def bulk_load(base_url: str, count: int) -> float:
    """Reset ``base_url`` to the empty seed and create ``count`` deals in one bulk request: seconds."""
    with httpx.Client(base_url=base_url, timeout=600) as http:
        http.post("/_sandbox/reset", json={"seed": "empty"}).raise_for_status()
        started = time.perf_counter()
        resp = http.post("/_sandbox/bulk", content=deal_lines(count))
        elapsed = time.perf_counter() - started
    if resp.status_code != 200 or resp.json()["data"]["total"] != count:
        raise RuntimeError(f"bulk load of {count} deals answered {resp.status_code}: {resp.text[:300]}")
    return elapsed


def _rate(step: Callable[[int], httpx.Response], seconds: float) -> float:
    """Call ``step(n)`` back to back for ``seconds``; requests per second (any status >= 300 fails)."""
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        resp = step(done)
        if resp.status_code >= 300:
            raise RuntimeError(f"{resp.request.method} {resp.request.url.path} answered {resp.status_code}")
        done += 1
    return done / (time.perf_counter() - started)


def get_rate(http: httpx.Client, deals: int, seconds: float, seed: int) -> float:
    """GET /api/v2/deals/{id} for random ids among the ``deals`` stored: requests per second."""
    pick = random.Random(seed)
    return _rate(lambda n: http.get(f"/api/v2/deals/{pick.randint(1, deals)}"), seconds)


def create_rate(http: httpx.Client, seconds: float) -> float:
    return _rate(lambda n: http.post("/api/v2/deals", json={"title": f"Created {n}", "value": n}), seconds)


def floor_rate(http: httpx.Client, seconds: float) -> float:
    return _rate(lambda n: http.get("/healthz"), seconds)


def page_ms(http: httpx.Client, seconds: float) -> float:
    """Walk the v2 deal list 500 at a time (cursor after cursor, from the start again at the end)
    for ``seconds``: milliseconds per page."""
    pages, cursor = 0, None
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        params: dict[str, Any] = {"limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        resp = http.get("/api/v2/deals", params=params)
        if resp.status_code != 200:
            raise RuntimeError(f"GET /api/v2/deals answered {resp.status_code}: {resp.text[:200]}")
        cursor = resp.json()["additional_data"]["next_cursor"]
        pages += 1
    return (time.perf_counter() - started) / pages * 1000


async def concurrent_get_rate(base_url: str, deals: int, seconds: float, seed: int) -> float:
    """``CONCURRENCY`` keep-alive connections GETting random deals for ``seconds``: requests per second."""
    host, port = base_url.removeprefix("http://").split(":")
    pool = RawPool(host, int(port), max_connections=CONCURRENCY)
    pick = random.Random(seed)
    done = 0
    started = time.perf_counter()

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() - started < seconds:
            status, body = await pool.request("GET", f"/api/v2/deals/{pick.randint(1, deals)}", b"", HEADERS)
            if status >= 300:
                raise RuntimeError(f"GET answered {status}: {body[:200]!r}")
            done += 1

    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    finally:
        await pool.close()
    return done / (time.perf_counter() - started)


def measure(
    section: Section,
    progress: Callable[[str], None],
    *,
    sizes: Sizes,
    seconds: float,
    reps: int,
    bulk_reps: int = 1,
) -> None:
    """Fill ``section`` (columns: server, operation, deals stored, clients, median, unit, runs)."""
    large = f"{sizes.large:,}"
    with ExitStack() as stack:
        floor = stack.enter_context(ChildServer("benchmarks.serve_floor", health_path="/healthz"))
        small = stack.enter_context(Sandbox(seed="empty"))
        medium = stack.enter_context(Sandbox(seed="empty"))
        big = stack.enter_context(Sandbox(seed="empty"))
        bulk_load(small.base_url, sizes.small)
        bulk_load(medium.base_url, sizes.medium)
        bulk_seconds = []
        for rep in range(bulk_reps):
            progress(f"  bulk load of {large} deals (rep {rep + 1}/{bulk_reps})")
            bulk_seconds.append(bulk_load(big.base_url, sizes.large))
        clients = {
            name: stack.enter_context(httpx.Client(base_url=url, headers={"x-api-token": TOKEN}, timeout=60))
            for name, url in (
                ("floor", floor.base_url),
                ("small", small.base_url),
                ("medium", medium.base_url),
                ("large", big.base_url),
            )
        }
        cases: dict[str, Callable[[int], float]] = {
            "floor": lambda rep: floor_rate(clients["floor"], seconds),
            "get small": lambda rep: get_rate(clients["small"], sizes.small, seconds, rep),
            "get large": lambda rep: get_rate(clients["large"], sizes.large, seconds, rep),
            "page medium": lambda rep: page_ms(clients["medium"], seconds),
            "page large": lambda rep: page_ms(clients["large"], seconds),
            "create large": lambda rep: create_rate(clients["large"], seconds),
            "get large x16": lambda rep: asyncio.run(
                concurrent_get_rate(big.base_url, sizes.large, seconds, rep)
            ),
        }

        def once(case: str, rep: int) -> float:
            progress(f"  {case} (rep {rep + 1}/{reps})")
            return cases[case](rep)

        samples = interleave(list(cases), reps, once)

    def row(server: str, operation: str, stored: int | None, clients: int, case: str, unit: str) -> None:
        values = samples[case]
        section.add_row(server, operation, stored, clients, round(median(values), 1), unit, len(values))

    row("bare Starlette (floor)", "GET /healthz", None, 1, "floor", "req/s")
    row("sandbox", "GET /api/v2/deals/{id}", sizes.small, 1, "get small", "req/s")
    row("sandbox", "GET /api/v2/deals/{id}", sizes.large, 1, "get large", "req/s")
    row("sandbox", "GET /api/v2/deals/{id}", sizes.large, CONCURRENCY, "get large x16", "req/s")
    row("sandbox", f"GET /api/v2/deals?limit={PAGE} (page walk)", sizes.medium, 1, "page medium", "ms/page")
    row("sandbox", f"GET /api/v2/deals?limit={PAGE} (page walk)", sizes.large, 1, "page large", "ms/page")
    row("sandbox", "POST /api/v2/deals", sizes.large, 1, "create large", "req/s")
    section.add_row(
        "sandbox",
        "POST /_sandbox/bulk (one request)",
        sizes.large,
        1,
        round(median(bulk_seconds), 2),
        "s",
        bulk_reps,
    )
    section.data["samples"] = samples
    section.data["bulk_seconds"] = bulk_seconds

    full_size = sizes == Sizes()
    get_ratio = median_ratio({"large": samples["get large"], "small": samples["get small"]}, "small")["large"]
    page_ratio = median_ratio({"large": samples["page large"], "medium": samples["page medium"]}, "medium")[
        "large"
    ]
    bulk = median(bulk_seconds)
    section.targets.extend(
        [
            _target(
                f"GET by id at {large} vs {sizes.small:,} deals",
                ">= 0.8x the rate",
                get_ratio,
                lambda ratio: ratio >= 0.8,
                full_size,
            ),
            _target(
                f"page of {PAGE} at {large} vs {sizes.medium:,} deals",
                "<= 1.5x the time",
                page_ratio,
                lambda ratio: ratio <= 1.5,
                full_size,
            ),
            Target(
                f"bulk create of {large} deals",
                f"< {BULK_LIMIT_SECONDS:.0f} s",
                bulk < BULK_LIMIT_SECONDS if full_size else None,
                f"{bulk:.1f} s ({sizes.large / bulk:,.0f} deals/s)",
            ),
        ]
    )
    floor_rate_median = median(samples["floor"])
    section.notes.append(
        f"One client = one httpx.Client, requests back to back (GETs pick random ids); x{CONCURRENCY} = "
        f"{CONCURRENCY} keep-alive connections from an asyncio generator. Page walk: cursor after cursor "
        "through the whole list (every depth), back to the start at the end. Ratios are medians of paired "
        f"runs. Single-client GET by id at {large} deals ran at "
        f"{median(samples['get large']) / floor_rate_median:.0%} of the bare Starlette floor."
    )


def _target(
    name: str, goal: str, ratio: float | None, ok: Callable[[float], bool], full_size: bool
) -> Target:
    if ratio is None:
        return Target(name, goal, None, "no paired runs")
    return Target(name, goal, ok(ratio) if full_size else None, f"{ratio:.2f}x")
