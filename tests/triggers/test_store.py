"""The inbox under concurrent writers: every insert answered correctly, duplicates refused."""

from __future__ import annotations

import threading

from pipedrive_connector.triggers import parse_webhook
from pipedrive_connector.triggers.state import open_state
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
