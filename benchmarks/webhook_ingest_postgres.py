"""Webhook ingestion with the PostgreSQL state: one and two receiver replicas on one schema,
beside the bare-endpoint floor measured in the same run with the same generator.

Each replica is ``pipedrive triggers serve --role receiver`` (no dispatcher: this measures the
acknowledged-after-commit path). Two replicas get half the offered rate each, from two load
generators running side by side in this process; their acknowledged rates are added. "max" is a
closed loop of ``MAX_CLIENTS_PER_REPLICA`` clients per replica, enough that every point is bound by
CPU rather than by how many requests wait for a commit (the machine's busy share is printed beside
it). The floor is a bare Starlette endpoint that stores nothing (``serve_floor``), one and two
copies at max. Each point also prints CPU seconds per 1,000 acknowledged events of the servers, of
the PostgreSQL backends serving them, and of the load generator: with everything on two cores,
that is what shows where the time goes.
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
from benchmarks.cpu_meter import CpuMeter
from benchmarks.loadgen import LoadResult, run_load
from benchmarks.payloads import v2_deal_created
from benchmarks.procs import ChildServer
from benchmarks.results import Section, Skipped, Target
from benchmarks.stats import percentile

TITLE = "Webhook ingestion, PostgreSQL state: 1 and 2 receiver replicas beside the bare floor"
RATES: tuple[float | None, ...] = (1000, None)
MAX_CLIENTS_PER_REPLICA = 64
POSTGRES = os.environ.get("PIPEDRIVE_TEST_POSTGRES_DSN") or "postgresql://postgres@127.0.0.1:5432/test"
RECEIVERS, FLOOR = "receivers + PostgreSQL", "bare Starlette (floor)"


def run(ctx: Context) -> Section:
    pieces.require_triggers()
    try:
        import psycopg

        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except Exception as exc:
        raise Skipped(f"PostgreSQL unreachable or psycopg missing: {type(exc).__name__}") from None
    from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore

    duration = 3.0 if ctx.quick else 6.0
    section = Section(
        "webhooks_postgres",
        TITLE,
        columns=[
            "target",
            "replicas",
            "offered/s",
            "sent",
            "acked/s",
            "p50 ms",
            "p99 ms",
            "non-200",
            "CPU s/1k: servers",
            "PostgreSQL",
            "generator",
            "machine busy",
            "ours",
        ],
    )
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in POSTGRES else "?"
    dsn = f"{POSTGRES}{joiner}application_name={schema}&options=-csearch_path%3D{schema}"
    ids = count(1)

    def body(_: int) -> bytes:
        return json.dumps(v2_deal_created(next(ids))).encode()

    def backends() -> list[int]:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
            return [row[0] for row in conn.execute(query, (schema,))]

    try:
        store = PostgresTriggerStore(dsn)
        sub, password = store.create_subscription("newDeal", {}, "2.0", "http://bench.invalid")
        store.close()
        auth = {"Authorization": "Basic " + base64.b64encode(f"{sub.auth_user}:{password}".encode()).decode()}
        args = ["--state", dsn, "--role", "receiver", "--max-connections", "2000"]
        replicas = [
            ChildServer("benchmarks.serve_trigger_role", args, health_path="/healthz") for _ in range(2)
        ]
        floors = [ChildServer("benchmarks.serve_floor", health_path="/healthz") for _ in range(2)]
        for server in (*replicas, *floors):
            server.start()
        try:
            # One short warm-up per replica: connections made, statements prepared, caches filled.
            asyncio.run(
                _together([f"{r.base_url}/webhooks/{sub.id}" for r in replicas], body, auth, None, 1.0)
            )
            for used in (1, 2):
                points: list[tuple[str, list[ChildServer], float | None]] = [
                    (RECEIVERS, replicas[:used], rate) for rate in RATES
                ]
                points.append((FLOOR, floors[:used], None))
                for target, servers, rate in points:
                    label = "max" if rate is None else f"{rate:g}/s"
                    ctx.progress(
                        f"  postgres webhooks: {target}, {used} replica(s) at {label} for {duration:g}s"
                    )
                    path = f"/webhooks/{sub.id}" if target == RECEIVERS else "/webhooks/x"
                    urls = [f"{server.base_url}{path}" for server in servers]
                    groups = {"servers": [s.proc.pid for s in servers if s.proc is not None]}
                    groups["postgres"] = backends() if target == RECEIVERS else []
                    meter = CpuMeter(groups).start()
                    share = None if rate is None else rate / used
                    headers = auth if target == RECEIVERS else {}
                    results = asyncio.run(_together(urls, body, headers, share, duration))
                    section.add_row(target, used, label, *_combined(results), *_cpu(meter.stop(), results))
        finally:
            for server in (*replicas, *floors):
                server.stop()
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    section.notes.append(
        f"{duration:g} s per point; max = {MAX_CLIENTS_PER_REPLICA} closed-loop clients per replica. The "
        "generator, the replicas and PostgreSQL share the machine's two cores (and other work on it), so "
        "these are lower bounds. CPU s/1k: CPU seconds per 1,000 acknowledged events of the server "
        "processes, of the PostgreSQL backends they use (not the WAL writer or checkpointer), and of this "
        "load generator; machine busy: the share of both cores in use during the point, other work included; "
        "ours: the share the measured processes got (well under 100% at max means other work took the rest)."
    )
    _targets(section)
    return section


def _targets(section: Section) -> None:
    rows = {(r[0], r[1], r[2]): r for r in section.rows}
    two_max, two_1000 = rows.get((RECEIVERS, 2, "max")), rows.get((RECEIVERS, 2, "1000/s"))
    floor = rows.get((FLOOR, 2, "max"))
    if two_max is not None:
        beside = f" (floor {floor[4]}/s in the same run)" if floor is not None else ""
        section.targets.append(
            Target(
                "2 replicas at max", "acked/s >= 2,000", two_max[4] >= 2000, f"{two_max[4]}/s acked{beside}"
            )
        )
    if two_1000 is not None:
        section.targets.append(
            Target(
                "2 replicas at 1,000/s",
                "p99 < 100 ms, no errors",
                (two_1000[6] or 0) < 100 and two_1000[7] == 0,
                f"p99 {two_1000[6]} ms, {two_1000[7]} non-200",
            )
        )


async def _together(
    urls: list[str], body: Any, headers: dict[str, str], rate: float | None, duration: float
) -> list[LoadResult]:
    return list(
        await asyncio.gather(
            *(
                run_load(
                    url,
                    body,
                    headers,
                    rate=rate,
                    duration=duration,
                    closed_loop_clients=MAX_CLIENTS_PER_REPLICA,
                    max_connections=MAX_CLIENTS_PER_REPLICA,
                )
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


def _cpu(spent: dict[str, float], results: list[LoadResult]) -> list[Any]:
    thousands = sum(result.acknowledged for result in results) / 1000
    ours = spent["servers"] + spent["postgres"] + spent["self"]
    shares = [
        f"{spent['machine busy %']:.0f}%",
        f"{100 * ours / spent['window']:.0f}%" if spent["window"] else None,
    ]
    if not thousands:
        return [None, None, None, *shares]
    return [
        round(spent["servers"] / thousands, 3),
        round(spent["postgres"] / thousands, 3) if spent["postgres"] else None,
        round(spent["self"] / thousands, 3),
        *shares,
    ]
