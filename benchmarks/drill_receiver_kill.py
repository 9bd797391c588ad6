"""Fault drill (a): SIGKILL the receiver 5 times while the sandbox delivers a burst of webhooks.

The sandbox delivers a ``newDeal`` webhook (v2) for every deal created in the burst to the receiver
(TriggerApp with its durable inbox, a handler appending each handled event to a file). The receiver
process is killed with SIGKILL at five evenly spaced points of the burst and restarted at once on
the same port and inbox (restart runs the receiver's catch-up). Retries are fast (0.2, 0.5, 1 s).
Pass: every created deal's event handled exactly once, counted from the handler's own log.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks import pieces
from benchmarks.context import Context
from benchmarks.procs import ChildServer
from benchmarks.results import Section, Target
from benchmarks.sandbox_ops import Sandbox

TITLE = "Fault drill (a): receiver SIGKILLed 5 times during a webhook burst"
KILLS = 5


def _handled(out: Path) -> Counter[int]:
    seen: Counter[int] = Counter()
    if not out.exists():
        return seen
    for line in out.read_text(encoding="utf-8").splitlines():
        try:
            seen[int(json.loads(line)["entity_id"])] += 1
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by the kill would show here; counted below as not handled
    return seen


def run(ctx: Context) -> Section:
    pieces.require_triggers()
    pieces.require_client_request()
    burst = ctx.scaled(5_000, 1_000)
    section = Section(
        "drill_receiver_kill",
        TITLE,
        columns=[
            "events",
            "kills",
            "handled once",
            "handled twice+",
            "never handled",
            "deliveries",
            "acked",
            "seconds",
        ],
    )
    with tempfile.TemporaryDirectory(prefix="bench-kill-") as tmp, Sandbox(seed="empty") as sb:
        sb.control(
            "webhooks/settings",
            {"retry_delays": [0.2, 0.5, 1], "ban_enabled": False},
            what="sandbox webhook settings",
        )
        out = Path(tmp) / "handled.jsonl"
        server = ChildServer(
            "benchmarks.serve_receiver",
            [
                "--state",
                str(Path(tmp) / "inbox.db"),
                "--sandbox-url",
                sb.base_url,
                "--token",
                sb.token,
                "--out",
                str(out),
            ],
            health_path="/healthz",
        )
        with server:
            created: list[int] = []
            kill_points = {burst * k // (KILLS + 1) for k in range(1, KILLS + 1)}
            restarter: threading.Thread | None = None
            restart_errors: list[str] = []

            def restart() -> None:
                try:
                    server.restart()
                except Exception as exc:
                    restart_errors.append(str(exc))

            ctx.progress(
                f"  drill (a): creating {burst:,} deals, SIGKILL of the receiver at {sorted(kill_points)}"
            )
            started = time.perf_counter()
            http = sb._client()
            for i in range(burst):
                if i in kill_points:
                    if restarter is not None:
                        restarter.join()
                    restarter = threading.Thread(target=restart)
                    restarter.start()
                resp = http.post("/api/v2/deals", json={"title": f"Burst {i}"})
                resp.raise_for_status()
                created.append(int(resp.json()["data"]["id"]))
            if restarter is not None:
                restarter.join()
            ctx.progress("  drill (a): burst done; waiting for deliveries, retries and the inbox to drain")
            _settle(sb, out, set(created), deadline=time.monotonic() + 120)
            seconds = time.perf_counter() - started
            deliveries = sb._client().get("/_sandbox/deliveries").json().get("data") or []
            receiver_log = server.log_tail()
        handled = _handled(out)
        inbox = _inbox_status(Path(tmp) / "inbox.db")
    once = sum(1 for d in created if handled.get(d) == 1)
    twice = {d: n for d in created if (n := handled.get(d, 0)) > 1}
    never = [d for d in created if handled.get(d, 0) == 0]
    acked_ids = {
        int(e["entity_id"]) for e in deliveries if e.get("acknowledged") and e.get("entity_id") is not None
    }
    section.add_row(
        burst,
        server.restarts,
        once,
        len(twice),
        len(never),
        len(deliveries),
        len(acked_ids),
        round(seconds, 1),
    )
    statuses = Counter(str(e.get("status_code") or e.get("error") or "?")[:40] for e in deliveries)
    section.notes.append(f"delivery attempts by outcome: {dict(statuses)}")
    section.notes.append(
        f"acknowledged by the receiver (per the sandbox's delivery log): {len(acked_ids):,} of {burst:,} "
        "events; the others reached it through its catch-up on restart, or not at all (see 'never handled')"
    )
    if never and receiver_log:
        section.notes.append(f"receiver log (last lines): {receiver_log[-600:]}")
    if restart_errors:
        section.notes.append(f"restart failures: {restart_errors[:3]}")
    if twice:
        section.notes.append(f"handled more than once (deal id: times): {dict(list(twice.items())[:10])}")
    if never:
        where = Counter(inbox.get(d, "not in the inbox") for d in never)
        never_acked = sum(1 for d in never if d in acked_ids)
        section.notes.append(
            f"never handled: {len(never)} (first deal ids {never[:10]}); {never_acked} of them were "
            f"acknowledged with 200 by the receiver; their inbox status at the end: {dict(where)}"
        )
    section.data.update(
        {"created": len(created), "handled": dict(Counter(handled.values())), "restarts": server.restarts}
    )
    section.targets.append(
        Target(
            "exactly once across 5 SIGKILLs",
            "every event handled exactly once",
            once == burst,
            f"{once:,}/{burst:,} once, {len(twice)} more than once, {len(never)} never",
        )
    )
    return section


def _inbox_status(db: Path) -> dict[int, str]:
    """Deal id -> inbox status (pending, running, done, dead...) from the receiver's SQLite inbox."""
    statuses: dict[int, str] = {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            for status, key in conn.execute("SELECT status, content_key FROM inbox"):
                parts = str(key).split(":")
                if len(parts) >= 2 and parts[1].isdigit():
                    statuses[int(parts[1])] = str(status)
    except sqlite3.Error as exc:
        return {-1: f"unreadable: {exc}"}
    return statuses


def _settle(sb: Sandbox, out: Path, created: set[int], *, deadline: float) -> None:
    """Wait until every created deal was handled, or nothing moved for 15 s, or the deadline."""
    http = sb._client()
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        http.post("/_sandbox/webhooks/flush", params={"timeout": 5})
        handled = _handled(out)
        if created <= set(handled):
            time.sleep(1.0)  # let any duplicate in flight land before counting
            return
        count = sum(handled.values())
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > 15:
            return
        time.sleep(0.5)
