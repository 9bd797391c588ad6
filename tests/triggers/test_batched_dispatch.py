"""The SQLite store's batched dispatch and the request path's shortcuts: claims of many events in one
transaction, bookkeeping queued for the group commit, a stop in the middle of a batch, the cached
subscription row (a password rotated elsewhere), and the event JSON written without ``asdict``."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_receiver import deal_created
from triggers_helpers import ServedApp, basic, wait_for

from pipedrive_connector.triggers import Event, TriggerApp, parse_webhook
from pipedrive_connector.triggers.batching import BatchDispatchState, Bookkeeping
from pipedrive_connector.triggers.store import SUBSCRIPTION_CACHE_SECONDS, TriggerStore, event_json


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TriggerStore]:
    trigger_store = TriggerStore(str(tmp_path / "t.db"))
    yield trigger_store
    trigger_store.close()


def fill(store: TriggerStore, count: int) -> Any:
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    for n in range(1, count + 1):
        assert store.insert_event(sub, parse_webhook(deal_created(n, f"b-{n}")), None) == "stored"
    return sub


def test_the_sqlite_store_offers_batched_dispatch(store: TriggerStore) -> None:
    assert isinstance(store, BatchDispatchState)


def test_claim_batch_takes_the_oldest_ready_events_in_order_with_their_done_handlers(
    store: TriggerStore,
) -> None:
    fill(store, 5)
    store.mark_handler_done(2, "already")
    first = store.claim_batch(lease_seconds=60, limit=3)
    assert [claim.row.seq for claim in first] == [1, 2, 3]
    assert [claim.row.status for claim in first] == ["running"] * 3
    assert [claim.row.attempts for claim in first] == [1, 1, 1]
    assert [claim.row.event.entity_id for claim in first] == [1, 2, 3]
    assert [sorted(claim.handlers_done) for claim in first] == [[], ["already"], []]
    second = store.claim_batch(lease_seconds=60, limit=3)
    assert [claim.row.seq for claim in second] == [4, 5]
    assert store.claim_batch(lease_seconds=60, limit=3) == []
    assert store.counts() == {"running": 5}


def test_claim_batch_takes_back_events_whose_lease_expired(store: TriggerStore) -> None:
    fill(store, 3)
    assert [claim.row.seq for claim in store.claim_batch(lease_seconds=-1, limit=2)] == [1, 2]
    again = store.claim_batch(lease_seconds=60, limit=10)
    assert [(claim.row.seq, claim.row.attempts) for claim in again] == [(1, 2), (2, 2), (3, 1)]


def test_released_claims_are_pending_again_and_the_claim_is_no_attempt(store: TriggerStore) -> None:
    fill(store, 3)
    claims = store.claim_batch(lease_seconds=60, limit=3)
    assert store.release_claims([claim.row.seq for claim in claims[1:]]) == 2
    assert store.counts() == {"running": 1, "pending": 2}
    again = store.claim_batch(lease_seconds=60, limit=3)
    assert [(claim.row.seq, claim.row.attempts) for claim in again] == [(2, 1), (3, 1)]


def test_bookkeeping_is_committed_in_one_transaction(store: TriggerStore, tmp_path: Path) -> None:
    fill(store, 3)
    store.claim_batch(lease_seconds=60, limit=3)
    writes = [
        Bookkeeping("handler_done", 1, handler="h"),
        Bookkeeping("done", 1, handler="last"),
        Bookkeeping("failed", 2, error="boom", retry_at=time.time() + 60),
        Bookkeeping("failed", 3, error="gone", retry_at=None),
    ]
    assert store.commit_bookkeeping(writes, wait=True)
    other = TriggerStore(str(tmp_path / "t.db"))  # another connection sees the committed state
    try:
        rows = {row.seq: row for row in other.events(limit=10)}
        assert [rows[seq].status for seq in (1, 2, 3)] == ["done", "pending", "dead"]
        assert (rows[2].last_error, rows[3].last_error) == ("boom", "gone")
        assert other.handlers_done(1) == {"h", "last"}
    finally:
        other.close()


def test_bookkeeping_without_waiting_gives_way_to_a_writer_in_progress(store: TriggerStore) -> None:
    fill(store, 1)
    store.claim_batch(lease_seconds=60, limit=1)
    with store._write():  # the group commit (or any writer of this process) holds the lock
        assert store.commit_bookkeeping([Bookkeeping("done", 1)], wait=False) is False
    assert store.counts() == {"running": 1}
    assert store.commit_bookkeeping([Bookkeeping("done", 1)], wait=False) is True
    assert store.counts() == {"done": 1}


def test_each_event_is_done_in_the_database_before_the_next_handler_runs(tmp_path: Path) -> None:
    """With the write lock free, an event's outcome is committed right after its handler, so a
    crash re-runs at most the event in hand (the SIGKILL drill counts handler runs)."""
    app = TriggerApp(state_path=str(tmp_path / "t.db"))
    sub, _ = app.store.create_subscription("newDeal", {}, "2.0", "http://x")
    for n in range(1, 6):
        app.store.insert_event(sub, parse_webhook(deal_created(n, f"d-{n}")), None)
    done_before: list[int] = []
    probe = TriggerStore(str(tmp_path / "t.db"))
    app.add_handler("probe", lambda event: done_before.append(probe.counts().get("done", 0)), "newDeal")
    app.dispatcher.drain()
    probe.close()
    app.close()
    assert done_before == [0, 1, 2, 3, 4]


def test_stopping_in_the_middle_of_a_batch_finishes_the_event_in_hand_and_releases_the_rest(
    tmp_path: Path,
) -> None:
    app = TriggerApp(state_path=str(tmp_path / "t.db"))
    sub, _ = app.store.create_subscription("newDeal", {}, "2.0", "http://x")
    for n in range(1, 6):
        app.store.insert_event(sub, parse_webhook(deal_created(n, f"s-{n}")), None)
    entered, release = threading.Event(), threading.Event()
    handled: list[Any] = []

    def slow(event: Event) -> None:
        entered.set()
        release.wait(10)
        handled.append(event.entity_id)

    app.add_handler("slow", slow, "newDeal")
    app.dispatcher.start()
    try:
        assert entered.wait(10)
        stopper = threading.Thread(target=app.dispatcher.stop)
        stopper.start()
        time.sleep(0.1)
        release.set()
        stopper.join(10)
        assert handled == [1]
        assert app.store.counts() == {"done": 1, "pending": 4}
        assert [row.attempts for row in app.store.events(status="pending")] == [0, 0, 0, 0]
    finally:
        release.set()
        app.close()


def test_a_batch_of_deliveries_is_handled_once_each_in_arrival_order(tmp_path: Path) -> None:
    app = TriggerApp(state_path=str(tmp_path / "t.db"), retry_delays=(0.05,))
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://127.0.0.1")
    seen: list[Any] = []
    flaky_failures: list[Any] = []

    def flaky(event: Event) -> None:
        if event.entity_id == 7 and not flaky_failures:
            flaky_failures.append(event.entity_id)
            raise RuntimeError("once")

    app.add_handler("seen", lambda event: seen.append(event.entity_id), "newDeal")
    app.add_handler("flaky", flaky, "newDeal")
    with ServedApp(app.asgi) as served:
        url = f"{served.url}/webhooks/{sub.id}"
        headers = basic(sub.auth_user, password)
        with httpx.Client(timeout=10) as client:
            for n in range(1, 41):
                response = client.post(url, json=deal_created(n, f"o-{n}"), headers=headers)
                assert response.json() == {"ok": True, "duplicate": False}
        wait_for(lambda: app.store.counts() == {"done": 40})
    app.close()
    assert seen == list(range(1, 41))  # the retry of event 7 ran only the handler that failed
    assert flaky_failures == [7]


def test_a_password_rotated_by_another_process_works_at_once_and_the_old_one_soon_stops(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "t.db")
    app = TriggerApp(state_path=path)
    sub, old = app.store.create_subscription("newDeal", {}, "2.0", "http://127.0.0.1")
    with ServedApp(app.asgi) as served, httpx.Client(timeout=10) as client:
        url = f"{served.url}/webhooks/{sub.id}"

        def post(password: str, n: int) -> int:
            return client.post(url, json=deal_created(n), headers=basic(sub.auth_user, password)).status_code

        assert post(old, 1) == 200  # the row is cached now
        other = TriggerStore(path)  # what `pipedrive triggers rotate` in another process does
        new = other.rotate_password(sub.id)
        other.close()
        assert post(new, 2) == 200
        time.sleep(SUBSCRIPTION_CACHE_SECONDS + 0.1)
        assert post(old, 3) == 401
        assert post(new, 4) == 200
        assert post("wrong", 5) == 401
    app.close()


def test_a_subscription_deleted_in_this_process_is_refused_at_once(tmp_path: Path) -> None:
    app = TriggerApp(state_path=str(tmp_path / "t.db"))
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://127.0.0.1")
    assert app.receiver.authenticate(sub.id, basic(sub.auth_user, password)["Authorization"]) == sub
    app.store.delete_subscription(sub.id)
    assert app.receiver.authenticate(sub.id, basic(sub.auth_user, password)["Authorization"]) is None
    app.close()


def test_event_json_is_the_document_to_json_writes() -> None:
    event = parse_webhook(deal_created(3, "j-1"))
    assert json.loads(event_json(event)) == json.loads(event.to_json())
    assert Event.from_dict(json.loads(event_json(event))) == event
    huge = dataclasses.replace(event, output={"id": 3, "big": 10**30})  # beyond orjson's 64 bits
    assert json.loads(event_json(huge))["output"]["big"] == 10**30
    mixed = dataclasses.replace(event, output={1: "a", "b": 2})  # type: ignore[dict-item]  # unsortable keys
    with pytest.raises(TypeError):
        event_json(mixed)
