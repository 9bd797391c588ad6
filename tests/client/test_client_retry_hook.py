"""The ``on_retry`` hook: one ``RetryEvent`` before each retry's wait, on both clients, over a socket."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import RetryEvent, errors

pytestmark = pytest.mark.anyio


async def test_each_retry_of_a_5xx_is_reported_before_its_wait(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"error_rate": 1.0, "statuses": [503], "paths": ["/api/v2/deals"]})
    events: list[RetryEvent] = []
    pd = make_client(max_retries=2, on_retry=events.append)
    with pytest.raises(errors.PipedriveError) as caught:
        await pd.request("GET", "/api/v2/deals")
    assert caught.value.status_code == 503
    assert [(e.method, e.path, e.attempt, e.max_attempts, e.status_code, e.error) for e in events] == [
        ("GET", "/api/v2/deals", 2, 3, 503, None),
        ("GET", "/api/v2/deals", 3, 3, 503, None),
    ]
    assert all(e.delay >= 0 for e in events)
    assert events[0].describe() == f"retrying GET /api/v2/deals in {events[0].delay:.1f} s (attempt 2/3): 503"


async def test_transport_errors_are_reported_by_name(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"drop_rate": 1.0, "paths": ["/v1/users/me"]})
    events: list[RetryEvent] = []
    pd = make_client(max_retries=1, on_retry=events.append)
    with pytest.raises(errors.ConnectionFailed):
        await pd.request("GET", "/v1/users/me")
    assert len(events) == 1 and events[0].status_code is None
    assert events[0].error and events[0].error.endswith("Error") and events[0].reason == events[0].error


async def test_no_event_without_a_retry_and_none_for_unretried_posts(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    events: list[RetryEvent] = []
    pd = make_client(on_retry=events.append)
    assert (await pd.request("GET", "/v1/users/me"))["success"] is True
    sandbox.control("faults", {"error_rate": 1.0, "statuses": [502], "paths": ["/api/v2/deals"]})
    with pytest.raises(errors.AmbiguousWriteError):  # a create is never retried, so never reported
        await pd.request("POST", "/api/v2/deals", json={"title": "x"})
    assert events == []


async def test_a_broken_hook_does_not_break_requests(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"error_rate": 0.5, "statuses": [500], "seed": 4, "paths": ["/api/v2/deals"]})
    calls: list[RetryEvent] = []

    def broken(event: RetryEvent) -> None:
        calls.append(event)
        raise RuntimeError("hook bug")

    pd = make_client(max_retries=8, on_retry=broken)
    for _ in range(6):
        assert (await pd.request("GET", "/api/v2/deals"))["success"] is True
    assert calls, "with half the answers failing, some request must have been retried"


async def test_rate_limit_waits_are_reported_as_429(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("rate-limit", {"plan": "lite"})
    events: list[RetryEvent] = []
    pd = make_client(rate_limit=False, on_retry=events.append)  # no pacing: the server's 429 must come
    for _ in range(200):
        await pd.request("GET", "/v1/users/me")
        if events:
            break
    assert events and events[0].status_code == 429 and events[0].attempt == 2
    assert events[0].max_attempts == 7  # max_rate_limit_retries 6, plus the first attempt
