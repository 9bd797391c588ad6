"""Rate limits against the sandbox's limiter: shared burst window, 429 waits, the daily budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import anyio
import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import DailyBudgetExhausted, Pipedrive, Usage, errors

pytestmark = pytest.mark.anyio


@pytest.mark.slow
def test_300_gets_under_lite_from_three_threads_surface_no_429(sandbox: Served) -> None:
    sandbox.control("rate-limit", {"plan": "lite"})
    usages: list[Usage] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def record(usage: Usage) -> None:
        with lock:
            usages.append(usage)

    def worker() -> None:
        # One client per thread: the limiter is shared per credential, not per client.
        with Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url, on_usage=record) as pd:
            try:
                for _ in range(100):
                    assert pd.request("GET", "/v1/users/me")["success"] is True
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert failures == []
    assert len([u for u in usages if u.status_code == 200]) == 300
    statuses_429 = [u for u in usages if u.status_code == 429]
    # Zero surfaced is the promise; a few absorbed 429s are allowed for a loaded machine's jitter.
    assert len(statuses_429) <= 10, "the limiter should keep requests inside the window"
    assert elapsed >= 2 * (300 // 20 - 1)  # lite: 20 per 2 s
    assert sum(u.waited_seconds for u in usages) > 0


@pytest.mark.slow
async def test_concurrent_tasks_share_the_window(make_client: Callable[..., Either], sandbox: Served) -> None:
    sandbox.control("rate-limit", {"plan": "lite"})
    usages: list[Usage] = []
    pd = make_client(on_usage=usages.append)

    async def worker() -> None:
        for _ in range(10):
            await pd.request("GET", "/v1/users/me")

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(worker)
    assert len([u for u in usages if u.status_code == 200]) == 50
    assert len([u for u in usages if u.status_code == 429]) <= 10


async def test_429_waits_for_retry_after_and_succeeds(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("rate-limit", {"plan": "lite"})
    usages: list[Usage] = []
    # rate_limit=False: no client-side pacing, so the server's 429 must be handled.
    pd = make_client(on_usage=usages.append, rate_limit=False)
    for _ in range(200):  # stop soon after the first 429 (a slow machine needs more than 21)
        assert (await pd.request("GET", "/v1/users/me"))["success"] is True
        if any(u.status_code == 429 for u in usages):
            break
    limited = [u for u in usages if u.status_code == 429]
    assert limited, "quick requests on lite (20 per 2 s) must meet a 429"
    assert limited[0].ratelimit_remaining == 0
    after = usages[usages.index(limited[0]) + 1]
    assert after.status_code == 200 and after.attempt == 2 and after.waited_seconds >= 0.5


async def test_daily_budget_exhausted_raises_instead_of_sleeping(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("rate-limit", {"plan": "growth", "daily_budget": 6, "reset_counters": True})
    usages: list[Usage] = []
    pd = make_client(on_usage=usages.append)
    started = time.monotonic()
    with pytest.raises(DailyBudgetExhausted) as caught:
        for _ in range(10):
            await pd.request("GET", "/v1/users/me")  # costs 2 tokens each
    assert time.monotonic() - started < 3
    err = caught.value
    assert isinstance(err, errors.RateLimited) and err.status_code == 429
    assert err.reset_at is not None and err.retry_after is not None and err.retry_after > 60
    assert "daily" in str(err)
    assert [u.daily_tokens_left for u in usages if u.status_code == 200] == [4, 2, 0]
    # From now on this client does not even send (no more 429s that would end in a 403 ban).
    sent = len(usages)
    with pytest.raises(DailyBudgetExhausted, match="not sending") as again:
        await pd.deals.get(1)
    assert len(usages) == sent
    assert again.value.reset_at == err.reset_at


async def test_retry_after_beyond_max_wait_raises(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("rate-limit", {"plan": "lite"})
    pd = make_client(rate_limit=False, max_wait=0.5)
    with pytest.raises(DailyBudgetExhausted):
        for _ in range(200):
            await pd.request("GET", "/v1/users/me")


async def test_usage_hook_sees_limits_and_budget(make_client: Callable[..., Either], sandbox: Served) -> None:
    sandbox.control("rate-limit", {"plan": "premium"})
    usages: list[Usage] = []
    pd = make_client(on_usage=usages.append)
    await pd.request("GET", "/api/v2/deals", params={"limit": 1})
    await pd.deals.get(1)
    first, second = usages
    assert (first.method, first.path, first.status_code) == ("GET", "/api/v2/deals", 200)
    assert first.ratelimit_limit == 100
    assert first.daily_tokens_left is not None and second.daily_tokens_left is not None
    assert second.daily_tokens_left < first.daily_tokens_left
    assert second.path == "/api/v2/deals/1"
    limits = pd.rate_limits
    assert limits.limit == 100 and limits.daily_tokens_left == second.daily_tokens_left


async def test_a_broken_usage_hook_does_not_break_requests(make_client: Callable[..., Either]) -> None:
    def broken(usage: Usage) -> None:
        raise RuntimeError("hook bug")

    pd = make_client(on_usage=broken)
    assert (await pd.request("GET", "/v1/users/me"))["success"] is True
