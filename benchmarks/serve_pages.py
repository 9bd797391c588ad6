"""Child entry point: a page-replay server, the fixed-cost origin for the bulk-read comparison.

It serves ``GET /api/v2/deals`` (cursor pages) and ``GET /v1/deals`` (start/limit pages) for an
account of ``--count`` deals, built from deals the real sandbox serialized (``--template``: the JSON
envelopes of one v2 and one v1 page), repeated with fresh ids. Every implementation reads exactly
the same bytes, and the server's cost per page is small and equal for all, so the comparison
measures the clients. (The sandbox itself spends far longer per page; see bulk_read.py.)
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_LIMIT = 500


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "100")
    return max(1, min(MAX_LIMIT, int(raw))) if raw.isdigit() else 100


def _items(template: list[dict[str, Any]], start: int, stop: int) -> list[dict[str, Any]]:
    out = []
    for i in range(start, stop):
        deal = dict(template[i % len(template)])
        deal["id"] = i + 1
        deal["title"] = f"Deal {i + 1}"
        out.append(deal)
    return out


def build_app(template: dict[str, Any], count: int) -> Starlette:
    v2_items: list[dict[str, Any]] = template["v2"]["data"]
    v1_page: dict[str, Any] = template["v1"]

    async def v2_list(request: Request) -> Response:
        limit = _limit(request)
        cursor = request.query_params.get("cursor")
        start = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        stop = min(count, start + limit)
        next_cursor = base64.urlsafe_b64encode(str(stop).encode()).decode() if stop < count else None
        body = {
            "success": True,
            "data": _items(v2_items, start, stop),
            "additional_data": {"next_cursor": next_cursor},
        }
        return Response(json.dumps(body), media_type="application/json")

    async def v1_list(request: Request) -> Response:
        limit = _limit(request)
        raw_start = request.query_params.get("start", "0")
        start = int(raw_start) if raw_start.isdigit() else 0
        stop = min(count, start + limit)
        pagination = {"start": start, "limit": limit, "more_items_in_collection": stop < count}
        if stop < count:
            pagination["next_start"] = stop
        body = {
            "success": True,
            "data": _items(v1_page["data"], start, stop),
            "additional_data": {"pagination": pagination},
            "related_objects": v1_page.get("related_objects", {}),
        }
        return Response(json.dumps(body), media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "count": count})

    return Starlette(
        routes=[
            Route("/api/v2/deals", v2_list),
            Route("/v1/deals", v1_list),
            Route("/healthz", health),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_pages")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    import uvicorn

    app = build_app(json.loads(args.template.read_text(encoding="utf-8")), args.count)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
