"""Child entry point: read every deal once with one implementation and print the measurement.

Implementations: ``raw-v2`` (httpx over /api/v2/deals cursor pages: the floor; ``raw-v2-orjson`` the
same loop decoding with orjson, as this client does; ``raw-v2-async`` that loop on httpx.AsyncClient),
``raw-v1`` (httpx over the legacy /v1/deals start/limit pages: the floor for v1 peers), ``sync`` and
``async`` (this project's client, the hand-made ``pd.deals.iterate()``), ``sync-generated`` and
``async-generated`` (the generated ``pd.api.deals.iterate()``, which every generated iterator shares).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import httpx

from benchmarks.probe import emit, measure

PAGE = 500


def _raw_v2(base_url: str, token: str, decode: Any = httpx.Response.json) -> dict[str, Any]:
    """The floor: httpx over cursor pages, each decoded by ``decode`` (httpx's ``.json()``)."""
    count = id_sum = 0
    with httpx.Client(base_url=base_url, headers={"x-api-token": token}, timeout=60) as http:
        params: dict[str, Any] = {"limit": PAGE}
        while True:
            body = decode(http.get("/api/v2/deals", params=params).raise_for_status())
            for deal in body["data"] or []:
                count += 1
                id_sum += deal["id"]
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                break
            params = {"limit": PAGE, "cursor": cursor}
    return {"count": count, "id_sum": id_sum}


def _raw_v2_orjson(base_url: str, token: str) -> dict[str, Any]:
    """The floor loop decoding with orjson (as this client does) instead of httpx's ``.json()``."""
    import orjson

    return _raw_v2(base_url, token, lambda response: orjson.loads(response.content))


def _raw_v2_async(base_url: str, token: str) -> dict[str, Any]:
    """The same loop on ``httpx.AsyncClient`` (with orjson): what httpx's async stack costs by itself."""
    import orjson

    async def read() -> dict[str, Any]:
        count = id_sum = 0
        headers = {"x-api-token": token}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
            params: dict[str, Any] = {"limit": PAGE}
            while True:
                response = (await http.get("/api/v2/deals", params=params)).raise_for_status()
                body = orjson.loads(response.content)
                for deal in body["data"] or []:
                    count += 1
                    id_sum += deal["id"]
                cursor = (body.get("additional_data") or {}).get("next_cursor")
                if not cursor:
                    break
                params = {"limit": PAGE, "cursor": cursor}
        return {"count": count, "id_sum": id_sum}

    return asyncio.run(read())


def _raw_v1(base_url: str, token: str) -> dict[str, Any]:
    count = id_sum = 0
    start = 0
    with httpx.Client(base_url=base_url, headers={"x-api-token": token}, timeout=60) as http:
        while True:
            body = http.get("/v1/deals", params={"start": start, "limit": PAGE}).raise_for_status().json()
            for deal in body["data"] or []:
                count += 1
                id_sum += deal["id"]
            pagination = (body.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                break
            start = int(pagination.get("next_start", start + PAGE))
    return {"count": count, "id_sum": id_sum}


def _client_sync(base_url: str, token: str, *, generated: bool = False) -> dict[str, Any]:
    from pipedrive_connector.client import Pipedrive
    from pipedrive_connector.client.generated.deals import GetDealsItem
    from pipedrive_connector.client.models import Deal

    kind = GetDealsItem if generated else Deal
    count = id_sum = 0
    with Pipedrive(api_token=token, base_url=base_url) as pd:
        deals = pd.api.deals if generated else pd.deals
        for deal in deals.iterate():
            count += 1
            # A typed attribute read, as a user's loop does (the generated id is Optional).
            id_sum += deal.id or 0
        assert isinstance(deal, kind), type(deal)
    return {"count": count, "id_sum": id_sum}


def _client_async(base_url: str, token: str, *, generated: bool = False) -> dict[str, Any]:
    from pipedrive_connector.client import AsyncPipedrive
    from pipedrive_connector.client.generated.deals import GetDealsItem
    from pipedrive_connector.client.models import Deal

    kind = GetDealsItem if generated else Deal

    async def read() -> dict[str, Any]:
        count = id_sum = 0
        async with AsyncPipedrive(api_token=token, base_url=base_url) as pd:
            deals = pd.api.deals if generated else pd.deals
            async for deal in deals.iterate():
                count += 1
                id_sum += deal.id or 0
            assert isinstance(deal, kind), type(deal)
        return {"count": count, "id_sum": id_sum}

    return asyncio.run(read())


def _warm_imports(impl: str) -> None:
    """Import, before the clock starts, the modules an implementation would otherwise import on its
    first request (httpx loads httpcore/h11/certifi lazily, anyio its asyncio backend): imports are
    not reading, and a program pays them once per process, not once per bulk read. Every
    implementation gets the same treatment (the async ones also need anyio's backend)."""
    import certifi  # noqa: F401
    import h11  # noqa: F401
    import httpcore  # noqa: F401
    import orjson  # noqa: F401

    if impl in ("sync", "async", "sync-generated", "async-generated"):
        import pipedrive_connector.client
        import pipedrive_connector.client.generated.deals  # noqa: F401
    if "async" in impl:
        import anyio._backends._asyncio  # noqa: F401


IMPLS: dict[str, Any] = {
    "raw-v2": _raw_v2,
    "raw-v2-orjson": _raw_v2_orjson,
    "raw-v2-async": _raw_v2_async,
    "raw-v1": _raw_v1,
    "sync": _client_sync,
    "async": _client_async,
    "sync-generated": lambda url, token: _client_sync(url, token, generated=True),
    "async-generated": lambda url, token: _client_async(url, token, generated=True),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.read_worker")
    parser.add_argument("impl", choices=sorted(IMPLS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--trace", action="store_true", help="also record the tracemalloc peak")
    parser.add_argument("--profile", metavar="FILE", help="run under cProfile; write top functions to FILE")
    args = parser.parse_args(argv)
    _warm_imports(args.impl)
    work = IMPLS[args.impl]
    if args.profile:
        emit(profiled(lambda: work(args.base_url, args.token), args.profile))
        return 0
    emit(measure(lambda: work(args.base_url, args.token), trace=args.trace))
    return 0


def profiled(work: Any, out: str) -> dict[str, Any]:
    """Run ``work`` under cProfile; write the top 25 functions by own time and by cumulative time."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    result = profile.runcall(work)
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text.getvalue())
    return dict(result)


if __name__ == "__main__":
    sys.exit(main())
