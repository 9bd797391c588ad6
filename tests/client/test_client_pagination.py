"""Pagination: lazy iteration over v2 cursors and v1 offsets, page objects, the no-progress guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import Pipedrive, errors
from pipedrive_connector.client.models import Deal, DealV1

pytestmark = pytest.mark.anyio


def bulk_create_deals(sandbox: Served, count: int) -> set[int]:
    """Bulk-create deals straight in the sandbox store (API-created ones would take ~10 s)."""
    store = sandbox.state.store
    template = store.all("deal")[0]
    ids: set[int] = set()
    with store.transaction():
        for n in range(count):
            deal_id = store.next_id("deal")
            store.put("deal", {**template, "id": deal_id, "title": f"Bulk deal {n}", "status": "open"})
            ids.add(deal_id)
    return ids


async def test_iterate_2345_deals_across_pages(make_client: Callable[..., Either], sandbox: Served) -> None:
    bulk_create_deals(sandbox, 2345)
    expected = {d["id"] for d in sandbox.state.store.all("deal") if not d.get("is_deleted")}
    assert len(expected) >= 2345
    pages: list[int] = []
    pd = make_client(on_usage=lambda usage: pages.append(usage.status_code or 0))
    seen: list[int] = []
    async for deal in pd.deals.iterate():
        assert isinstance(deal, Deal)
        seen.append(deal.id)
    assert len(seen) == len(set(seen)), "a deal came twice"
    assert set(seen) == expected
    assert len(pages) == -(-len(expected) // 500)  # pages of 500 by default


async def test_iterate_is_lazy(make_client: Callable[..., Either], sandbox: Served) -> None:
    bulk_create_deals(sandbox, 30)
    requests: list[str] = []
    pd = make_client(on_usage=lambda usage: requests.append(usage.path))
    iterator = pd.deals.iterate(limit=10).__aiter__()
    first = await iterator.__anext__()
    assert isinstance(first, Deal)
    assert requests == ["/api/v2/deals"]
    for _ in range(10):
        await iterator.__anext__()
    assert len(requests) == 2  # the 11th item needed the second page


async def test_pages_and_next_page(pd: Either, sandbox: Served) -> None:
    bulk_create_deals(sandbox, 20)
    total = len([d for d in sandbox.state.store.all("deal") if not d.get("is_deleted")])
    page = await pd.deals.list(limit=7)
    assert len(page) == 7 and page.has_next() and page.next_cursor
    sizes = [len(page)]
    while page.has_next():
        page = await page.next_page()
        sizes.append(len(page))
    assert sum(sizes) == total
    assert await page.next_page() is None
    counted = 0
    async for each in pd.deals.pages(limit=9):
        counted += len(each)
    assert counted == total


async def test_filters_pass_through_to_the_server(pd: Either) -> None:
    won = [deal async for deal in pd.deals.iterate(status="won")]
    assert won and all(deal.status == "won" for deal in won)


async def test_legacy_v1_offset_pagination(pd: Either, sandbox: Served) -> None:
    bulk_create_deals(sandbox, 12)
    page = await pd.deals.v1.list(limit=5)
    assert len(page) == 5 and page.has_next()
    assert page.next_params["start"] == 5
    everything = [deal async for deal in pd.deals.v1.iterate(limit=5)]
    assert all(isinstance(deal, DealV1) for deal in everything)
    ids = [deal.id for deal in everything]
    assert len(ids) == len(set(ids))
    v2_ids = {deal.id async for deal in pd.deals.iterate()}
    assert set(ids) == v2_ids


# The sandbox never serves a cursor that fails to advance, so these two use a scripted transport.


def _stuck_server(paging: str) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        extra: dict[str, Any]
        if paging == "cursor":
            extra = {"next_cursor": "same-cursor"}
        else:
            pagination = {"start": 0, "limit": 1, "more_items_in_collection": True, "next_start": 0}
            extra = {"pagination": pagination}
        return httpx.Response(200, json={"success": True, "data": [{"id": 1}], "additional_data": extra})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("paging", ["cursor", "offset"])
def test_a_cursor_that_does_not_advance_stops_iteration(paging: str) -> None:
    pd = Pipedrive(
        api_token="t", base_url="http://stuck.example", transport=_stuck_server(paging), environ={}
    )
    resource = pd.deals if paging == "cursor" else pd.deals.v1
    with pytest.raises(errors.PaginationError, match=r"does not advance|same next_cursor"):
        for _ in resource.iterate():
            pass
