"""The inbox under concurrent writers: every insert answered correctly, duplicates refused."""

from __future__ import annotations

import threading
import time

from pipedrive_connector.triggers import parse_webhook
from pipedrive_connector.triggers.state import PendingInsert, Subscription, TriggerState, open_state
from pipedrive_connector.triggers.store import TriggerStore


def body(event_id: str, deal_id: int) -> dict[str, object]:
    return {
        "meta": {
            "action": "create",
            "entity": "deal",
            "entity_id": str(deal_id),
            "id": event_id,
            "version": "2.0",
        },
        "data": {"id": deal_id},
        "previous": None,
    }


def test_concurrent_inserts_are_each_committed_once(state: str) -> None:
    store = open_state(state)
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    outcomes: dict[tuple[int, int], str] = {}
    lock = threading.Lock()

    def writer(worker: int) -> None:
        for index in range(10):
            # Workers 0 and 1 send the same events: each must be stored by exactly one of them.
            event_id = f"shared-{index}" if worker < 2 else f"w{worker}-{index}"
            outcome = store.insert_event(sub, parse_webhook(body(event_id, index + 1)), None)
            with lock:
                outcomes[(worker, index)] = outcome

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counts() == {"pending": 10 + 6 * 10}
    for index in range(10):
        assert sorted([outcomes[(0, index)], outcomes[(1, index)]]) == ["duplicate", "stored"]
    assert all(outcomes[(worker, index)] == "stored" for worker in range(2, 8) for index in range(10))
    store.close()


def test_store_refuses_memory_databases() -> None:
    try:
        TriggerStore(":memory:")
    except ValueError as exc:
        assert "file path" in str(exc)
    else:
        raise AssertionError("expected a ValueError")


def insert_deals(store: TriggerState, sub: Subscription, count: int) -> None:
    """``count`` deal events through the public submit path, all queued before waiting (group commit)."""
    finished: list[PendingInsert] = []
    all_done = threading.Event()

    def on_done(item: PendingInsert) -> None:
        finished.append(item)
        if len(finished) == count:
            all_done.set()

    for n in range(1, count + 1):
        store.submit_event(sub, parse_webhook(body(f"bulk-{n}", n)), None, on_done)
    assert all_done.wait(120), f"{len(finished)} of {count} inserts answered"
    assert all(item.error is None and item.outcome == "stored" for item in finished)


def test_events_page_by_seq_from_the_newest_to_the_oldest(state: str) -> None:
    store = open_state(state)
    try:
        deals, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
        people, _ = store.create_subscription("newPerson", {}, "2.0", "http://x")
        insert_deals(store, deals, 2500)
        store.insert_event(people, parse_webhook(body("person-1", 1)), None)
        assert store.count_events() == 2501
        assert store.count_events(trigger="newDeal") == 2500
        assert store.count_events(status="pending", trigger="newPerson") == 1
        assert store.count_events(status="done") == 0

        seen: list[int] = []
        before: int | None = None
        while page := store.events(limit=300, trigger="newDeal", before_seq=before):
            seqs = [row.seq for row in page]
            assert seqs == sorted(seqs) and len(seqs) <= 300  # each page oldest first
            assert before is None or seqs[-1] < before
            seen.extend(reversed(seqs))
            before = seqs[0]
        assert len(seen) == 2500 and len(set(seen)) == 2500 and seen == sorted(seen, reverse=True)
        assert {row.trigger for row in store.events(limit=3000, trigger="newDeal")} == {"newDeal"}

        newer = store.events(limit=10, trigger="newDeal", after_seq=seen[-1])  # walking back up
        assert [row.seq for row in newer] == sorted(seen)[1:11]
        assert store.events(limit=5, after_seq=max(seen) + 1000) == []
        assert store.events(limit=5)[-1].trigger == "newPerson"  # the default page is still the newest
    finally:
        store.close()


def test_throughput_counts_received_and_finished_events_per_minute(state: str) -> None:
    store = open_state(state)
    try:
        sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
        since = time.time() - 120
        insert_deals(store, sub, 30)
        for _ in range(4):
            row = store.claim_next(60)
            assert row is not None
            store.mark_done(row.seq)
        received, finished = store.throughput(since, 60)
        assert sum(received.values()) == 30 and set(received) <= {1, 2}
        assert sum(finished.values()) == 4 and set(finished) <= {1, 2}
        assert store.throughput(time.time() + 60, 60) == ({}, {})
    finally:
        store.close()
