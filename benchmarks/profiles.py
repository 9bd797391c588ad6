"""Profiles behind the missed targets: the client's bulk read and the receiver's request path.

- Bulk read: cProfile of ``read_worker`` raw-v2, sync, async and sync-generated over the same replay
  pages; the table lists the functions with the most own time (the client's extra cost per deal and
  the async client's per-page event-loop cost are visible there).
- Receiver: wall-clock timers around its request-path steps under closed-loop load, next to the
  cost of one durable SQLite commit on this disk (the floor of a durable inbox insert).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import pieces
from benchmarks.bulk_read import TEMPLATE_DEALS, _record_template
from benchmarks.context import Context
from benchmarks.loadgen import run_load
from benchmarks.payloads import v2_deal_created
from benchmarks.procs import ChildServer, run_worker
from benchmarks.results import Section, Skipped
from benchmarks.sandbox_ops import Sandbox

TITLE = "Profiles behind the figures"
LINE = re.compile(r"^\s*(\d+(?:/\d+)?)\s+([\d.]+)\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+(.+)$")


def _top(text: str, n: int) -> list[tuple[str, str, float, float]]:
    """(function, calls, own s, cumulative s) of the first ``n`` rows of a pstats listing."""
    rows = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            rows.append((m.group(4).strip()[:70], m.group(1), float(m.group(2)), float(m.group(3))))
        if len(rows) == n:
            break
    return rows


def _bulk_read(ctx: Context, section: Section, tmp: Path) -> None:
    pieces.require_client_deals("iterate")
    template = tmp / "template.json"
    with Sandbox(seed="empty", deals=TEMPLATE_DEALS) as sb:
        _record_template(sb, template)
    count = 10_000
    args = ["--template", str(template), "--count", str(count)]
    with ChildServer("benchmarks.serve_pages", args, health_path="/healthz") as pages:
        for impl in ("raw-v2", "sync", "async", "sync-generated"):
            out = tmp / f"profile-{impl}.txt"
            ctx.progress(f"  profile: bulk read {count:,} deals with {impl} under cProfile")
            run_worker(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.read_worker",
                    impl,
                    "--base-url",
                    pages.base_url,
                    "--token",
                    "bench-token",
                    "--profile",
                    str(out),
                ],
                timeout=300,
            )
            text = out.read_text(encoding="utf-8")
            total = re.search(r"in ([\d.]+) seconds", text)
            section.data[f"bulk_read_{impl}"] = text
            for func, calls, own, cum in _top(text, 6):
                section.add_row(
                    f"bulk read {count:,}: {impl}",
                    func,
                    calls,
                    own,
                    cum,
                    float(total.group(1)) if total else None,
                )


def _fsync_commit_ms(directory: Path, n: int = 200) -> float:
    """Mean wall time of one small INSERT committed with WAL + synchronous=FULL on this disk."""
    db = sqlite3.connect(directory / "fsync-probe.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    started = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (body) VALUES (?)", ("x" * 1500 + str(i),))
        db.execute("COMMIT")
    db.close()
    return (time.perf_counter() - started) / n * 1000


def _receiver(ctx: Context, section: Section, tmp: Path) -> None:
    pieces.require_triggers()
    import base64

    creds = tmp / "creds.json"
    out = tmp / "receiver-profile.json"
    server = ChildServer(
        "benchmarks.serve_receiver",
        ["--state", str(tmp / "inbox.db"), "--creds", str(creds), "--profile", str(out)],
        health_path="/healthz",
    )
    ids = iter(range(1, 10**9))
    with server:
        info = json.loads(creds.read_text())
        token = base64.b64encode(f"{info['user']}:{info['password']}".encode()).decode()
        url = f"{server.base_url}/webhooks/{info['id']}"
        ctx.progress("  profile: receiver under closed-loop load for 3 s with step timers")
        load = asyncio.run(
            run_load(
                url,
                lambda _: json.dumps(v2_deal_created(next(ids))).encode(),
                {"Authorization": f"Basic {token}"},
                rate=None,
                duration=3.0,
            )
        ).summary()
        server.stop()  # SIGTERM: uvicorn shuts down and the child writes its timings
    timings = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"steps": {}}
    acked = load["acknowledged"]
    for step, figures in timings["steps"].items():
        section.add_row(
            "receiver at max load",
            step,
            figures["calls"],
            figures["seconds"],
            figures["ms_per_call"],
            round(load["elapsed"], 2),
        )
    commit_ms = _fsync_commit_ms(tmp)
    section.add_row(
        "this disk", "one SQLite WAL commit, synchronous=FULL", 200, None, round(commit_ms, 3), None
    )
    section.data["receiver"] = {"load": load, "timings": timings, "fsync_commit_ms": commit_ms}
    section.notes.append(
        f"receiver profile run: {acked:,} events acknowledged in {load['elapsed']:.1f} s "
        f"({load['acked_per_second']:.0f}/s); one durable commit on this disk takes {commit_ms:.2f} ms, so a "
        f"receiver that commits each event alone (serialized) cannot exceed ~{1000 / commit_ms:.0f} events/s."
    )


def run(ctx: Context) -> Section:
    section = Section(
        "profiles",
        TITLE,
        columns=[
            "what",
            "function / step",
            "calls",
            "own s / total s",
            "cumulative s / ms per call",
            "run s",
        ],
    )
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        for part in (_bulk_read, _receiver):
            try:
                part(ctx, section, Path(tmp))
            except Skipped as exc:
                section.notes.append(f"{part.__name__.strip('_')} profile skipped: {exc}")
    if not section.rows:
        raise Skipped("; ".join(section.notes))
    return section
