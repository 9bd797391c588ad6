"""The webhook receiver under slow clients: half-sent headers, stalled bodies and idle sockets are
closed after their deadlines, and real deliveries get their 200 while those sockets are held open."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from triggers_helpers import basic, wait_for

from pipedrive_connector.serving import ServerLimits, serve_in_thread
from pipedrive_connector.triggers import TriggerApp
from slow_clients import closed_within, hold, partial_body, still_open

HELD_PER_KIND = 100
LIMITS = ServerLimits(header_timeout=3.0, body_timeout=3.0, keep_alive_timeout=1.0, max_connections=400)


# Every test runs on both guarded protocols (the http_protocol fixture, tests/conftest.py).
pytestmark = pytest.mark.usefixtures("http_protocol")


def deal_created(deal_id: int) -> dict[str, Any]:
    return {
        "meta": {
            "action": "create",
            "entity": "deal",
            "entity_id": str(deal_id),
            "id": str(uuid.uuid4()),
            "timestamp": "2026-11-27T10:00:00.000Z",
            "version": "2.0",
            "webhook_id": "7",
            "attempt": 1,
        },
        "data": {"id": deal_id, "title": f"Deal {deal_id}"},
        "previous": None,
    }


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TriggerApp]:
    trigger_app = TriggerApp(state_path=tmp_path / "triggers.db")
    yield trigger_app
    trigger_app.close()


def test_slow_clients_are_closed_and_deliveries_still_get_200(app: TriggerApp) -> None:
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    auth = basic(sub.auth_user, password)
    with serve_in_thread(app.asgi, limits=LIMITS) as url:
        port = int(url.rsplit(":", 1)[1])
        held = hold(port, HELD_PER_KIND, partial_body(f"/webhooks/{sub.id}", auth))
        try:
            started = time.monotonic()
            with httpx.Client(timeout=5) as client:
                answers = [
                    client.post(f"{url}/webhooks/{sub.id}", json=deal_created(n), headers=auth).status_code
                    for n in range(1, 6)
                ]
            delivered_after = time.monotonic() - started
            assert answers == [200] * 5
            assert delivered_after < LIMITS.header_timeout, "too slow to show deliveries while held"
            assert all(still_open(sock) for sock in held.all()), "the slow sockets should still be held"

            received = closed_within(held.all(), LIMITS.header_timeout + 10)
        finally:
            held.close()
        closed_after = time.monotonic() - started
    assert closed_after >= LIMITS.header_timeout - 0.5
    for kind in ("headers", "body"):
        assert all(received[sock].startswith(b"HTTP/1.1 408 ") for sock in held.by_kind[kind]), kind
    assert all(received[sock] == b"" for sock in held.by_kind["idle"])
    wait_for(lambda: app.store.counts().get("done") == 5)
    assert len(app.events()) == 5  # the 100 stalled bodies stored nothing


def test_a_flood_beyond_the_cap_is_refused_then_deliveries_resume(app: TriggerApp) -> None:
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    auth = basic(sub.auth_user, password)
    limits = ServerLimits(header_timeout=1.0, body_timeout=1.0, keep_alive_timeout=1.0, max_connections=30)
    with serve_in_thread(app.asgi, limits=limits) as url:
        port = int(url.rsplit(":", 1)[1])
        held = hold(port, 10, partial_body(f"/webhooks/{sub.id}", auth))  # 30: the cap
        try:
            refused = httpx.post(f"{url}/webhooks/{sub.id}", json=deal_created(1), headers=auth, timeout=5)
            assert refused.status_code == 503 and refused.text == "too many connections"
            closed_within(held.all(), limits.header_timeout + 10)
        finally:
            held.close()
        accepted = httpx.post(f"{url}/webhooks/{sub.id}", json=deal_created(2), headers=auth, timeout=5)
        assert accepted.status_code == 200
    wait_for(lambda: app.store.counts().get("done") == 1)
