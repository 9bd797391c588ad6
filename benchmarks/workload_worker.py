"""Child entry point: a mixed GET/update workload through this project's client; prints the measurement."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from benchmarks.peers.common import build_ops, run_workload, status_of
from benchmarks.probe import emit, measure


def _sync(args: argparse.Namespace, ids: list[int], usage: list[Any]) -> dict[str, Any]:
    from pipedrive_connector.client import Pipedrive

    with Pipedrive(api_token=args.token, base_url=args.base_url, on_usage=usage.append) as pd:
        deals = getattr(pd, "deals", None)
        if deals is not None and hasattr(deals, "get") and hasattr(deals, "update"):
            return run_workload(
                args.gets,
                args.updates,
                ids,
                lambda i: deals.get(i),
                lambda i, title: deals.update(i, title=title),
            )
        return run_workload(
            args.gets,
            args.updates,
            ids,
            lambda i: pd.request("GET", f"/api/v2/deals/{i}"),
            lambda i, title: pd.request("PATCH", f"/api/v2/deals/{i}", json={"title": title}),
        )


def _async(args: argparse.Namespace, ids: list[int], usage: list[Any]) -> dict[str, Any]:
    """The same operations from ``args.concurrency`` tasks sharing one AsyncPipedrive."""
    from pipedrive_connector.client import AsyncPipedrive

    ops = build_ops(args.gets, args.updates, ids)
    counts = {"ok": 0, "errors": 0, "rate_limited_seen": 0}
    kinds: dict[str, int] = {}

    async def go() -> dict[str, Any]:
        async with AsyncPipedrive(api_token=args.token, base_url=args.base_url, on_usage=usage.append) as pd:
            pending = iter(enumerate(ops))

            async def worker() -> None:
                for n, (kind, deal_id) in pending:
                    try:
                        if kind == "get":
                            await pd.request("GET", f"/api/v2/deals/{deal_id}")
                        else:
                            await pd.request(
                                "PATCH",
                                f"/api/v2/deals/{deal_id}",
                                json={"title": f"Async {n} {time.time():.3f}"},
                            )
                        counts["ok"] += 1
                    except Exception as exc:
                        counts["errors"] += 1
                        if status_of(exc) == 429:
                            counts["rate_limited_seen"] += 1
                        kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        return {"operations": len(ops), **counts, "error_kinds": kinds}

    return measure(lambda: asyncio.run(go()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workload_worker")
    parser.add_argument("impl", choices=["sync", "async"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--gets", type=int, required=True)
    parser.add_argument("--updates", type=int, required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    ids = [int(x) for x in args.ids.split(",") if x]
    usage: list[Any] = []
    result = (_sync if args.impl == "sync" else _async)(args, ids, usage)
    statuses: dict[str, int] = {}
    for attempt in usage:
        key = str(getattr(attempt, "status_code", None))
        statuses[key] = statuses.get(key, 0) + 1
    result["attempts"] = len(usage)
    result["attempt_statuses"] = statuses
    result["waited_seconds_total"] = round(sum(getattr(u, "waited_seconds", 0.0) or 0.0 for u in usage), 3)
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
