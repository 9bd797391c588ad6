"""Group commit of the inbox: batches of concurrent deliveries, duplicates inside a batch, a bad
event next to good ones, concurrent deliveries over a real socket, and the dispatcher's claim order."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_receiver import deal_created
from triggers_helpers import ServedApp, basic

from pipedrive_connector.triggers import TriggerApp, parse_webhook
from pipedrive_connector.triggers.store import PendingInsert, TriggerStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TriggerStore]:
    trigger_store = TriggerStore(str(tmp_path / "t.db"))
    yield trigger_store
    trigger_store.close()


def submit_all(
    store: TriggerStore, sub: Any, events: list[Any]
) -> tuple[list[PendingInsert], threading.Event]:
    finished: list[PendingInsert] = []
    all_done = threading.Event()

    def on_done(item: PendingInsert) -> None:
        finished.append(item)
        if len(finished) == len(events):
            all_done.set()

    items = [store.submit_event(sub, event, None, on_done) for event in events]
    return items, all_done


def hold_sqlite_write_lock(path: str) -> sqlite3.Connection:
    """Another connection (as another process would) holds the database's write lock."""
    blocker = sqlite3.connect(path, isolation_level=None, timeout=5)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


def test_a_batch_with_a_duplicate_stores_the_others_and_acks_the_duplicate(store: TriggerStore) -> None:
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    blocker = hold_sqlite_write_lock(store.path)
    first, first_done = submit_all(store, sub, [parse_webhook(deal_created(1, "e-1"))])
    time.sleep(0.05)  # the writer took e-1 and now waits for the database's lock
    events = [parse_webhook(deal_created(n, f"e-{n}")) for n in (2, 3)]
    events.insert(1, parse_webhook(deal_created(2, "e-2")))  # a retry of e-2 in the same batch
    events.append(parse_webhook(deal_created(1, "e-1")))  # a retry of the event before the batch
    batch, batch_done = submit_all(store, sub, events)
    assert not first_done.is_set() and not batch_done.is_set()  # nothing acked before its commit
    blocker.execute("COMMIT")
    blocker.close()
    assert first_done.wait(5) and batch_done.wait(5)
    assert [item.error for item in first + batch] == [None] * 5
    assert first[0].outcome == "stored"
    assert [item.outcome for item in batch] == ["stored", "duplicate", "stored", "duplicate"]
    stored = sorted(row.event_key for row in store.events(limit=100))
    assert stored == ["v2:e-1", "v2:e-2", "v2:e-3"]


def test_a_bad_event_fails_alone_and_its_batch_mates_are_stored(store: TriggerStore) -> None:
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    good = [parse_webhook(deal_created(n, f"ok-{n}")) for n in (1, 2)]
    # Keys of mixed types cannot be serialized with sorted keys: this event's INSERT raises.
    bad = dataclasses.replace(parse_webhook(deal_created(3, "bad-3")), output={1: "a", "b": 2})
    blocker = hold_sqlite_write_lock(store.path)
    items, done = submit_all(store, sub, [good[0], bad, good[1]])
    blocker.execute("COMMIT")
    blocker.close()
    assert done.wait(5)
    assert [item.outcome for item in (items[0], items[2])] == ["stored", "stored"]
    assert items[0].error is None and items[2].error is None
    assert isinstance(items[1].error, TypeError)
    with pytest.raises(TypeError):
        store.insert_event(sub, bad, None)
    assert sorted(row.event_key for row in store.events(limit=100)) == ["v2:ok-1", "v2:ok-2"]


def test_many_threads_inserting_at_once_are_each_committed_exactly_once(store: TriggerStore) -> None:
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(24)

    def writer(worker: int) -> None:
        start.wait()
        for index in range(8):
            # Every event is sent by three workers: one stores it, two get "duplicate".
            key = f"e-{worker % 8}-{index}"
            outcome = store.insert_event(sub, parse_webhook(deal_created(index + 1, key)), None)
            with lock:
                outcomes.append((key, outcome))

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = {key for key, _ in outcomes}
    assert len(keys) == 64 and len(outcomes) == 192
    for key in keys:
        assert sorted(outcome for k, outcome in outcomes if k == key) == ["duplicate", "duplicate", "stored"]
    assert store.counts() == {"pending": 64}
    # A new store on the same file (as after a restart) sees exactly the acknowledged events.
    reopened = TriggerStore(store.path)
    assert sorted(row.event_key for row in reopened.events(limit=1000)) == sorted(f"v2:{k}" for k in keys)
    reopened.close()


def test_concurrent_deliveries_over_http_are_acked_and_stored_once(tmp_path: Path) -> None:
    app = TriggerApp(state_path=tmp_path / "triggers.db")
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    handled: list[str] = []
    app.on("newDeal")(lambda event: handled.append(event.event_key))

    async def deliver(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(headers=basic(sub.auth_user, password), timeout=10) as client:
            bodies = [deal_created(n + 1, f"h-{n % 40}") for n in range(80)]  # each event sent twice
            return list(await asyncio.gather(*(client.post(url, json=body) for body in bodies)))

    with ServedApp(app.asgi) as served:
        responses = asyncio.run(deliver(f"{served.url}/webhooks/{sub.id}"))
        assert [r.status_code for r in responses] == [200] * 80
        duplicates = [r.json()["duplicate"] for r in responses]
        assert duplicates.count(False) == 40 and duplicates.count(True) == 40
        deadline = time.monotonic() + 10
        while app.store.counts() != {"done": 40} and time.monotonic() < deadline:
            time.sleep(0.02)
    app.close()
    assert app.store.counts() == {"done": 40}
    assert sorted(handled) == sorted(f"v2:h-{n}" for n in range(40))


def test_claims_follow_arrival_order_and_expired_leases_come_back_first(store: TriggerStore) -> None:
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    for n in (1, 2, 3):
        store.insert_event(sub, parse_webhook(deal_created(n, f"c-{n}")), None)
    first = store.claim_next(lease_seconds=-1)  # a lease that has already expired
    assert first is not None and first.event_key == "v2:c-1"
    again = store.claim_next(lease_seconds=60)  # the expired lease is older than pending c-2
    assert again is not None and again.event_key == "v2:c-1" and again.attempts == 2
    store.mark_done(again.seq)
    second = store.claim_next(60)
    assert second is not None and second.event_key == "v2:c-2"
    store.mark_failed(second.seq, "boom", time.time() + 60)
    third = store.claim_next(60)  # c-2 waits for its retry: c-3 is next
    assert third is not None and third.event_key == "v2:c-3"
    assert store.claim_next(60) is None
