"""Drill (c): four processes with one API token against one sandbox at plan ``lite``, with the rate
limiter shared through Redis (``limiter="redis://..."``) and, interleaved with it, each process pacing
alone (``limiter="local"``). Prints the achieved rate against the plan's maximum, errors, and 429s
surfaced to the caller and absorbed by the client's retries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

from benchmarks.context import Context
from benchmarks.procs import REPO, child_env
from benchmarks.results import Section, Skipped, Target
from benchmarks.sandbox_ops import Sandbox
from benchmarks.stats import interleave, median

TITLE = "Drill (c): 4 processes, one token, plan lite, limiter shared through Redis"
REDIS = os.environ.get("PIPEDRIVE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
WORKER = REPO / "benchmarks" / "redis_limiter_worker.py"
PROCESSES = 4
LITE_PER_SECOND = 20 / 2  # plan lite: 20 requests per 2-second window per API token
# name -> (shared through Redis?, asyncio tasks of each of the four processes)
CASES = {
    "shared (redis)": (True, (1, 1, 1, 1)),
    "per process (local)": (False, (1, 1, 1, 1)),
    "shared, 2 async x 4 tasks": (True, (1, 4, 1, 4)),
}
STARTUP_SECONDS = 4.0  # every worker imports the package and warms up before the agreed start


def _redis() -> Any:
    try:
        import redis
    except ImportError:
        raise Skipped("needs the redis extra (pip install 'pipedrive-connector[redis]')") from None
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise Skipped(f"Redis unreachable at {REDIS}: {type(exc).__name__}") from None
    return client


def _one_run(sb: Sandbox, case: str, per_process: int, store: Any) -> dict[str, Any]:
    prefix = f"bench:limiter:{uuid.uuid4().hex[:12]}"
    shared, tasks = CASES[case]
    limiter = f"{REDIS}?key_prefix={prefix}" if shared else "local"
    sb.set_rate_limit("lite", reset_counters=True)
    time.sleep(2.2)  # the previous run's requests leave the sandbox's rolling window
    start_at = time.time() + STARTUP_SECONDS
    argv = [sb.base_url, sb.token, limiter, str(per_process), str(start_at)]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *argv, str(n)],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in tasks
    ]
    results = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        if worker.returncode != 0:
            raise RuntimeError(f"limiter worker exited {worker.returncode}: {stderr.strip()[-500:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    keys = store.keys(f"{prefix}:*")
    if keys:
        store.delete(*keys)
    ok = sum(r["ok"] for r in results)
    seconds = max(r["end"] for r in results) - min(r["first"] for r in results)
    return {
        "ok": ok,
        "errors": sum(r["errors"] for r in results),
        "surfaced_429": sum(r["surfaced_429"] for r in results),
        "absorbed_429": sum(r["absorbed_429"] for r in results),
        "seconds": seconds,
        "rate": ok / seconds,
    }


def run(ctx: Context) -> Section:
    store = _redis()
    per_process = ctx.scaled(40, 15)
    section = Section(
        "drill_redis_limiter",
        TITLE,
        columns=[
            "limiter",
            "runs",
            "ok",
            "errors",
            "429s surfaced",
            "429s absorbed",
            "median req/s",
            "median share of max",
        ],
    )
    section.notes.append(
        f"{PROCESSES} processes x {per_process} GET /v1/users/me each (a sync client, or an async one "
        f"with 4 tasks), {ctx.reps} interleaved runs per case; each process warms up before the agreed "
        f"start, and the run is timed from the first process's start to the last one's end. Maximum: "
        f"plan lite allows 20 requests per 2-second window per API token = {LITE_PER_SECOND:g} req/s; "
        "the first window's 20 go within about a second, so short runs exceed 100%."
    )
    with Sandbox(seed="empty") as sb:

        def one(case: str, rep: int) -> dict[str, Any]:
            ctx.progress(f"  drill (c): {case}, run {rep + 1} of {ctx.reps}")
            return _one_run(sb, case, per_process, store)

        samples = interleave(list(CASES), ctx.reps, one)
    store.close()
    for case in CASES:
        runs = samples[case]
        share = median([r["rate"] for r in runs]) / LITE_PER_SECOND
        section.add_row(
            case,
            len(runs),
            sum(r["ok"] for r in runs),
            sum(r["errors"] for r in runs),
            sum(r["surfaced_429"] for r in runs),
            sum(r["absorbed_429"] for r in runs),
            round(median([r["rate"] for r in runs]), 2),
            f"{share:.0%}",
        )
    shared = samples["shared (redis)"]
    shared_share = median([r["rate"] for r in shared]) / LITE_PER_SECOND
    surfaced = sum(r["surfaced_429"] + r["errors"] for r in shared)
    section.targets.append(
        Target(
            "shared limiter: share of the lite maximum",
            ">= 90%, 0 errors, 0 429s surfaced",
            shared_share >= 0.9 and surfaced == 0,
            f"{shared_share:.0%}, {surfaced} errors/429s surfaced, "
            f"{sum(r['absorbed_429'] for r in shared)} 429s absorbed",
        )
    )
    section.data = {"samples": samples, "per_process": per_process, "processes": PROCESSES}
    return section
