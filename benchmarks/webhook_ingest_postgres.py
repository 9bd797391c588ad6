"""Webhook ingestion with the PostgreSQL state: one and two receiver replicas on one schema.

Each replica is ``pipedrive triggers serve --role receiver`` (no dispatcher: this measures the
acknowledged-after-commit path). Two replicas get half the offered rate each, from two load
generators running side by side; their acknowledged rates are added.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from itertools import count
from typing import Any

from benchmarks import pieces
from benchmarks.context import Context
from benchmarks.loadgen import LoadResult, run_load
from benchmarks.payloads import v2_deal_created
from benchmarks.procs import ChildServer
from benchmarks.results import Section, Skipped, Target
from benchmarks.stats import percentile

TITLE = "Webhook ingestion, PostgreSQL state: 1 and 2 receiver replicas"
RATES: tuple[float | None, ...] = (1000, None)
POSTGRES = os.environ.get("PIPEDRIVE_TEST_POSTGRES_DSN") or "postgresql://postgres@127.0.0.1:5432/test"


def run(ctx: Context) -> Section:
    pieces.require_triggers()
    try:
        import psycopg

        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except Exception as exc:
        raise Skipped(f"PostgreSQL unreachable or psycopg missing: {type(exc).__name__}") from None
    from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore

    duration = 2.0 if ctx.quick else 5.0
    section = Section(
        "webhooks_postgres",
        TITLE,
        columns=["replicas", "offered/s", "sent", "acked/s", "p50 ms", "p99 ms", "non-200"],
    )
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    dsn = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
    ids = count(1)

    def body(_: int) -> bytes:
        return json.dumps(v2_deal_created(next(ids))).encode()

    try:
        store = PostgresTriggerStore(dsn)
        sub, password = store.create_subscription("newDeal", {}, "2.0", "http://bench.invalid")
        store.close()
        auth = {"Authorization": "Basic " + base64.b64encode(f"{sub.auth_user}:{password}".encode()).decode()}
        args = ["--state", dsn, "--role", "receiver", "--max-connections", "2000"]
        replicas = [
            ChildServer("benchmarks.serve_trigger_role", args, health_path="/healthz") for _ in range(2)
        ]
        for replica in replicas:
            replica.start()
        try:
            for used in (1, 2):
                urls = [f"{replica.base_url}/webhooks/{sub.id}" for replica in replicas[:used]]
                for rate in RATES:
                    label = "max" if rate is None else f"{rate:g}/s"
                    ctx.progress(f"  postgres webhooks: {used} replica(s) at {label} for {duration:g}s")
                    share = None if rate is None else rate / used
                    results = asyncio.run(_together(urls, body, auth, share, duration))
                    section.add_row(used, label, *_combined(results))
        finally:
            for replica in replicas:
                replica.stop()
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    section.notes.append(
        f"{duration:g} s per point; the generators, both replicas and PostgreSQL share the machine's "
        "cores (and other work on it), so these are lower bounds."
    )
    rows = {(r[0], r[1]): r for r in section.rows}
    two_max, two_1000 = rows.get((2, "max")), rows.get((2, "1000/s"))
    if two_max is not None:
        section.targets.append(
            Target("2 replicas at max", "acked/s >= 2,000", two_max[3] >= 2000, f"{two_max[3]}/s acked")
        )
    if two_1000 is not None:
        section.targets.append(
            Target(
                "2 replicas at 1,000/s",
                "p99 < 100 ms, no errors",
                (two_1000[5] or 0) < 100 and two_1000[6] == 0,
                f"p99 {two_1000[5]} ms, {two_1000[6]} non-200",
            )
        )
    return section


async def _together(
    urls: list[str], body: Any, auth: dict[str, str], rate: float | None, duration: float
) -> list[LoadResult]:
    return list(
        await asyncio.gather(
            *(
                run_load(url, body, auth, rate=rate, duration=duration, closed_loop_clients=32 // len(urls))
                for url in urls
            )
        )
    )


def _combined(results: list[LoadResult]) -> list[Any]:
    latencies = [latency for result in results for latency in result.latencies]
    non_ok = sum(n for result in results for status, n in result.statuses.items() if status != "200")
    acked = sum(result.acknowledged / result.elapsed for result in results if result.elapsed)
    return [
        sum(result.sent for result in results),
        round(acked),
        round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        round(percentile(latencies, 99) * 1000, 1) if latencies else None,
        non_ok,
    ]
