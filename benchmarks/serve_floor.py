"""Child entry point: the floor for webhook ingestion, a bare Starlette endpoint that stores nothing.

It runs on uvicorn's defaults: httptools and uvloop when they are installed (they are dependencies),
like the receiver. ``PIPEDRIVE_HTTP=h11`` puts it on h11 and asyncio's loop, as it does the receiver
(``pipedrive_connector.serving``), so a before/after comparison of the two stacks is like for like.
"""

from __future__ import annotations

import argparse
import os
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def accept(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"ok": True})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[Route("/webhooks/{subscription_id}", accept, methods=["POST"]), Route("/healthz", health)]
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_floor")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    import uvicorn

    pure_python = os.environ.get("PIPEDRIVE_HTTP", "").strip().lower() == "h11"
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        http="h11" if pure_python else "auto",
        loop="asyncio" if pure_python else "auto",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
