"""Fault drill (b): mixed client operations while the sandbox injects faults; then compare states.

Faults (seeded): 5% 5xx before the handler + 5% 5xx after it (10% 5xx; after = the write happened
and the reply was lost), 2.5% + 2.5% dropped connections (before/after), 5% latency spikes of 400 ms.
The expected state is tracked from what the client reported; at the end, with faults off, every
deal is read back. Pass: each create exists at most once (none duplicated), every acknowledged
write is in the final state, and nothing that the client reported as done is missing.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks import pieces
from benchmarks.context import Context
from benchmarks.results import Section, Target
from benchmarks.sandbox_ops import Sandbox

TITLE = "Fault drill (b): client operations under sandbox faults"
FAULTS = {
    "error_rate": 0.05,
    "after_rate": 0.05,
    "drop_rate": 0.025,
    "after_drop_rate": 0.025,
    "slow_rate": 0.05,
    "slow_ms": 400,
    "seed": 1,
}


@dataclass
class Expected:
    live: dict[int, int] = field(default_factory=dict)  # deal id -> value the client last set
    deleted: set[int] = field(default_factory=set)
    uncertain: set[int] = field(default_factory=set)  # an update/delete raised: either outcome is fine
    created_titles: dict[str, int] = field(default_factory=dict)
    ambiguous_titles: set[str] = field(default_factory=set)
    failed_titles: set[str] = field(default_factory=set)


def _id(obj: Any) -> int:
    return int(obj["id"] if isinstance(obj, dict) else obj.id)


def run(ctx: Context) -> Section:
    pieces.require_client_deals("add", "update", "get", "delete")
    from pipedrive_connector.client import Pipedrive
    from pipedrive_connector.client.errors import AmbiguousWriteError, PipedriveError

    total = ctx.scaled(1_000, 200)
    section = Section(
        "drill_client_faults",
        TITLE,
        columns=["operation", "attempted", "succeeded", "raised", "raised (ambiguous write)", "error types"],
    )
    run_tag = uuid.uuid4().hex[:8]
    rng = random.Random(3)
    exp = Expected()
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("create", "update", "get", "delete")}
    started = time.perf_counter()
    with Sandbox(seed="empty") as sb:
        sb.set_faults(**FAULTS)
        ctx.progress(f"  drill (b): {total:,} mixed operations with faults {FAULTS}")
        with Pipedrive(api_token=sb.token, base_url=sb.base_url) as pd:
            for i in range(total):
                live = sorted(exp.live)
                roll = rng.random()
                op = (
                    "create"
                    if roll < 0.3 or len(live) < 5
                    else "update"
                    if roll < 0.6
                    else "get"
                    if roll < 0.85
                    else "delete"
                )
                counts[op]["attempted"] += 1
                try:
                    if op == "create":
                        title = f"drill-{run_tag}-{i}"
                        try:
                            deal = pd.deals.add(title=title, value=i)
                            exp.created_titles[title] = _id(deal)
                            exp.live[_id(deal)] = i
                        except AmbiguousWriteError:
                            exp.ambiguous_titles.add(title)
                            raise
                        except PipedriveError:
                            exp.failed_titles.add(title)
                            raise
                    elif op == "update":
                        target = rng.choice(live)
                        try:
                            pd.deals.update(target, value=i)
                            exp.live[target] = i
                        except PipedriveError:
                            exp.uncertain.add(target)
                            raise
                    elif op == "get":
                        pd.deals.get(rng.choice(live))
                    else:
                        target = rng.choice(live)
                        try:
                            pd.deals.delete(target)
                        except PipedriveError:
                            exp.uncertain.add(target)
                            raise
                        finally:
                            exp.live.pop(target, None)
                            exp.deleted.add(target)
                    counts[op]["succeeded"] += 1
                except PipedriveError as exc:
                    counts[op]["raised"] += 1
                    if isinstance(exc, AmbiguousWriteError):
                        counts[op]["ambiguous"] += 1
                    counts[op][f"type:{type(exc).__name__}"] += 1
        seconds = time.perf_counter() - started
        fault_counts = sb._client().get("/_sandbox/faults").json().get("data", {}).get("injected", {})
        sb.set_faults()
        final = _final_state(sb)
    for op, c in counts.items():
        types = {k.removeprefix("type:"): v for k, v in c.items() if k.startswith("type:")}
        section.add_row(
            op, c["attempted"], c["succeeded"], c["raised"], c["ambiguous"], str(types) if types else ""
        )
    _check(section, exp, final, run_tag)
    section.data.update(
        {
            "faults": FAULTS,
            "fault_counts": fault_counts,
            "seconds": seconds,
            "counts": {k: dict(v) for k, v in counts.items()},
        }
    )
    section.notes.append(
        f"{total:,} operations in {seconds:.1f} s; faults the sandbox injected: {fault_counts}"
    )
    return section


def _final_state(sb: Sandbox) -> dict[str, Any]:
    """Every live deal (id -> deal) and the titles of all deals, deleted ones included."""
    http = sb._client()
    live: dict[int, dict[str, Any]] = {}
    titles: Counter[str] = Counter()
    for status in (None, "deleted"):
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if status:
                params["status"] = status
            if cursor:
                params["cursor"] = cursor
            body = http.get("/api/v2/deals", params=params).raise_for_status().json()
            for deal in body.get("data") or []:
                titles[deal["title"]] += 1
                if status is None:
                    live[int(deal["id"])] = deal
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                break
    return {"live": live, "titles": titles}


def _check(section: Section, exp: Expected, final: dict[str, Any], run_tag: str) -> None:
    live: dict[int, dict[str, Any]] = final["live"]
    titles: Counter[str] = final["titles"]
    duplicates = {t: n for t, n in titles.items() if t.startswith(f"drill-{run_tag}-") and n > 1}
    missing_creates = [t for t in exp.created_titles if titles.get(t, 0) == 0]
    wrong_values = [
        (deal_id, value, live[deal_id].get("value"))
        for deal_id, value in exp.live.items()
        if deal_id not in exp.uncertain and deal_id in live and live[deal_id].get("value") != value
    ]
    vanished = [d for d in exp.live if d not in exp.uncertain and d not in live]
    undeleted = [d for d in exp.deleted if d not in exp.uncertain and d in live]
    ambiguous_landed = sum(1 for t in exp.ambiguous_titles if titles.get(t, 0) >= 1)
    failed_landed = sum(1 for t in exp.failed_titles if titles.get(t, 0) >= 1)
    section.notes.append(
        f"final state: {len(live):,} live deals; {len(exp.created_titles):,} creates acknowledged, "
        f"{len(exp.ambiguous_titles)} raised 'may have been created' ({ambiguous_landed} of them did land), "
        f"{len(exp.failed_titles)} raised another error ({failed_landed} landed anyway); "
        f"{len(exp.uncertain)} deals had an update/delete that raised (either outcome accepted)"
    )
    if duplicates:
        section.notes.append(f"DUPLICATED creates: {dict(list(duplicates.items())[:10])}")
    if wrong_values or vanished or undeleted or missing_creates:
        section.notes.append(
            f"state mismatches: wrong values {wrong_values[:5]}, vanished {vanished[:5]}, "
            f"not deleted {undeleted[:5]}, acknowledged creates missing {missing_creates[:5]}"
        )
    section.targets.append(
        Target(
            "no duplicate creates",
            "every title at most once",
            not duplicates,
            f"{len(duplicates)} duplicated",
        )
    )
    section.targets.append(
        Target(
            "final state equals expected",
            "acknowledged writes present, values and deletions as reported",
            not (wrong_values or vanished or undeleted or missing_creates or failed_landed),
            f"{len(wrong_values)} wrong values, {len(vanished)} vanished, {len(undeleted)} not deleted, "
            f"{len(missing_creates)} acknowledged creates missing, "
            f"{failed_landed} non-ambiguous failures landed",
        )
    )
