"""The same client against the sandbox in-process (no sockets): httpx's ASGI transport, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from client_helpers import Either, SyncASGITransport

from pipedrive_connector.client import AsyncPipedrive, Money, Pipedrive, errors
from pipedrive_connector.client._ratelimit import reset_limiters
from pipedrive_connector.client.custom_fields import FIELD_CACHE
from pipedrive_connector.sandbox import SandboxSettings, create_app

pytestmark = pytest.mark.anyio
BASE = "http://sandbox.in-process"


@pytest.fixture
async def in_process(kind: str) -> AsyncIterator[Either]:
    reset_limiters()
    FIELD_CACHE.clear()
    settings = SandboxSettings(seed="demo")
    app = create_app(settings)
    common: dict[str, Any] = {"api_token": settings.api_token, "base_url": BASE, "backoff_base": 0.01}
    if kind == "sync":
        with Pipedrive(transport=SyncASGITransport(app), **common) as pd:
            yield Either(pd)
    else:
        transport = httpx.ASGITransport(app=app)
        async with AsyncPipedrive(transport=transport, **common) as apd:
            yield Either(apd)


async def test_in_process_round_trip(in_process: Either) -> None:
    pd = in_process
    me = await pd.users.me()
    assert me.company_domain == "sandbox"
    deal = await pd.deals.add(
        title="In-process", custom_fields={"Budget": Money(10, "EUR"), "Region": "AMER"}
    )
    values = await pd.deals.custom_fields_by_name(await pd.deals.get(deal.id))
    assert values == {"Budget": Money(10.0, "EUR"), "Region": "AMER"}
    ids = [d.id async for d in pd.deals.iterate(limit=3)]
    assert deal.id in ids and len(ids) == len(set(ids))
    with pytest.raises(errors.NotFound):
        await pd.persons.get(424242)
