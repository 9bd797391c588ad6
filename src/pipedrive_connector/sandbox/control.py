"""The control plane under ``/_sandbox/`` (no auth): reset/seed, state, clock, full dump, bulk load, mail."""

from __future__ import annotations

import math
import tempfile
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.bulk import load_lines
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.resources.common import principal, purge_now, sandbox
from pipedrive_connector.sandbox.resources.mailbox import deliver
from pipedrive_connector.sandbox.seed import seed
from pipedrive_connector.sandbox.validation import parse_json_object

SEEDS = ("demo", "empty")
# A bulk body beyond this many bytes is spooled to a temporary file instead of memory.
BULK_SPOOL_BYTES = 8 * 1024 * 1024


async def _json_body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body())


async def reset(request: Request) -> Response:
    state = sandbox(request)
    body = await _json_body(request)
    seed_name = body.get("seed", state.settings.seed)
    if seed_name not in SEEDS:
        raise bad_request(f"Invalid value for 'seed': must be one of {', '.join(SEEDS)}")
    reset_state(state, seed_name)
    return JSONResponse({"success": True, "data": {"seed": seed_name, "counts": state.store.counts()}})


def reset_state(state: Any, seed_name: str) -> None:
    """Wipe everything (store and plug-ins) and load ``seed_name``."""
    for plugin in (state.webhooks, state.oauth, state.ratelimiter, state.faults):
        plugin.reset()
    seed(state, seed_name)


async def describe(request: Request) -> Response:
    state = sandbox(request)
    settings = state.settings
    return JSONResponse(
        {
            "success": True,
            "data": {
                "counts": state.store.counts(),
                "seed": state.store.get_meta("seed"),
                "now": timefmt.iso(state.clock.now()),
                "clock_offset_seconds": state.clock.offset_seconds,
                "settings": {
                    "db_path": settings.db_path,
                    "seed": settings.seed,
                    "rate_limit": settings.rate_limit,
                    "webhook_retry_delays": list(settings.webhook_retry_delays),
                    "company_domain": settings.company_domain,
                    "company_id": settings.company_id,
                },
                "webhooks": state.webhooks.describe(),
            },
        }
    )


async def clock(request: Request) -> Response:
    state = sandbox(request)
    body = await _json_body(request)
    seconds = body.get("advance_seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise bad_request("Invalid value for 'advance_seconds': expected a number of seconds")
    if seconds < 0:
        raise bad_request("Invalid value for 'advance_seconds': the clock only moves forward")
    if seconds > 10 * 365 * 86400:
        raise bad_request("Invalid value for 'advance_seconds': at most ten years at a time")
    now = state.clock.advance(seconds)
    purge_now(state, now)
    return JSONResponse({"now": timefmt.iso(now), "offset_seconds": state.clock.offset_seconds})


async def bulk(request: Request) -> Response:
    """JSON lines of ``{"kind": ..., ...v2 create fields}`` → created in one transaction, no webhooks."""
    state = sandbox(request)
    with tempfile.SpooledTemporaryFile(max_size=BULK_SPOOL_BYTES) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        created = load_lines(state, spool, principal(request).user_id)
    return JSONResponse({"success": True, "data": {"created": created, "total": sum(created.values())}})


async def mail(request: Request) -> Response:
    """Deliver a mail thread with one message (the sandbox syncs no real mailbox)."""
    thread, message = deliver(sandbox(request), principal(request).user_id, await _json_body(request))
    return JSONResponse({"success": True, "data": {"thread": thread, "message": message}})


async def dump(request: Request) -> Response:
    state = sandbox(request)
    return JSONResponse({"success": True, "data": state.store.dump()})


def routes() -> list[BaseRoute]:
    return [
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/state", describe, methods=["GET"]),
        Route("/_sandbox/clock", clock, methods=["POST"]),
        Route("/_sandbox/dump", dump, methods=["GET"]),
        Route("/_sandbox/bulk", bulk, methods=["POST"]),
        Route("/_sandbox/mail", mail, methods=["POST"]),
    ]
