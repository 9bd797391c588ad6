"""Child process of the shared-limiter drill and test: GETs through one client whose limiter lives in
Redis (or "local"), starting at an agreed wall-clock time; prints one JSON line with what happened.

    python benchmarks/redis_limiter_worker.py BASE_URL TOKEN LIMITER COUNT START_AT [TASKS]

TASKS 1 (default): a sync ``Pipedrive``, one request at a time; more: that many asyncio tasks
sharing one ``AsyncPipedrive``. Before the start, each warms up (imports, connections, the learned
window) like a long-running worker: a cold process's first requests leave late by a varying amount,
which the window's slack does not cover. Runs by path (it imports only the package), so a test can start it
without the benchmarks package.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

PATH = "/v1/users/me"


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    surfaced_429: int = 0
    absorbed_429: int = 0
    first: float = 0.0
    end: float = 0.0

    def usage(self, usage: Any) -> None:
        self.absorbed_429 += usage.status_code == 429

    def failed(self, exc: Exception) -> None:
        from pipedrive_connector.client import errors

        self.errors += 1
        self.surfaced_429 += isinstance(exc, errors.RateLimited)
        print(type(exc).__name__, exc, file=sys.stderr)


def run_sync(options: dict[str, Any], count: int, start_at: float, tally: Tally) -> None:
    from pipedrive_connector.client import Pipedrive, errors

    with Pipedrive(**options, on_usage=tally.usage) as pd:
        pd.request("GET", PATH)  # warm up: imports, connection, the window's limit
        time.sleep(max(0.0, start_at - time.time()))
        tally.first = time.time()  # later than start_at when this process was slow to start
        for _ in range(count):
            try:
                pd.request("GET", PATH)
                tally.ok += 1
            except errors.PipedriveError as exc:
                tally.failed(exc)


async def run_async(options: dict[str, Any], count: int, start_at: float, tasks: int, tally: Tally) -> None:
    from pipedrive_connector.client import AsyncPipedrive, errors

    left = count

    async def worker(pd: AsyncPipedrive) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            try:
                await pd.request("GET", PATH)
                tally.ok += 1
            except errors.PipedriveError as exc:
                tally.failed(exc)

    async with AsyncPipedrive(**options, on_usage=tally.usage) as pd:
        await asyncio.gather(*(pd.request("GET", PATH) for _ in range(tasks)))  # warm up, a connection each
        await asyncio.sleep(max(0.0, start_at - time.time()))
        tally.first = time.time()
        await asyncio.gather(*(worker(pd) for _ in range(tasks)))


def main(argv: list[str]) -> int:
    base_url, token, limiter, count, start_at = argv[0], argv[1], argv[2], int(argv[3]), float(argv[4])
    tasks = int(argv[5]) if len(argv) > 5 else 1
    options = {"api_token": token, "base_url": base_url, "limiter": limiter}
    tally = Tally()
    if tasks > 1:
        asyncio.run(run_async(options, count, start_at, tasks, tally))
    else:
        run_sync(options, count, start_at, tally)
    tally.end = time.time()
    print(json.dumps(asdict(tally)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
