"""The sandbox under slow clients: half-sent headers, stalled bodies and idle sockets are closed after
their deadlines, while real API calls keep getting their 200."""

from __future__ import annotations

import time

import httpx
import pytest

from pipedrive_connector.sandbox import SandboxSettings, run_sandbox
from pipedrive_connector.serving import ServerLimits
from slow_clients import closed_within, hold, partial_body, still_open

HELD_PER_KIND = 100
LIMITS = ServerLimits(header_timeout=3.0, body_timeout=3.0, keep_alive_timeout=1.0, max_connections=400)


# Every test runs on both guarded protocols (the http_protocol fixture, tests/conftest.py).
pytestmark = pytest.mark.usefixtures("http_protocol")


def deal_count(base_url: str) -> int:
    count: int = httpx.get(f"{base_url}/_sandbox/state").json()["data"]["counts"]["deal"]
    return count


def test_slow_clients_are_closed_and_api_calls_still_get_200() -> None:
    with run_sandbox(SandboxSettings(api_token="slow-token"), limits=LIMITS) as sandbox:
        port = int(sandbox.base_url.rsplit(":", 1)[1])
        token = {"x-api-token": "slow-token"}
        deals_before = deal_count(sandbox.base_url)
        held = hold(port, HELD_PER_KIND, partial_body("/api/v2/deals", token))
        try:
            started = time.monotonic()
            with httpx.Client(base_url=sandbox.base_url, headers=token, timeout=5) as client:
                answers = [client.get("/api/v2/deals", params={"limit": 2}) for _ in range(5)]
            answered_after = time.monotonic() - started
            assert [answer.status_code for answer in answers] == [200] * 5
            assert all(answer.json()["success"] for answer in answers)
            assert answered_after < LIMITS.header_timeout, "too slow to show calls answered while held"
            assert all(still_open(sock) for sock in held.all()), "the slow sockets should still be held"

            received = closed_within(held.all(), LIMITS.header_timeout + 10)
        finally:
            held.close()
        closed_after = time.monotonic() - started
        deals_after = deal_count(sandbox.base_url)
    assert closed_after >= LIMITS.header_timeout - 0.5
    for kind in ("headers", "body"):
        assert all(received[sock].startswith(b"HTTP/1.1 408 ") for sock in held.by_kind[kind]), kind
    assert all(received[sock] == b"" for sock in held.by_kind["idle"])
    assert deals_after == deals_before  # none of the 100 stalled POST bodies created a deal
