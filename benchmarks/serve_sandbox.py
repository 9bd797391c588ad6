"""Child entry point: the sandbox served as `pipedrive sandbox serve` serves it, in its own process.

``--deals N`` creates N deals through the sandbox's own API before serving (in-process, over
httpx's ASGI transport), which is several times faster than creating them over a socket.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


async def _create_deals(app: Any, token: str, count: int) -> None:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers={"x-api-token": token}
    ) as http:
        for i in range(count):
            resp = await http.post(
                "/api/v2/deals",
                json={"title": f"Bench deal {i}", "value": 1000 + i % 5000, "currency": "EUR"},
            )
            if resp.status_code >= 300:
                raise SystemExit(f"seeding deal {i} failed: HTTP {resp.status_code}: {resp.text[:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_sandbox")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-token", default="bench-token")
    parser.add_argument("--seed", default="empty", choices=["empty", "demo"])
    parser.add_argument("--rate-limit", default="off")
    parser.add_argument("--db", default=None, help="SQLite path (default: in-memory)")
    parser.add_argument("--deals", type=int, default=0, help="deals to create before serving")
    args = parser.parse_args(argv)

    from pipedrive_connector.sandbox import SandboxSettings, create_app
    from pipedrive_connector.serving import bind_socket, serve_forever

    settings = SandboxSettings(
        api_token=args.api_token,
        db_path=args.db,
        seed=args.seed,
        rate_limit=args.rate_limit,
        webhook_retry_delays=(0.2, 0.5, 1.0),
    )
    app = create_app(settings)
    if args.deals:
        asyncio.run(_create_deals(app, args.api_token, args.deals))
    # The runner `pipedrive sandbox serve` uses: its slow-client guards and HTTP stack (PIPEDRIVE_HTTP).
    serve_forever(app, bind_socket("127.0.0.1", args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
