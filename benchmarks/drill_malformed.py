"""Fault drill (c): malformed webhook bodies to the receiver and malformed action inputs to the component.

Pass: no 5xx from the receiver, the receiver still alive, nothing stored, and every hostile class
of issue 10 (deep nesting, 5,000-digit integers, "²" ids and timestamps, 1e400, year-1 offsets,
mixed option ids...) seen and answered 400; every action input rejected with the component's own
error that names what is wrong (no TypeError/KeyError-style crash).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks import pieces
from benchmarks.action_inputs import generate
from benchmarks.context import Context
from benchmarks.payloads import HOSTILE, malformed_body
from benchmarks.rawhttp import RawHTTPError, RawPool
from benchmarks.results import Section, Skipped, Target
from benchmarks.sandbox_ops import Sandbox
from benchmarks.webhook_ingest import receiver

TITLE = "Fault drill (c): malformed webhook bodies and action inputs"
CONCURRENCY = 16


def _inbox_rows(db: Path) -> int | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            table = next((t for t in tables if "inbox" in t or "event" in t), None)
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) if table else None
    except sqlite3.Error:
        return None


async def _send_bodies(url: str, headers: dict[str, str], count: int, seed: int) -> dict[str, Any]:
    host_port = url.removeprefix("http://").split("/", 1)
    host, port = host_port[0].split(":")
    path = "/" + host_port[1]
    pool = RawPool(host, int(port), max_connections=CONCURRENCY)
    rng = random.Random(seed)
    statuses: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    unclear: list[str] = []
    accepted: Counter[str] = Counter()
    accepted_examples: list[str] = []
    bodies = iter(range(count))

    async def worker() -> None:
        for n in bodies:
            kind, body = malformed_body(n, rng)
            kinds[kind] += 1
            try:
                status, payload = await pool.post(path, body, {**headers, "Content-Type": "application/json"})
            except RawHTTPError as exc:
                statuses[f"connection error: {exc}"[:60]] += 1
                continue
            statuses[str(status)] += 1
            by_kind.setdefault(kind, Counter())[str(status)] += 1
            if status < 400 or status >= 500:
                accepted[f"{kind} -> {status}"] += 1
                if len(accepted_examples) < 4:
                    accepted_examples.append(body[:300].decode("utf-8", "replace"))
            if 400 <= status < 500 and b'"error"' not in payload and len(unclear) < 5:
                unclear.append(f"{kind}: {payload[:120]!r}")

    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    finally:
        await pool.close()
    return {
        "statuses": dict(statuses),
        "kinds": dict(kinds),
        "statuses_by_kind": {kind: dict(counts) for kind, counts in by_kind.items()},
        "unclear_examples": unclear,
        "not_rejected": dict(accepted),
        "not_rejected_examples": accepted_examples,
    }


def _webhook_bodies(ctx: Context, section: Section, count: int) -> None:
    pieces.require_triggers()
    with tempfile.TemporaryDirectory(prefix="bench-malformed-") as tmp:
        db = Path(tmp) / "inbox.db"
        with receiver(Path(tmp)) as (server, url, auth):
            before = _inbox_rows(db)
            ctx.progress(f"  drill (c): {count:,} malformed webhook bodies to the receiver")
            result = asyncio.run(_send_bodies(url, auth, count, seed=7))
            alive = httpx.get(server.base_url + "/healthz", timeout=5).status_code == 200
            after = _inbox_rows(db)
    statuses = result["statuses"]
    five_xx = sum(v for k, v in statuses.items() if k.startswith("5"))
    rejected = sum(v for k, v in statuses.items() if k.startswith("4"))
    other = count - rejected - five_xx
    stored = (after - before) if after is not None and before is not None else None
    section.add_row("webhook bodies -> receiver", count, rejected, five_xx, other, str(statuses), stored)
    section.data["webhook_bodies"] = {**result, "alive_after": alive, "stored": stored}
    if result["unclear_examples"]:
        section.notes.append(f"4xx bodies without an 'error' field: {result['unclear_examples']}")
    section.notes.append(f"webhook body kinds: {result['kinds']}; receiver alive afterwards: {alive}")
    if result["not_rejected"]:
        section.notes.append(f"webhook bodies not rejected, by kind: {result['not_rejected']}")
        section.notes.append(f"example: {result['not_rejected_examples'][0]}")
    section.targets.append(
        Target(
            "receiver rejects malformed bodies",
            "all 4xx, no 5xx, still alive, nothing stored",
            rejected == count and five_xx == 0 and alive and stored in (0, None),
            f"{rejected:,}/{count:,} rejected with 4xx, {five_xx} 5xx, {other} other, alive={alive}, "
            f"stored={stored}",
        )
    )
    by_kind = result["statuses_by_kind"]
    hostile = {kind: by_kind.get(kind, {}) for kind in HOSTILE}
    missing = [kind for kind, counts in hostile.items() if not counts]
    not_400 = {kind: counts for kind, counts in hostile.items() if set(counts) - {"400"}}
    sent = sum(sum(counts.values()) for counts in hostile.values())
    section.targets.append(
        Target(
            "hostile classes (issue 10) get 400",
            f"each of the {len(HOSTILE)} classes sent and answered 400",
            not missing and not not_400,
            f"{sent:,} hostile bodies in {len(HOSTILE) - len(missing)}/{len(HOSTILE)} classes; "
            f"not 400: {not_400 or 'none'}; not sent: {missing or 'none'}",
        )
    )


def _action_inputs(ctx: Context, section: Section, count: int) -> None:
    comp = pieces.require_component()
    component = comp.Component()
    component_error = comp.ComponentError
    from pipedrive_connector.client.errors import PipedriveError

    actions = tuple(component.actions)
    rng = random.Random(11)
    outcomes: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    names_culprit = 0
    with Sandbox(seed="demo") as sb:
        connection = comp.Connection.api_key(sb.token, base_url=sb.base_url)
        ctx.progress(f"  drill (c): {count:,} malformed action inputs to Component.run")
        for n in range(count):
            bad = generate(actions, n, rng)
            try:
                component.run(bad.action, bad.inputs, connection)
                outcomes["accepted (ran)"] += 1
                examples.setdefault(f"accepted {bad.kind}", f"{bad.action} {bad.inputs!r}"[:200])
            except component_error as exc:
                outcomes["rejected: component error"] += 1
                if bad.culprit.split(".")[-1] in str(exc) or bad.kind == "not_an_object":
                    names_culprit += 1
                else:
                    examples.setdefault(f"vague {bad.kind}", f"{bad.action} {bad.culprit}: {exc}"[:200])
            except PipedriveError:
                outcomes["rejected by the API (client error)"] += 1
            except Exception as exc:  # a crash is the finding
                name = type(exc).__name__
                outcomes["crash"] += 1
                crashes[f"{bad.kind}: {name}"] += 1
                examples.setdefault(f"crash {bad.kind}", f"{bad.action} {bad.inputs!r}: {name}: {exc}"[:200])
    rejected = outcomes["rejected: component error"] + outcomes["rejected by the API (client error)"]
    section.add_row(
        "action inputs -> Component.run",
        count,
        rejected,
        0,
        outcomes["crash"] + outcomes["accepted (ran)"],
        str(dict(outcomes)),
        None,
    )
    section.data["action_inputs"] = {
        "outcomes": dict(outcomes),
        "crashes": dict(crashes),
        "examples": examples,
        "names_culprit": names_culprit,
    }
    if crashes:
        section.notes.append(f"action-input crashes by kind: {dict(crashes)}")
    for key, example in sorted(examples.items())[:8]:
        section.notes.append(f"example ({key}): {example}")
    section.targets.append(
        Target(
            "component rejects malformed inputs",
            "every one rejected with a ComponentError, none crashes or runs",
            outcomes["crash"] == 0 and outcomes["accepted (ran)"] == 0,
            f"{rejected:,}/{count:,} rejected, {outcomes['crash']} crashes, "
            f"{outcomes['accepted (ran)']} ran; {names_culprit:,} errors name the broken property",
        )
    )


def run(ctx: Context) -> Section:
    section = Section(
        "drill_malformed",
        TITLE,
        columns=["target", "inputs", "rejected (4xx / clear error)", "5xx", "other", "outcomes", "stored"],
    )
    count = ctx.scaled(10_000, 2_000)
    for part in (_webhook_bodies, _action_inputs):
        try:
            part(ctx, section, count)
        except Skipped as exc:
            section.notes.append(f"{part.__name__.strip('_').replace('_', ' ')} skipped: {exc}")
    if not section.rows:
        raise Skipped("; ".join(section.notes))
    return section
