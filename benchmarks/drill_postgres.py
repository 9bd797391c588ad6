"""Fault drill (d): PostgreSQL state, 2 receivers + 2 dispatchers, random SIGKILLs during a burst.

Two receivers (``serve --role receiver``) and two dispatchers (``serve --role dispatcher`` with the
Redis Streams sink, lease 3 s) share one PostgreSQL schema. A load generator plays Pipedrive behind a
load balancer: each event goes to a random receiver, and a delivery that fails (connection refused or
reset, a 5xx) is sent again to a receiver after 0.2 s until it is acknowledged. Ten times during the
burst one of the four processes, chosen at random, is SIGKILLed and restarted at once. Pass: every
event lands in the Redis stream exactly once (counted from the stream) and the inbox ends all done.
"""

from __future__ import annotations

import base64
import os
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from benchmarks import pieces
from benchmarks.context import Context
from benchmarks.payloads import v2_deal_created
from benchmarks.procs import ChildServer
from benchmarks.results import Section, Skipped, Target

TITLE = "Fault drill (d): PostgreSQL, 2 receivers + 2 dispatchers, 10 random SIGKILLs in a burst"
KILLS = 10
POSTGRES = os.environ.get("PIPEDRIVE_TEST_POSTGRES_DSN") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS = os.environ.get("PIPEDRIVE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _services() -> tuple[Any, Any]:
    try:
        import psycopg
        import redis
    except ImportError as exc:
        raise Skipped(f"needs the postgres and redis extras ({exc.name} missing)") from None
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        raise Skipped(f"PostgreSQL or Redis unreachable: {type(exc).__name__}") from None
    return psycopg, redis


def run(ctx: Context) -> Section:
    pieces.require_triggers()
    psycopg, redis = _services()
    from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore

    events = ctx.scaled(10_000, 1_500)
    section = Section(
        "drill_postgres",
        TITLE,
        columns=["events", "kills", "in stream once", "twice+", "never", "deliveries", "non-200", "seconds"],
    )
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    stream = f"bench-drill-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    dsn = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
    queue = redis.Redis.from_url(REDIS)
    try:
        store = PostgresTriggerStore(dsn)
        sub, password = store.create_subscription("newDeal", {}, "2.0", "http://bench.invalid")
        auth = {"Authorization": "Basic " + base64.b64encode(f"{sub.auth_user}:{password}".encode()).decode()}
        common = ["--state", dsn, "--lease-seconds", "3"]
        receivers = [
            ChildServer(
                "benchmarks.serve_trigger_role", [*common, "--role", "receiver"], health_path="/healthz"
            )
            for _ in range(2)
        ]
        dispatchers = [
            ChildServer(
                "benchmarks.serve_trigger_role",
                [*common, "--role", "dispatcher", "--redis-stream", f"{REDIS}#{stream}"],
                health_path="/metrics",
            )
            for _ in range(2)
        ]
        children = receivers + dispatchers
        for child in children:
            child.start()
        try:
            result = _burst(ctx, events, receivers, children, sub.id, auth)
            ctx.progress("  drill (d): burst done; waiting for the dispatchers to drain the inbox")
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and store.counts() != {"done": events}:
                time.sleep(0.5)
            time.sleep(1.0)  # a (wrong) second run in flight would land now
            seconds = time.perf_counter() - result["started"]
            counts = store.counts()
        finally:
            for child in children:
                child.stop()
        ids = Counter(fields[b"id"].decode() for _, fields in queue.xrange(stream))
        store.close()
    finally:
        keys = [stream, *queue.keys(f"{stream}:*")]
        queue.delete(*keys)
        queue.close()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    expected = {f"newDeal:v2:{event_id}" for event_id in result["event_ids"]}
    once = sum(1 for key in expected if ids.get(key) == 1)
    twice = sum(1 for key in expected if ids.get(key, 0) > 1)
    never = sum(1 for key in expected if key not in ids)
    section.add_row(
        events, result["kills"], once, twice, never, result["deliveries"], result["failed"], round(seconds, 1)
    )
    section.notes.append(
        f"killed (role: times): {dict(result['killed'])}; failed deliveries retried: {result['failed']}; "
        f"inbox at the end: {counts}; stream entries not of this burst: {sum(ids.values()) - once - twice}"
    )
    section.notes.append(
        "Both PostgreSQL and Redis are the machine's shared servers; the burst is posted by 16 threads, "
        "each event to a random receiver and retried on failure (as Pipedrive retries)."
    )
    section.targets.append(
        Target(
            f"exactly once across {KILLS} SIGKILLs (PostgreSQL, 2+2 processes)",
            "every event in the sink exactly once, inbox all done",
            once == events and counts == {"done": events},
            f"{once:,}/{events:,} once, {twice} more than once, {never} never",
        )
    )
    return section


def _burst(
    ctx: Context,
    events: int,
    receivers: list[ChildServer],
    children: list[ChildServer],
    sub_id: str,
    auth: dict[str, str],
) -> dict[str, Any]:
    rng = random.Random(14)
    kill_points = {events * k // (KILLS + 1) for k in range(1, KILLS + 1)}
    event_ids: list[str] = []
    lock = threading.Lock()
    tally = {"deliveries": 0, "failed": 0}
    killed: Counter[str] = Counter()
    clients = threading.local()

    def deliver(number: int) -> None:
        body = v2_deal_created(number)
        with lock:
            event_ids.append(body["meta"]["id"])
        http = getattr(clients, "http", None) or httpx.Client(timeout=10)
        clients.http = http
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            receiver = rng.choice(receivers)
            try:
                response = http.post(f"{receiver.base_url}/webhooks/{sub_id}", json=body, headers=auth)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            with lock:
                tally["deliveries"] += 1
                tally["failed"] += 0 if ok else 1
            if ok:
                return
            time.sleep(0.2)
        raise RuntimeError(f"event {number} never acknowledged")

    def kill_one() -> None:
        child = rng.choice(children)
        killed["receiver" if child in receivers else "dispatcher"] += 1
        child.restart()

    ctx.progress(f"  drill (d): {events:,} events, SIGKILL of a random process at {sorted(kill_points)}")
    started = time.perf_counter()
    killer: threading.Thread | None = None
    with ThreadPoolExecutor(16) as pool:
        futures = []
        for number in range(1, events + 1):
            if number in kill_points:
                if killer is not None:
                    killer.join()
                killer = threading.Thread(target=kill_one)
                killer.start()
            futures.append(pool.submit(deliver, number))
            if len(futures) % 64 == 0:
                futures[-64].result()  # keep the submitter near the senders, so kills land mid-burst
        for future in futures:
            future.result()
    if killer is not None:
        killer.join()
    return {
        "started": started,
        "event_ids": event_ids,
        "kills": sum(killed.values()),
        "killed": killed,
        **tally,
    }
