"""Currencies (v1): not paginated; ``term`` searches code and name."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes


async def list_currencies(request: Request) -> Response:
    items = sandbox(request).store.all("currency")
    term = (request.query_params.get("term") or "").strip().lower()
    if term:
        items = [c for c in items if term in c["code"].lower() or term in c["name"].lower()]
    return ok(items)


def routes() -> list[BaseRoute]:
    return v1_routes("/currencies", list_currencies, ["GET"])
