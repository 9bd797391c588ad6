"""Benchmark 2: a GET/update workload with the sandbox at plan ``lite``: throughput against the limit."""

from __future__ import annotations

import sys
import time
from typing import Any

import httpx

from benchmarks import peer_env, pieces
from benchmarks.context import Context
from benchmarks.procs import ChildError, run_worker
from benchmarks.results import Section, Skipped, Target
from benchmarks.sandbox_ops import Sandbox

TITLE = "Under rate limits: plan lite, GETs and updates"
LITE_REQUESTS_PER_SECOND = 20 / 2  # API-token burst limit of plan lite: 20 requests per 2-second window


def _deal_ids(sb: Sandbox, n: int) -> list[int]:
    ids = []
    with httpx.Client(base_url=sb.base_url, headers={"x-api-token": sb.token}, timeout=30) as http:
        for i in range(n):
            resp = http.post("/api/v2/deals", json={"title": f"Rate-limited {i}"})
            resp.raise_for_status()
            ids.append(int(resp.json()["data"]["id"]))
    return ids


def run(ctx: Context) -> Section:
    pieces.require_client_request()
    gets, updates = ctx.scaled(600, 120), ctx.scaled(200, 40)
    section = Section(
        "rate_limits",
        TITLE,
        columns=[
            "implementation",
            "operations",
            "ok",
            "errors",
            "429s surfaced",
            "429s absorbed",
            "seconds",
            "req/s",
            "share of max",
        ],
    )
    if ctx.quick:
        section.notes.append(f"--quick: {gets} GETs + {updates} updates instead of 600 + 200")
    section.notes.append(
        f"Theoretical maximum: plan lite allows 20 requests per 2-second window per API token = "
        f"{LITE_REQUESTS_PER_SECOND:g} req/s; share = successful operations per second / "
        f"{LITE_REQUESTS_PER_SECOND:g}. The first window's 20 requests go at once, so a perfect client "
        "slightly exceeds 100% on short runs."
    )
    with Sandbox(seed="empty") as sb:
        ids = _deal_ids(sb, 50)
        ids_arg = ",".join(map(str, ids))
        runners: dict[str, list[str]] = {
            "this client (sync)": [sys.executable, "-m", "benchmarks.workload_worker", "sync"],
            "this client (async, 8 tasks)": [sys.executable, "-m", "benchmarks.workload_worker", "async"],
        }
        if ctx.peers:
            try:
                python = str(peer_env.ensure(ctx.progress))
                for peer in peer_env.PEERS:
                    if peer.read_op != "read":
                        continue  # a second way of reading, not a second SDK
                    runners[peer.name] = [python, "-m", peer.module, "workload"]
            except Skipped as exc:
                section.notes.append(f"peers skipped: {exc}")
        for name, cmd in runners.items():
            time.sleep(2.2)  # let the previous run's 2-second burst window pass
            sb.set_rate_limit("lite")  # a fresh window and budget for each implementation
            ctx.progress(f"  rate limits: {name} ({gets} GETs + {updates} updates at plan lite)")
            try:
                result = run_worker(
                    [
                        *cmd,
                        "--base-url",
                        sb.base_url,
                        "--token",
                        sb.token,
                        "--gets",
                        str(gets),
                        "--updates",
                        str(updates),
                        "--ids",
                        ids_arg,
                    ],
                    timeout=max(120.0, (gets + updates) / LITE_REQUESTS_PER_SECOND * 4),
                )
            except ChildError as exc:
                section.notes.append(f"{name} failed: {exc}")
                continue
            section.data[name] = result
            _row(section, name, result)
        sb.set_rate_limit("off")
    _targets(section)
    return section


def _row(section: Section, name: str, r: dict[str, Any]) -> None:
    statuses = r.get("attempt_statuses")
    absorbed = statuses.get("429", 0) if statuses else None  # only this client reports its attempts
    rate = r["ok"] / r["seconds"] if r["seconds"] else 0.0
    # A share of the maximum means something only for a run that completed its operations.
    share = f"{rate / LITE_REQUESTS_PER_SECOND:.0%}" if r["errors"] == 0 else "- (failed)"
    section.add_row(
        name,
        r["operations"],
        r["ok"],
        r["errors"],
        r["rate_limited_seen"],
        absorbed,
        round(r["seconds"], 1),
        round(rate, 2),
        share,
    )
    if r.get("error_kinds"):
        section.notes.append(f"{name} errors by type: {r['error_kinds']}")


def _targets(section: Section) -> None:
    for name in ("this client (sync)", "this client (async, 8 tasks)"):
        r = section.data.get(name)
        if not r:
            section.targets.append(
                Target(f"{name}", ">= 90% of max, 0 errors, 0 429s surfaced", None, "not measured")
            )
            continue
        share = (r["ok"] / r["seconds"]) / LITE_REQUESTS_PER_SECOND if r["seconds"] else 0.0
        met = share >= 0.9 and r["errors"] == 0 and r["rate_limited_seen"] == 0
        section.targets.append(
            Target(
                name,
                ">= 90% of max, 0 errors, 0 429s surfaced",
                met,
                f"{share:.0%} of max, {r['errors']} errors, {r['rate_limited_seen']} 429s surfaced",
            )
        )
