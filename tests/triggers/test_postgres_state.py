"""What only the PostgreSQL state has: migrations, claims by several stores at once, leases that
expire, readiness, and a database that goes away under a running receiver (503, then nothing lost)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from benchmarks.tcp_proxy import TcpProxy
from test_receiver import deal_created
from triggers_helpers import basic, postgres_schema_dsn, run_sql, wait_for

from pipedrive_connector.triggers import TriggerApp, parse_webhook
from pipedrive_connector.triggers.state import StateUnavailable, open_state
from pipedrive_connector.triggers.store_postgres import SCHEMA_VERSION, PostgresTriggerStore


@pytest.fixture
def stores(pg_state: str) -> Iterator[list[PostgresTriggerStore]]:
    """Two stores on one database, as two processes would have."""
    opened = [PostgresTriggerStore(pg_state), PostgresTriggerStore(pg_state)]
    yield opened
    for store in opened:
        store.close()


def fill(store: PostgresTriggerStore, count: int) -> Any:
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    for number in range(1, count + 1):
        assert store.insert_event(sub, parse_webhook(deal_created(number, f"e-{number}")), None) == "stored"
    return sub


def test_migrations_run_once_even_when_processes_start_together(pg_state: str) -> None:
    errors: list[BaseException] = []
    opened: list[PostgresTriggerStore] = []

    def start() -> None:
        try:
            opened.append(PostgresTriggerStore(pg_state))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert run_sql(pg_state, "SELECT version FROM trigger_schema_version") == [(SCHEMA_VERSION,)]
    assert opened[0].migrate() == 0  # nothing left to do
    for store in opened:
        store.check_ready()
        store.close()


def test_claims_by_two_stores_skip_each_others_rows_and_a_dead_claimers_lease_expires(
    stores: list[PostgresTriggerStore],
) -> None:
    first, second = stores
    fill(first, 3)
    a = first.claim_next(lease_seconds=0.5)
    b = second.claim_next(lease_seconds=60)
    assert a is not None and b is not None and (a.seq, b.seq) == (1, 2)
    # `first` "dies" holding event 1: nobody may take it until the lease ends, then someone does.
    c = second.claim_next(lease_seconds=60)
    assert c is not None and c.seq == 3
    assert second.claim_next(lease_seconds=60) is None
    time.sleep(0.6)
    again = second.claim_next(lease_seconds=60)
    assert again is not None and again.seq == 1 and again.attempts == 2
    # The handler bookkeeping of the first claimer survives: a retry skips what succeeded.
    first.mark_handler_done(1, "sink")
    assert second.handlers_done(1) == {"sink"}


def test_concurrent_claimers_take_every_event_exactly_once(stores: list[PostgresTriggerStore]) -> None:
    fill(stores[0], 60)
    taken: list[int] = []
    lock = threading.Lock()

    def claimer(store: PostgresTriggerStore) -> None:
        while (row := store.claim_next(lease_seconds=60)) is not None:
            store.mark_done(row.seq)
            with lock:
                taken.append(row.seq)

    threads = [threading.Thread(target=claimer, args=(store,)) for store in stores * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(1, 61))
    assert stores[1].counts() == {"done": 60}


def test_a_webhook_and_a_poll_of_the_same_change_race_from_two_receivers(
    stores: list[PostgresTriggerStore],
) -> None:
    sub, _ = stores[0].create_subscription("newDeal", {}, "2.0", "http://x")
    hooked = parse_webhook(deal_created(5, "e-5"))
    polled = hooked.__class__(**{**hooked.__dict__, "event_key": "poll:deal:5", "source": "poll"})
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def insert(store: PostgresTriggerStore, event: Any) -> None:
        barrier.wait()
        outcomes.append(store.insert_event(sub, event, None))

    threads = [
        threading.Thread(target=insert, args=(stores[0], hooked)),
        threading.Thread(target=insert, args=(stores[1], polled)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate", "stored"]
    assert sum(stores[0].counts().values()) == 1


def test_one_group_commit_applies_the_duplicate_rules_to_its_own_events(pg_state: str) -> None:
    """A batch is one INSERT, which does not see its own rows: the rules must still hold inside it."""
    import psycopg

    store = PostgresTriggerStore(pg_state)
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "http://x")
    done = threading.Semaphore(0)

    def submit(event: Any) -> Any:
        return store.submit_event(sub, event, None, lambda _item: done.release())

    def polled(event: Any, key: str) -> Any:
        return dataclasses.replace(event, event_key=key, source="poll")

    hooked, other = parse_webhook(deal_created(7, "e-7")), parse_webhook(deal_created(8, "e-8"))
    queued = [
        hooked,  # stored
        hooked,  # the same event key again: duplicate
        polled(hooked, "poll:7"),  # a poll of a change a webhook stored: duplicate
        polled(other, "poll:8"),  # stored
        other,  # a webhook of a change polling stored: duplicate
        parse_webhook(deal_created(9, "e-9a")),  # stored
        parse_webhook(deal_created(9, "e-9b")),  # the same change by webhook, another event id: stored
    ]
    with psycopg.connect(pg_state, autocommit=True) as blocker:
        # Hold the inbox so that the writer's first commit waits and everything else queues behind it.
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE trigger_inbox IN EXCLUSIVE MODE")
        first = submit(parse_webhook(deal_created(1, "e-1")))
        (writer,) = wait_for(
            lambda: run_sql(
                pg_state,
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT%%'",
            )
        )
        # The batch's advisory locks (its event and content keys) are still held by the waiting
        # INSERT: the locks and the insert are one transaction.
        held = run_sql(
            pg_state, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s", writer
        )
        assert held == [(2,)]
        items = [submit(event) for event in queued]
        blocker.execute("ROLLBACK")
    for _ in range(len(items) + 1):
        assert done.acquire(timeout=10)
    assert first.outcome == "stored" and first.error is None
    assert [item.error for item in items] == [None] * len(items)
    assert [item.outcome for item in items] == [
        "stored", "duplicate", "duplicate", "stored", "duplicate", "stored", "stored"
    ]  # fmt: skip
    rows = run_sql(pg_state, "SELECT event_key, source, event FROM inbox ORDER BY seq")
    assert [(key, source) for key, source, _ in rows] == [
        ("v2:e-1", "webhook"),
        ("v2:e-7", "webhook"),
        ("poll:8", "poll"),
        ("v2:e-9a", "webhook"),
        ("v2:e-9b", "webhook"),
    ]
    assert rows[1][2] == hooked.to_json()  # the stored text is the event's own JSON
    store.close()


def test_readiness_names_an_old_schema_and_an_unreachable_database(pg_state: str) -> None:
    store = PostgresTriggerStore(pg_state)
    store.check_ready()
    run_sql(pg_state, "DELETE FROM trigger_schema_version")
    with pytest.raises(StateUnavailable, match=f"schema version 0, this release needs {SCHEMA_VERSION}"):
        store.check_ready()
    store.close()
    with pytest.raises(StateUnavailable) as caught:
        open_state("postgresql://someone:s3cret-pw@127.0.0.1:1/test?connect_timeout=2")
    assert "127.0.0.1" in str(caught.value) and "s3cret-pw" not in str(caught.value)


def test_receiver_answers_503_while_the_database_is_away_and_loses_nothing_acknowledged(
    postgres_dsn: str, pg_state: str, serve: Any
) -> None:
    parts = urlsplit(postgres_dsn)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    schema = pg_state.rsplit("%3D", 1)[1]
    proxied = postgres_schema_dsn(
        parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl(), schema
    )
    proxied += "&connect_timeout=2"
    app = TriggerApp(state_path=proxied)
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    served = serve(app.asgi)
    url, auth = f"{served.url}/webhooks/{sub.id}", basic(sub.auth_user, password)
    assert httpx.post(url, json=deal_created(1, "up-1"), headers=auth, timeout=10).status_code == 200
    proxy.cut()
    down = httpx.post(url, json=deal_created(2, "down-2"), headers=auth, timeout=10)
    assert down.status_code == 503 and "unavailable" in down.json()["error"]
    proxy.restore()
    # Pipedrive's retry of the refused delivery, and a new one: both stored once the database is back.
    for number, event_id in ((2, "down-2"), (3, "up-3")):
        again = httpx.post(url, json=deal_created(number, event_id), headers=auth, timeout=10)
        assert again.status_code == 200 and again.json() == {"ok": True, "duplicate": False}
    keys = [key for (key,) in run_sql(pg_state, "SELECT event_key FROM inbox ORDER BY seq")]
    assert keys == ["v2:up-1", "v2:down-2", "v2:up-3"]
    app.close()
    proxy.cut()


def test_a_hung_database_gets_503_within_the_commit_timeout_and_the_retry_is_stored(
    postgres_dsn: str, pg_state: str, serve: Any
) -> None:
    parts = urlsplit(postgres_dsn)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"
    proxied = postgres_schema_dsn(parts._replace(netloc=netloc).geturl(), pg_state.rsplit("%3D", 1)[1])
    app = TriggerApp(state_path=proxied)
    app.receiver.commit_timeout = 1.0
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    served = serve(app.asgi)
    url, auth = f"{served.url}/webhooks/{sub.id}", basic(sub.auth_user, password)
    assert httpx.post(url, json=deal_created(1, "h-1"), headers=auth, timeout=10).status_code == 200
    time.sleep(2.1)  # the cached subscription is now stale: it must still serve, not wait
    proxy.freeze()  # connections stay open, nothing comes back: a hung database
    started = time.monotonic()
    hung = httpx.post(url, json=deal_created(2, "h-2"), headers=auth, timeout=10)
    assert hung.status_code == 503 and time.monotonic() - started < 3
    assert httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200  # the loop is not blocked
    proxy.thaw()
    retried = httpx.post(url, json=deal_created(2, "h-2"), headers=auth, timeout=10)
    assert retried.status_code == 200  # stored now, or already by the late commit (a duplicate)
    keys = [key for (key,) in run_sql(pg_state, "SELECT event_key FROM inbox ORDER BY seq")]
    assert keys == ["v2:h-1", "v2:h-2"]
    app.close()
    proxy.cut()


@pytest.mark.slow
def test_a_crashed_and_restarted_server_keeps_every_acknowledged_event(serve: Any) -> None:
    """A real restart, not a relay: a private cluster (fsync on) is crashed (``stop -m immediate``)
    under a running receiver, which answers 503 while it is down and 200 again once it is back."""
    from benchmarks.private_postgres import PrivateCluster, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no private PostgreSQL cluster here: {reason}")
    with PrivateCluster() as cluster:
        app = TriggerApp(state_path=f"{cluster.dsn}?connect_timeout=2")
        sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
        served = serve(app.asgi)
        url, auth = f"{served.url}/webhooks/{sub.id}", basic(sub.auth_user, password)
        for number in range(1, 21):
            assert httpx.post(url, json=deal_created(number, f"c-{number}"), headers=auth).status_code == 200
        cluster.stop("immediate")  # a crash: nothing flushed beyond what each commit flushed
        down = httpx.post(url, json=deal_created(21, "c-21"), headers=auth, timeout=10)
        assert down.status_code == 503 and down.headers["retry-after"] == "5"
        cluster.start()  # recovery from the WAL
        for number in (21, 22):  # Pipedrive's retry of the refused delivery, then a new one
            again = httpx.post(url, json=deal_created(number, f"c-{number}"), headers=auth, timeout=10)
            assert again.status_code == 200 and again.json() == {"ok": True, "duplicate": False}
        keys = [key for (key,) in run_sql(cluster.dsn, "SELECT event_key FROM inbox ORDER BY seq")]
        assert keys == [f"v2:c-{number}" for number in range(1, 23)]
        app.close()


def test_batched_claims_take_the_oldest_ready_events_with_their_done_handlers(
    stores: list[PostgresTriggerStore],
) -> None:
    first, second = stores
    fill(first, 5)
    first.mark_handler_done(2, "sink")
    taken = first.claim_batch(lease_seconds=60, limit=3)
    assert [claim.row.seq for claim in taken] == [1, 2, 3]
    assert [claim.handlers_done for claim in taken] == [frozenset(), frozenset({"sink"}), frozenset()]
    assert all(claim.row.status == "running" and claim.row.attempts == 1 for claim in taken)
    # Another process's batch skips the claimed rows; what is left is all it gets.
    assert [claim.row.seq for claim in second.claim_batch(lease_seconds=0.3, limit=10)] == [4, 5]
    assert second.claim_batch(lease_seconds=60, limit=10) == []
    time.sleep(0.4)  # the 0.3 s leases ran out (their claimer "died"): taken again, a second attempt
    again = first.claim_batch(lease_seconds=60, limit=10)
    assert [(claim.row.seq, claim.row.attempts) for claim in again] == [(4, 2), (5, 2)]


def test_released_claims_are_pending_again_and_bookkeeping_is_committed_in_one_go(
    stores: list[PostgresTriggerStore],
) -> None:
    from pipedrive_connector.triggers.batching import Bookkeeping

    first, second = stores
    fill(first, 4)
    claims = first.claim_batch(lease_seconds=60, limit=4)
    assert first.release_claims([3, 4]) == 2
    assert {row.seq: (row.status, row.attempts) for row in second.events(limit=10)} == {
        1: ("running", 1),
        2: ("running", 1),
        3: ("pending", 0),  # the claim of an event never started is no attempt
        4: ("pending", 0),
    }
    writes = [
        Bookkeeping("handler_done", 1, handler="audit"),
        Bookkeeping("done", 1, handler="sink"),
        Bookkeeping("failed", 2, error="boom", retry_at=None),
    ]
    assert first.commit_bookkeeping(writes, wait=False)  # no write lock here: never deferred
    # Committed: another connection sees every write.
    assert second.handlers_done(1) == {"audit", "sink"}
    rows = {row.seq: row for row in second.events(limit=10)}
    assert (rows[1].status, rows[2].status, rows[2].last_error) == ("done", "dead", "boom")
    assert [claim.row.seq for claim in claims] == [1, 2, 3, 4]
