"""Fault drill (e): the PostgreSQL state goes away for a few seconds in the middle of a burst.

Two receivers and one dispatcher (Redis Streams sink) reach PostgreSQL through a TCP relay that the
drill cuts for 3 s mid-burst (every connection dropped, new ones refused) and then restores: the
machine's PostgreSQL is shared with other work, so it is not restarted itself. The load generator
plays Pipedrive: a delivery that is not answered 200 is sent again 0.2 s later. Pass: receivers
answer 503 (not 500, not a hang) while the database is away, and every acknowledged event is in the
inbox and in the sink exactly once afterwards.
"""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks import pieces
from benchmarks.context import Context
from benchmarks.drill_postgres import POSTGRES, REDIS, _services
from benchmarks.payloads import v2_deal_created
from benchmarks.procs import ChildServer
from benchmarks.results import Section, Target
from benchmarks.tcp_proxy import TcpProxy

TITLE = "Fault drill (e): PostgreSQL away for 3 s mid-burst (2 receivers + 1 dispatcher)"
OUTAGE_SECONDS = 3.0


def run(ctx: Context) -> Section:
    pieces.require_triggers()
    psycopg, redis = _services()
    from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore

    events = ctx.scaled(5_000, 1_000)
    section = Section(
        "drill_postgres_outage",
        TITLE,
        columns=[
            "events",
            "acked",
            "503 answers",
            "other non-200",
            "in inbox",
            "in sink once",
            "lost",
            "seconds",
        ],
    )
    schema, stream = f"bench_{uuid.uuid4().hex[:10]}", f"bench-outage-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    parts = urlsplit(POSTGRES)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    direct = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
    relayed = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()
    relayed += f"{'&' if '?' in relayed else '?'}options=-csearch_path%3D{schema}&connect_timeout=2"
    queue = redis.Redis.from_url(REDIS)
    try:
        store = PostgresTriggerStore(direct)
        sub, password = store.create_subscription("newDeal", {}, "2.0", "http://bench.invalid")
        auth = {"Authorization": "Basic " + base64.b64encode(f"{sub.auth_user}:{password}".encode()).decode()}
        common = ["--state", relayed, "--lease-seconds", "5"]
        receivers = [
            ChildServer(
                "benchmarks.serve_trigger_role", [*common, "--role", "receiver"], health_path="/healthz"
            )
            for _ in range(2)
        ]
        dispatcher = ChildServer(
            "benchmarks.serve_trigger_role",
            [*common, "--role", "dispatcher", "--redis-stream", f"{REDIS}#{stream}"],
            health_path="/metrics",
        )
        children = [*receivers, dispatcher]
        for child in children:
            child.start()
        try:
            tally = _burst(ctx, events, receivers, proxy, sub.id, auth)
            ctx.progress("  drill (e): burst done; waiting for the dispatcher to drain the inbox")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and store.counts() != {"done": len(tally["acked"])}:
                time.sleep(0.5)
            time.sleep(1.0)
            seconds = time.perf_counter() - tally["started"]
            stored = {row.event_key for row in store.events(limit=events * 2)}
        finally:
            for child in children:
                child.stop()
        ids = Counter(fields[b"id"].decode() for _, fields in queue.xrange(stream))
        store.close()
    finally:
        proxy.cut()
        queue.delete(stream, *queue.keys(f"{stream}:*"))
        queue.close()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    acked = {f"v2:{event_id}" for event_id in tally["acked"]}
    in_inbox = len(acked & stored)
    once = sum(1 for key in acked if ids.get(f"newDeal:{key}") == 1)
    lost = len(acked - stored)
    section.add_row(events, len(acked), tally["503"], tally["other"], in_inbox, once, lost, round(seconds, 1))
    section.notes.append(
        f"The relay to PostgreSQL was cut for {OUTAGE_SECONDS:g} s after {events // 2:,} events; "
        f"non-200 answers by status: {dict(tally['statuses'])}. PostgreSQL and Redis are shared servers."
    )
    section.targets.append(
        Target(
            "database outage: 503 while away, nothing acknowledged lost",
            "503s seen, no other non-200, every acked event stored and in the sink once",
            tally["503"] > 0 and tally["other"] == 0 and lost == 0 and once == len(acked) == events,
            f"{tally['503']} x 503, {tally['other']} other, {lost} lost, "
            f"{once:,}/{events:,} in the sink once",
        )
    )
    return section


def _burst(
    ctx: Context,
    events: int,
    receivers: list[ChildServer],
    proxy: TcpProxy,
    sub_id: str,
    auth: dict[str, str],
) -> dict[str, Any]:
    rng = random.Random(14)
    lock = threading.Lock()
    tally: dict[str, Any] = {"acked": [], "503": 0, "other": 0, "statuses": Counter()}
    clients = threading.local()

    def deliver(number: int) -> None:
        body = v2_deal_created(number)
        http = getattr(clients, "http", None) or httpx.Client(timeout=15)
        clients.http = http
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                status = http.post(
                    f"{rng.choice(receivers).base_url}/webhooks/{sub_id}", json=body, headers=auth
                ).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with lock:
                if status == 200:
                    tally["acked"].append(body["meta"]["id"])
                    return
                tally["statuses"][str(status)] += 1
                tally["503" if status == 503 else "other"] += 1
            time.sleep(0.2)

    def outage() -> None:
        proxy.cut()
        time.sleep(OUTAGE_SECONDS)
        proxy.restore()

    ctx.progress(f"  drill (e): {events:,} events, PostgreSQL away for {OUTAGE_SECONDS:g} s at the midpoint")
    tally["started"] = time.perf_counter()
    cutter = threading.Thread(target=outage)
    with ThreadPoolExecutor(8) as pool:
        futures = []
        for number in range(1, events + 1):
            if number == events // 2:
                cutter.start()
            futures.append(pool.submit(deliver, number))
            if len(futures) % 32 == 0:
                futures[-32].result()
        for future in futures:
            future.result()
    cutter.join()
    return tally
