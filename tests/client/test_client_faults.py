"""Retries under the sandbox's fault injection: updates land exactly once, creates never duplicate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import AmbiguousWriteError, Usage, errors

pytestmark = pytest.mark.anyio


def count_changes(sandbox: Served) -> Counter[tuple[str, Any]]:
    """Committed change events per (action, deal id), as the sandbox publishes them."""
    changes: Counter[tuple[str, Any]] = Counter()

    def listen(event: Any) -> None:
        if event.entity == "deal":
            changes[(event.action, event.entity_id)] += 1

    sandbox.state.bus.subscribe(listen)
    return changes


@pytest.mark.slow
async def test_500_updates_land_exactly_once_under_faults(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    deal_ids = [d["id"] for d in sandbox.state.store.all("deal")]
    changes = count_changes(sandbox)
    sandbox.control("faults", {"error_rate": 0.1, "drop_rate": 0.05, "seed": 7})
    usages: list[Usage] = []
    pd = make_client(max_retries=6, on_usage=usages.append)
    for n in range(500):
        deal_id = deal_ids[n % len(deal_ids)]
        updated = await pd.deals.update(deal_id, title=f"Update {n}")
        assert updated.title == f"Update {n}"
    faults = sandbox.control("faults")["data"]["injected"]
    assert faults.get("errors_before", 0) > 20 and faults.get("dropped_before", 0) > 5
    assert sum(changes.values()) == 500, "every update committed exactly once"
    retried = [u for u in usages if u.status_code != 200]
    assert len(retried) == faults["errors_before"] + faults["dropped_before"]
    for deal_id in deal_ids:  # the last update of each deal is the one that stayed
        last = max(n for n in range(500) if deal_ids[n % len(deal_ids)] == deal_id)
        assert sandbox.state.store.get("deal", deal_id)["title"] == f"Update {last}"


async def test_creates_are_never_duplicated(make_client: Callable[..., Either], sandbox: Served) -> None:
    # Faults before the handler (nothing written) and after it (written, reply lost).
    sandbox.control(
        "faults",
        {"error_rate": 0.1, "drop_rate": 0.05, "after_rate": 0.05, "after_drop_rate": 0.05, "seed": 3},
    )
    pd = make_client(max_retries=6)
    created: list[str] = []
    ambiguous: list[str] = []
    for n in range(120):
        title = f"Fault create {n}"
        try:
            await pd.deals.add(title=title)
            created.append(title)
        except AmbiguousWriteError as exc:
            assert "may have happened" in str(exc)
            ambiguous.append(title)
    stored = Counter(d["title"] for d in sandbox.state.store.all("deal") if d["title"].startswith("Fault"))
    assert all(count == 1 for count in stored.values()), "a create was duplicated"
    assert all(stored[title] == 1 for title in created)
    assert ambiguous, "with 25% faults some creates must be ambiguous"
    # Ambiguous ones either happened once (fault after the handler) or not at all.
    assert set(stored) <= set(created) | set(ambiguous)
    faults = sandbox.control("faults")["data"]["injected"]
    # Every injected fault hit a create, and each one surfaced as ambiguous (none was retried).
    kinds = ("errors_before", "errors_after", "dropped_before", "dropped_after")
    assert len(ambiguous) == sum(faults.get(k, 0) for k in kinds)


async def test_post_on_a_dropped_connection_is_not_retried(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    # The connection closes after the request was sent: the client cannot know whether it acted.
    sandbox.control("faults", {"drop_rate": 1.0, "seed": 1})
    usages: list[Usage] = []
    pd = make_client(max_retries=3, on_usage=usages.append)
    with pytest.raises(errors.AmbiguousConnectionError, match="may have happened"):
        await pd.deals.add(title="never sent twice")
    assert len(usages) == 1
    assert not [d for d in sandbox.state.store.all("deal") if d["title"] == "never sent twice"]


async def test_post_is_retried_when_the_connection_was_refused(make_client: Callable[..., Either]) -> None:
    usages: list[Usage] = []
    pd = make_client(base_url="http://127.0.0.1:9", max_retries=2, on_usage=usages.append)
    with pytest.raises(errors.ConnectionFailed) as caught:
        await pd.deals.add(title="not sent")
    assert not isinstance(caught.value, AmbiguousWriteError)  # refused: surely not sent
    assert len(usages) == 3


async def test_idempotent_true_lets_a_post_retry(make_client: Callable[..., Either], sandbox: Served) -> None:
    sandbox.control("faults", {"error_rate": 0.5, "seed": 11})
    pd = make_client(max_retries=8)
    for n in range(10):
        result = await pd.request("POST", "/api/v2/deals", json={"title": f"Idem {n}"}, idempotent=True)
        assert result["success"] is True


async def test_deletes_whose_reply_was_lost_still_succeed(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    # After the handler ran: the deal is deleted, the reply lost; the retry then meets a 404.
    sandbox.control("faults", {"after_rate": 0.4, "seed": 5})
    pd = make_client(max_retries=6)
    deal_ids = [d["id"] for d in sandbox.state.store.all("deal")][:8]
    for deal_id in deal_ids:
        await pd.deals.delete(deal_id)
    assert sandbox.control("faults")["data"]["injected"].get("errors_after", 0) >= 1
    assert all(sandbox.state.store.get("deal", i)["is_deleted"] is True for i in deal_ids)


async def test_persistent_5xx_on_get_raises_servererror_after_retries(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"error_rate": 1.0, "statuses": [503], "seed": 1})
    usages: list[Usage] = []
    pd = make_client(max_retries=3, on_usage=usages.append)
    with pytest.raises(errors.ServerError) as caught:
        await pd.deals.get(1)
    assert caught.value.status_code == 503
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert [u.status_code for u in usages] == [503] * 4


async def test_per_call_max_retries_overrides_the_client(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"error_rate": 1.0, "statuses": [502], "seed": 1})
    usages: list[Usage] = []
    pd = make_client(max_retries=5, on_usage=usages.append)
    with pytest.raises(errors.ServerError):
        await pd.request("GET", "/api/v2/deals/1", max_retries=0)
    assert len(usages) == 1


async def test_timeouts_retry_reads_and_flag_writes_as_ambiguous(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"slow_rate": 1.0, "slow_ms": 600, "seed": 2})
    usages: list[Usage] = []
    pd = make_client(timeout=0.2, max_retries=1, on_usage=usages.append)
    with pytest.raises(errors.Timeout) as caught:
        await pd.deals.get(1)
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert len(usages) == 2  # first try + one retry
    usages.clear()
    with pytest.raises(errors.AmbiguousTimeout, match="may have happened"):
        await pd.deals.add(title="Slow create")
    assert len(usages) == 1
    # A longer per-call timeout gets through the same slow server.
    assert (await pd.request("GET", "/api/v2/deals/1", timeout=5))["data"]["id"] == 1
    sandbox.control("faults", {})
    stored = [d for d in sandbox.state.store.all("deal") if d["title"] == "Slow create"]
    assert len(stored) <= 1  # the server may still have created it: never twice


async def test_with_options_gives_resources_per_call_settings(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    sandbox.control("faults", {"error_rate": 1.0, "statuses": [500], "seed": 1})
    usages: list[Usage] = []
    pd = make_client(max_retries=3, on_usage=usages.append)
    with pytest.raises(errors.ServerError):
        await pd.with_options(max_retries=0).deals.get(1)
    assert len(usages) == 1
    with pytest.raises(errors.ServerError):
        await pd.deals.get(1)  # the client itself keeps its settings
    assert len(usages) == 1 + 4
    sandbox.control("faults", {})
    assert (await pd.with_options(timeout=5).deals.get(1)).id == 1
