"""Fault drill (e): PostgreSQL is restarted in the middle of a burst.

Two receivers and one dispatcher (Redis Streams sink) share a private PostgreSQL cluster that the
drill makes for itself (``private_postgres``: initdb in a temporary directory, its own port, fsync
and synchronous_commit on). Mid-burst it crashes the server (``pg_ctl stop -m immediate``: no
checkpoint, every session killed), keeps it down 3 s, and starts it again (recovery from the WAL).
The machine's own PostgreSQL is never touched. Where no server binaries are found, the drill says
so and cuts a TCP relay in front of the shared server for 3 s instead (every connection dropped,
new ones refused). The load generator plays Pipedrive: a delivery that is not answered 200 is sent
again 0.2 s later. Pass: receivers answer 503 (not 500, not a hang) while the database is away, and
every acknowledged event is in the inbox and in the sink exactly once afterwards.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks import pieces
from benchmarks.context import Context
from benchmarks.drill_postgres import POSTGRES, REDIS, _services
from benchmarks.payloads import v2_deal_created
from benchmarks.private_postgres import PrivateCluster, unavailable_reason
from benchmarks.procs import ChildServer
from benchmarks.results import Section, Target
from benchmarks.tcp_proxy import TcpProxy

TITLE = "Fault drill (e): PostgreSQL restarted mid-burst (2 receivers + 1 dispatcher)"
OUTAGE_SECONDS = 3.0


@dataclasses.dataclass
class Outage:
    """Where the drill's processes find PostgreSQL, and how it is taken away and brought back."""

    admin_dsn: str  # for the drill's own setup and counting
    server_dsn: str  # what the receivers and the dispatcher are given
    take_down: Callable[[], float]  # blocks through the outage; returns the seconds it lasted
    how: str
    restarted: bool  # a real server restart, not a relay cut


@contextmanager
def _outage(ctx: Context) -> Iterator[Outage]:
    reason = unavailable_reason()
    if reason is None:
        with PrivateCluster() as cluster:
            yield Outage(
                cluster.dsn,
                cluster.dsn,
                lambda: cluster.restart(OUTAGE_SECONDS, mode="immediate"),
                f"a private PostgreSQL cluster ({cluster.bindir}, fsync on) crashed with "
                f"pg_ctl stop -m immediate, kept down {OUTAGE_SECONDS:g} s and started again "
                "(recovery from the WAL)",
                restarted=True,
            )
        return
    ctx.progress(f"  drill (e): {reason}: cutting a TCP relay to the shared PostgreSQL instead")
    parts = urlsplit(POSTGRES)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    relayed = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()

    def cut() -> float:
        started = time.monotonic()
        proxy.cut()
        time.sleep(OUTAGE_SECONDS)
        proxy.restore()
        return time.monotonic() - started

    try:
        yield Outage(
            POSTGRES,
            relayed,
            cut,
            f"NOT a restart ({reason}): a TCP relay in front of the shared PostgreSQL cut for "
            f"{OUTAGE_SECONDS:g} s (every connection dropped, new ones refused)",
            restarted=False,
        )
    finally:
        proxy.cut()


def run(ctx: Context) -> Section:
    pieces.require_triggers()
    psycopg, redis = _services()

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
    with _outage(ctx) as outage:
        tally, seconds, stored, ids = _drill(ctx, events, outage, psycopg, redis)
    acked = {f"v2:{event_id}" for event_id in tally["acked"]}
    in_inbox = len(acked & stored)
    once = sum(1 for key in acked if ids.get(f"newDeal:{key}") == 1)
    lost = len(acked - stored)
    section.add_row(events, len(acked), tally["503"], tally["other"], in_inbox, once, lost, round(seconds, 1))
    section.notes.append(
        f"After {events // 2:,} events: {outage.how}; down {tally['down_seconds']:.1f} s in all. "
        f"Non-200 answers by status: {dict(tally['statuses'])}. Redis is the machine's shared server."
    )
    section.targets.append(
        Target(
            ("database restart" if outage.restarted else "database away (relay cut, no restart)")
            + ": 503 while away, nothing acknowledged lost",
            "503s seen, no other non-200, every acked event stored and in the sink once",
            tally["503"] > 0 and tally["other"] == 0 and lost == 0 and once == len(acked) == events,
            f"{tally['503']} x 503, {tally['other']} other, {lost} lost, "
            f"{once:,}/{events:,} in the sink once",
        )
    )
    return section


def _drill(
    ctx: Context, events: int, outage: Outage, psycopg: Any, redis: Any
) -> tuple[dict[str, Any], float, set[str], Counter[str]]:
    from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore

    schema, stream = f"bench_{uuid.uuid4().hex[:10]}", f"bench-outage-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(outage.admin_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    direct = _in_schema(outage.admin_dsn, schema)
    served = _in_schema(outage.server_dsn, schema) + "&connect_timeout=2"
    queue = redis.Redis.from_url(REDIS)
    try:
        store = PostgresTriggerStore(direct)
        sub, password = store.create_subscription("newDeal", {}, "2.0", "http://bench.invalid")
        auth = {"Authorization": "Basic " + base64.b64encode(f"{sub.auth_user}:{password}".encode()).decode()}
        common = ["--state", served, "--lease-seconds", "5"]
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
            tally = _burst(ctx, events, receivers, outage.take_down, sub.id, auth)
            ctx.progress("  drill (e): burst done; waiting for the dispatcher to drain the inbox")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and _counts(store) != {"done": len(tally["acked"])}:
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
        queue.delete(stream, *queue.keys(f"{stream}:*"))
        queue.close()
        with psycopg.connect(outage.admin_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return tally, seconds, stored, ids


def _in_schema(dsn: str, schema: str) -> str:
    return f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"


def _counts(store: Any) -> dict[str, int]:
    """The inbox by status; {} while the drill's own connection is being re-made."""
    try:
        return dict(store.counts())
    except Exception:
        return {}


def _burst(
    ctx: Context,
    events: int,
    receivers: list[ChildServer],
    take_down: Callable[[], float],
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
        tally["down_seconds"] = take_down()

    ctx.progress(f"  drill (e): {events:,} events, PostgreSQL down for {OUTAGE_SECONDS:g} s at the midpoint")
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
