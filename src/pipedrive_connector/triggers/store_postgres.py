"""The PostgreSQL backend of the trigger state: any number of receivers and dispatchers share it.

Durability contract (the same as the SQLite backend's, ``state.py``): ``insert_event`` returns only
after the transaction holding the event committed with ``synchronous_commit=on`` (WAL flushed), so
a 2xx to Pipedrive never covers an event a crash could lose. Inserts of one process go through one
writer thread that commits whatever is queued in one transaction (group commit). Inserts of
different processes are kept apart by transaction-level advisory locks on the (subscription, key)
pairs of a batch, taken in sorted order before anything is written (no deadlocks), so the
"once per change across sources" check cannot race with another receiver's insert.

Dispatchers claim the oldest ready event with ``FOR UPDATE SKIP LOCKED`` and a lease (database
clock): a claimer that dies leaves a ``running`` row whose lease expires, and the next claim takes
it. There is no one-process lock: many processes are the point. Dispatch bookkeeping commits with
``synchronous_commit=off`` (a lost update only means a handler runs again, and sinks are keyed).

The schema lives in tables prefixed ``trigger_`` in the DSN's schema (``options=-csearch_path=x``
picks another); migrations run at open, under an advisory lock, and are recorded in
``trigger_schema_version``, so concurrent starts are safe and a second start changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from pipedrive_connector.triggers.batching import Bookkeeping, ClaimedEvent
from pipedrive_connector.triggers.events import Event
from pipedrive_connector.triggers.group_commit import GroupCommitWriter
from pipedrive_connector.triggers.state import (
    InboxRow,
    InsertOutcome,
    PendingInsert,
    StateUnavailable,
    Subscription,
    canonical_params,
    credentials_match,
    describe_state,
    hash_password,
    inbox_row_from_row,
    matching_subscription,
    new_subscription_fields,
    subscription_from_row,
    throughput_buckets,
)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE trigger_subscriptions (
        id TEXT PRIMARY KEY,
        trigger TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        version TEXT NOT NULL DEFAULT '2.0',
        public_url TEXT NOT NULL DEFAULT '',
        subscription_url TEXT NOT NULL DEFAULT '',
        auth_user TEXT NOT NULL DEFAULT '',
        password_salt BYTEA,
        password_hash BYTEA,
        webhook_id TEXT,
        enrich BOOLEAN NOT NULL DEFAULT FALSE,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE trigger_inbox (
        seq BIGSERIAL PRIMARY KEY,
        subscription_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        event_key TEXT NOT NULL,
        content_key TEXT NOT NULL,
        source TEXT NOT NULL,
        event TEXT NOT NULL,
        changed_at DOUBLE PRECISION,
        received_at DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        lease_until DOUBLE PRECISION,
        last_error TEXT,
        finished_at DOUBLE PRECISION,
        UNIQUE (subscription_id, event_key)
    );
    CREATE INDEX trigger_inbox_content ON trigger_inbox (subscription_id, content_key);
    CREATE INDEX trigger_inbox_open ON trigger_inbox (seq) WHERE status IN ('pending', 'running');
    CREATE INDEX trigger_inbox_status_seq ON trigger_inbox (status, seq);
    CREATE TABLE trigger_handler_runs (
        seq BIGINT NOT NULL,
        handler TEXT NOT NULL,
        finished_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (seq, handler)
    );
    CREATE TABLE trigger_cursors (
        subscription_id TEXT PRIMARY KEY,
        updated_since DOUBLE PRECISION NOT NULL
    );
    """,
)
log = logging.getLogger(__name__)
SCHEMA_VERSION = len(MIGRATIONS)
SUBSCRIPTION_CACHE_SECONDS = 2.0
_NOW = "extract(epoch from clock_timestamp())::float8"
_CONNECTION_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 5000,
}
_T = TypeVar("_T")


class PostgresTriggerStore:
    """``TriggerState`` in PostgreSQL (psycopg 3); one connection per thread, made on first use."""

    single_dispatcher = False

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._writer = GroupCommitWriter(self._commit_batch, retry_singly=_events_fault)
        self._sub_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._stale: set[str] = set()
        self._refresh_wanted = threading.Condition()
        self._refresher: threading.Thread | None = None
        try:
            self.migrate()
        except psycopg.OperationalError as exc:
            self.close()
            raise StateUnavailable(f"cannot reach {self.describe()}: {_reason(exc)}") from None

    def describe(self) -> str:
        return describe_state(self.dsn)

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.closed or conn.broken):
            self._forget(conn)
            conn = None
        if conn is None:
            # A database that vanishes without a reset (a failover, a dropped route) must fail a
            # delivery in seconds, not after the kernel's TCP timeout: Pipedrive waits 10 s.
            extra = {key: value for key, value in _CONNECTION_DEFAULTS.items() if key not in self.dsn}
            conn = psycopg.connect(self.dsn, autocommit=True, row_factory=dict_row, **extra)
            conn.execute("SET synchronous_commit = on")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _forget(self, conn: psycopg.Connection[Any]) -> None:
        self._local.conn = None
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with suppress(psycopg.Error):
            conn.close()

    @contextmanager
    def _tx(self, durable: bool = True) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on this thread's connection; ``durable=False`` does not wait for the WAL
        flush (dispatch bookkeeping). A broken connection is dropped so the next call reconnects."""
        conn = self._conn()
        try:
            with conn.transaction():
                if not durable:
                    conn.execute("SET LOCAL synchronous_commit = off")
                yield conn
        except psycopg.OperationalError:
            if conn.broken or conn.closed:
                self._forget(conn)
            raise

    def _read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            conn = self._conn()
            try:
                return conn.execute(query, params).fetchall()
            except psycopg.OperationalError:
                if conn.broken or conn.closed:
                    self._forget(conn)
                raise

        return self._once_more_on_a_new_connection(read)

    def _once_more_on_a_new_connection(self, work: Callable[[], _T]) -> _T:
        """Run ``work``; if this thread's connection turns out dead (the database restarted since
        it was last used), run it once more on a fresh one. Only idempotent work comes here."""
        had_connection = getattr(self._local, "conn", None) is not None
        try:
            return work()
        except psycopg.OperationalError:
            if not had_connection or getattr(self._local, "conn", None) is not None:
                raise
            return work()

    def close(self) -> None:
        self._writer.stop()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with suppress(psycopg.Error):
                conn.close()
        self._local = threading.local()

    def lock_for_dispatch(self) -> None:
        """Nothing to claim: any number of processes dispatch from one database (leases)."""

    # -- migrations and readiness ------------------------------------------------------------
    def migrate(self) -> int:
        """Apply the migrations this database lacks; returns how many ran. Concurrent callers queue
        on an advisory lock (per schema), so each migration runs once."""
        with self._tx() as db:
            db.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('pipedrive-triggers:' || current_schema(), 0))"
            )
            db.execute("CREATE TABLE IF NOT EXISTS trigger_schema_version (version INTEGER NOT NULL)")
            current = self._version(db)
            for number in range(current + 1, SCHEMA_VERSION + 1):
                db.execute(MIGRATIONS[number - 1])
                db.execute("INSERT INTO trigger_schema_version (version) VALUES (%s)", (number,))
        return max(0, SCHEMA_VERSION - current)

    @staticmethod
    def _version(db: psycopg.Connection[Any]) -> int:
        row = db.execute("SELECT max(version) AS v FROM trigger_schema_version").fetchone()
        return int(row["v"]) if row and row["v"] is not None else 0

    def schema_version(self) -> int:
        rows = self._read("SELECT max(version) AS v FROM trigger_schema_version")
        return int(rows[0]["v"] or 0)

    def check_ready(self) -> None:
        """Raise ``StateUnavailable`` unless the database answers and its schema is this version's."""
        try:
            version = self.schema_version()
        except psycopg.Error as exc:
            raise StateUnavailable(f"{self.describe()} unavailable: {_reason(exc)}") from None
        if version != SCHEMA_VERSION:
            raise StateUnavailable(f"schema version {version}, this release needs {SCHEMA_VERSION}")

    # -- subscriptions -----------------------------------------------------------------------
    def create_subscription(
        self, trigger: str, params: dict[str, Any], version: str, public_url: str, enrich: bool = False
    ) -> tuple[Subscription, str]:
        """A new subscription and its Basic-auth password (returned once, stored only hashed)."""
        sub_id, base, subscription_url, auth_user = new_subscription_fields(public_url)
        password = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        with self._tx() as db:
            db.execute(
                "INSERT INTO trigger_subscriptions (id, trigger, params, version, public_url,"
                " subscription_url, auth_user, password_salt, password_hash, enrich, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    sub_id,
                    trigger,
                    canonical_params(params),
                    version,
                    base,
                    subscription_url,
                    auth_user,
                    salt,
                    hash_password(password, salt),
                    enrich,
                    time.time(),
                ),
            )
        sub = self.get_subscription(sub_id)
        assert sub is not None
        return sub, password

    def rotate_password(self, sub_id: str) -> str:
        password = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        self._change_subscription(
            (
                "UPDATE trigger_subscriptions SET password_salt = %s, password_hash = %s WHERE id = %s",
                (salt, hash_password(password, salt), sub_id),
            ),
        )
        return password

    def set_webhook_id(self, sub_id: str, webhook_id: str | None) -> None:
        self._change_subscription(
            ("UPDATE trigger_subscriptions SET webhook_id = %s WHERE id = %s", (webhook_id, sub_id))
        )

    def set_enrich(self, sub_id: str, enrich: bool) -> None:
        self._change_subscription(
            ("UPDATE trigger_subscriptions SET enrich = %s WHERE id = %s", (enrich, sub_id))
        )

    def delete_subscription(self, sub_id: str) -> None:
        self._change_subscription(
            ("DELETE FROM trigger_subscriptions WHERE id = %s", (sub_id,)),
            ("DELETE FROM trigger_cursors WHERE subscription_id = %s", (sub_id,)),
        )

    def _change_subscription(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with self._tx() as db:
            for query, params in statements:
                db.execute(query, params)
        self._sub_cache.clear()

    def get_subscription(self, sub_id: str) -> Subscription | None:
        row = self._subscription_row(sub_id)
        return subscription_from_row(row) if row else None

    def _subscription_row(self, sub_id: str) -> dict[str, Any] | None:
        """A subscription's row from a cache: every delivery is authenticated on the event loop,
        so the request path must not wait for the database. An entry older than
        ``SUBSCRIPTION_CACHE_SECONDS`` is still used while one background thread reloads it (a
        hung database then delays changes, not deliveries); only an id never seen is read at once.
        Writes of this store clear the cache; another process's change (a rotated password, a
        deleted subscription) shows here within about that many seconds."""
        cached = self._sub_cache.get(sub_id)
        if cached is None:
            return self._load_subscription(sub_id)
        if cached[0] <= time.monotonic():
            self._refresh_later(sub_id)
        return cached[1]

    def _load_subscription(self, sub_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT * FROM trigger_subscriptions WHERE id = %s", (sub_id,))
        if len(self._sub_cache) >= 10_000:  # unknown ids are cached too: keep the cache bounded
            self._sub_cache.clear()
        row = rows[0] if rows else None
        self._sub_cache[sub_id] = (time.monotonic() + SUBSCRIPTION_CACHE_SECONDS, row)
        return row

    def _refresh_later(self, sub_id: str) -> None:
        with self._refresh_wanted:
            self._stale.add(sub_id)
            if self._refresher is None or not self._refresher.is_alive():
                self._refresher = threading.Thread(
                    target=self._refresh_loop, name="pipedrive-subscription-cache", daemon=True
                )
                self._refresher.start()
            self._refresh_wanted.notify()

    def _refresh_loop(self) -> None:
        while True:
            with self._refresh_wanted:
                while not self._stale:
                    self._refresh_wanted.wait()  # one thread (and connection) for the store's life
                sub_id = self._stale.pop()
            try:
                self._load_subscription(sub_id)
            except psycopg.Error as exc:  # keep serving the stale row; the next request asks again
                log.debug("could not reload subscription %s: %s", sub_id, exc)

    def subscriptions(self, trigger: str | None = None) -> list[Subscription]:
        if trigger is None:
            rows = self._read("SELECT * FROM trigger_subscriptions ORDER BY created_at")
        else:
            rows = self._read(
                "SELECT * FROM trigger_subscriptions WHERE trigger = %s ORDER BY created_at", (trigger,)
            )
        return [subscription_from_row(row) for row in rows]

    def find_subscription(
        self, trigger: str, params: dict[str, Any], public_url: str, version: str | None = None
    ) -> Subscription | None:
        return matching_subscription(self.subscriptions(trigger), params, public_url, version)

    def verify_credentials(self, sub_id: str, user: str, password: str) -> bool:
        row = self._subscription_row(sub_id)
        stored = (row["auth_user"], row["password_salt"], row["password_hash"]) if row else None
        return credentials_match(stored, user, password)

    # -- inbox -------------------------------------------------------------------------------
    def insert_event(self, sub: Subscription, event: Event, changed_at: float | None) -> InsertOutcome:
        """Store the event once (see ``state.py``); returns after its commit."""
        committed = threading.Event()
        pending = self.submit_event(sub, event, changed_at, lambda _item: committed.set())
        committed.wait()
        if pending.error is not None:
            raise pending.error
        return pending.outcome

    def submit_event(
        self,
        sub: Subscription,
        event: Event,
        changed_at: float | None,
        on_done: Callable[[PendingInsert], None],
    ) -> PendingInsert:
        """Queue an insert; ``on_done`` runs on the writer thread once it committed (or failed)."""
        pending = PendingInsert(sub, event, changed_at, on_done)
        self._writer.submit(pending)
        return pending

    def _commit_batch(self, batch: list[PendingInsert]) -> None:
        # Retrying is safe even if the lost connection had committed: the insert is idempotent.
        self._once_more_on_a_new_connection(lambda: self._insert_batch(batch))

    def _insert_batch(self, batch: list[PendingInsert]) -> None:
        """The batch in one round trip: BEGIN, the advisory locks, one multi-row INSERT and COMMIT
        are pipelined and their answers read at once (a statement per event cost a round trip's
        worth of driver work each, and BEGIN, the locks and COMMIT a round trip each)."""
        fresh = _new_in_batch(batch)
        for item in batch:
            item.outcome = "duplicate"
        if not fresh:
            return
        keys = sorted(
            {_lock_key(item.sub.id, item.event.event_key) for item in fresh}
            | {_lock_key(item.sub.id, item.event.content_key) for item in fresh}
        )
        conn = self._conn()
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                conn.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", (keys,))
                inserted = conn.execute(_INSERT_MANY, _insert_columns(fresh, time.time()))
                conn.execute("COMMIT")
            stored = {(row["subscription_id"], row["event_key"]) for row in inserted.fetchall()}
        except psycopg.Error:
            self._after_failed_transaction(conn)
            raise
        for item in fresh:
            if (item.sub.id, item.event.event_key) in stored:
                item.outcome = "stored"

    def _after_failed_transaction(self, conn: psycopg.Connection[Any]) -> None:
        """Drop a broken connection; roll back a live one left inside the failed transaction."""
        if conn.broken or conn.closed:
            self._forget(conn)
            return
        try:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
        except psycopg.Error:
            self._forget(conn)

    def claim_next(self, lease_seconds: float) -> InboxRow | None:
        """Take the oldest ready event (pending and due, or running with an expired lease); rows
        another claimer has locked are skipped, not waited for."""
        with self._tx(durable=False) as db:
            row = db.execute(
                f"WITH now AS (SELECT {_NOW} AS t),"
                " next AS (SELECT seq FROM trigger_inbox, now WHERE status IN ('pending', 'running')"
                " AND ((status = 'pending' AND next_attempt_at <= now.t)"
                " OR (status = 'running' AND lease_until < now.t))"
                " ORDER BY seq LIMIT 1 FOR UPDATE OF trigger_inbox SKIP LOCKED)"
                " UPDATE trigger_inbox AS i SET status = 'running', attempts = i.attempts + 1,"
                " lease_until = (SELECT t FROM now) + %s FROM next WHERE i.seq = next.seq RETURNING i.*",
                (lease_seconds,),
            ).fetchone()
        return inbox_row_from_row(row) if row else None

    def claim_batch(self, lease_seconds: float, limit: int) -> list[ClaimedEvent]:
        """``claim_next`` for up to ``limit`` events in one statement (``batching.py``), oldest
        first, each with the handlers that already succeeded for it; rows other claimers hold are
        skipped."""
        with self._tx(durable=False) as db:
            rows = db.execute(
                f"WITH now AS (SELECT {_NOW} AS t),"
                " next AS (SELECT seq FROM trigger_inbox, now WHERE status IN ('pending', 'running')"
                " AND ((status = 'pending' AND next_attempt_at <= now.t)"
                " OR (status = 'running' AND lease_until < now.t))"
                " ORDER BY seq LIMIT %s FOR UPDATE OF trigger_inbox SKIP LOCKED)"
                " UPDATE trigger_inbox AS i SET status = 'running', attempts = i.attempts + 1,"
                " lease_until = (SELECT t FROM now) + %s FROM next WHERE i.seq = next.seq"
                " RETURNING i.*, ARRAY(SELECT h.handler FROM trigger_handler_runs AS h"
                " WHERE h.seq = i.seq) AS handlers_done",
                (limit, lease_seconds),
            ).fetchall()
        rows.sort(key=lambda row: row["seq"])
        return [ClaimedEvent(inbox_row_from_row(row), frozenset(row["handlers_done"])) for row in rows]

    def release_claims(self, seqs: Sequence[int]) -> int:
        """Claimed events that were not started go back to pending (the claim is not an attempt)."""
        if not seqs:
            return 0
        with self._tx(durable=False) as db:
            cursor = db.execute(
                "UPDATE trigger_inbox SET status = 'pending', lease_until = NULL,"
                " attempts = GREATEST(attempts - 1, 0) WHERE status = 'running' AND seq = ANY(%s)",
                (list(seqs),),
            )
        return cursor.rowcount

    def commit_bookkeeping(self, writes: Sequence[Bookkeeping], *, wait: bool) -> bool:
        """Commit the dispatcher's ``writes`` in one pipelined transaction (``batching.py``) with
        ``synchronous_commit=off``, like every dispatch write here. There is no write lock to wait
        for, so ``wait`` changes nothing and the answer is always True."""
        if writes:
            # Safe to run twice: each write ignores a known row or sets a final value.
            self._once_more_on_a_new_connection(lambda: self._apply_bookkeeping(writes))
        return True

    def _apply_bookkeeping(self, writes: Sequence[Bookkeeping]) -> None:
        now = time.time()
        with self._tx(durable=False) as db, db.pipeline():
            for write in writes:
                for query, params in _bookkeeping_statements(write, now):
                    db.execute(query, params)

    def extend_lease(self, seq: int, lease_seconds: float) -> None:
        """Keep a running event's lease for another ``lease_seconds`` (its handler is still busy)."""
        with self._tx(durable=False) as db:
            db.execute(
                f"UPDATE trigger_inbox SET lease_until = {_NOW} + %s WHERE seq = %s AND status = 'running'",
                (lease_seconds, seq),
            )

    def next_due(self) -> float | None:
        rows = self._read("SELECT min(next_attempt_at) AS due FROM trigger_inbox WHERE status = 'pending'")
        due = rows[0]["due"]
        return float(due) if due is not None else None

    def release_running(self) -> int:
        """Nothing to release: other processes' running events are theirs until their lease ends."""
        return 0

    def handlers_done(self, seq: int) -> set[str]:
        rows = self._read("SELECT handler FROM trigger_handler_runs WHERE seq = %s", (seq,))
        return {row["handler"] for row in rows}

    def mark_handler_done(self, seq: int, handler: str) -> None:
        with self._tx(durable=False) as db:
            db.execute(
                "INSERT INTO trigger_handler_runs (seq, handler, finished_at) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (seq, handler, time.time()),
            )

    def mark_done(self, seq: int) -> None:
        with self._tx(durable=False) as db:
            db.execute(
                "UPDATE trigger_inbox SET status = 'done', finished_at = %s, lease_until = NULL,"
                " last_error = NULL WHERE seq = %s",
                (time.time(), seq),
            )

    def mark_failed(self, seq: int, error: str, retry_at: float | None) -> None:
        """Schedule a retry at ``retry_at``, or dead-letter the event when it is None."""
        with self._tx(durable=False) as db:
            if retry_at is None:
                db.execute(
                    "UPDATE trigger_inbox SET status = 'dead', last_error = %s, finished_at = %s,"
                    " lease_until = NULL WHERE seq = %s",
                    (error[:2000], time.time(), seq),
                )
            else:
                db.execute(
                    "UPDATE trigger_inbox SET status = 'pending', last_error = %s, next_attempt_at = %s,"
                    " lease_until = NULL WHERE seq = %s",
                    (error[:2000], retry_at, seq),
                )

    def requeue(self, seqs: list[int]) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE trigger_inbox SET status = 'pending', attempts = 0, next_attempt_at = 0,"
                " lease_until = NULL, finished_at = NULL WHERE seq = ANY(%s)",
                (list(seqs),),
            )
        return cursor.rowcount

    def forget_handler_runs(self, seqs: list[int]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM trigger_handler_runs WHERE seq = ANY(%s)", (list(seqs),))

    def dead_seqs(self) -> list[int]:
        rows = self._read("SELECT seq FROM trigger_inbox WHERE status = 'dead' ORDER BY seq")
        return [row["seq"] for row in rows]

    def events(
        self,
        status: str | None = None,
        limit: int = 50,
        trigger: str | None = None,
        before_seq: int | None = None,
        after_seq: int | None = None,
    ) -> list[InboxRow]:
        # Newer pages walk up from after_seq; every other page walks down from the top.
        order = "ASC" if after_seq is not None and before_seq is None else "DESC"
        rows = self._read(
            f"SELECT * FROM trigger_inbox WHERE {_FILTERS}"
            " AND (%(before)s::bigint IS NULL OR seq < %(before)s)"
            " AND (%(after)s::bigint IS NULL OR seq > %(after)s)"
            f" ORDER BY seq {order} LIMIT %(limit)s",
            {
                "status": status or None,
                "trigger": trigger or None,
                "before": before_seq,
                "after": after_seq,
                "limit": limit,
            },
        )
        ordered = rows if order == "ASC" else list(reversed(rows))
        return [inbox_row_from_row(row) for row in ordered]

    def count_events(self, status: str | None = None, trigger: str | None = None) -> int:
        rows = self._read(
            f"SELECT count(*) AS n FROM trigger_inbox WHERE {_FILTERS}",
            {"status": status or None, "trigger": trigger or None},
        )
        return int(rows[0]["n"])

    def throughput(self, since: float, bucket_seconds: int = 60) -> tuple[dict[int, int], dict[int, int]]:
        rows = self._read(
            "SELECT 'received' AS kind, floor((received_at - %(since)s) / %(width)s)::int AS bucket,"
            " count(*) AS n FROM trigger_inbox WHERE received_at >= %(since)s GROUP BY bucket"
            " UNION ALL SELECT 'finished', floor((finished_at - %(since)s) / %(width)s)::int AS bucket,"
            " count(*) FROM trigger_inbox WHERE finished_at >= %(since)s GROUP BY bucket",
            {"since": since, "width": float(bucket_seconds)},
        )
        return throughput_buckets(rows)

    def event(self, seq: int) -> InboxRow | None:
        rows = self._read("SELECT * FROM trigger_inbox WHERE seq = %s", (seq,))
        return inbox_row_from_row(rows[0]) if rows else None

    def prune_done(self, finished_before: float, batch: int = 2000) -> int:
        """Delete done events finished before ``finished_before`` and their handler records, in
        small transactions; dead and pending events are never deleted."""
        deleted = 0
        while True:
            with self._tx(durable=False) as db:
                rows = db.execute(
                    "DELETE FROM trigger_inbox WHERE seq IN (SELECT seq FROM trigger_inbox"
                    " WHERE status = 'done' AND finished_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)"
                    " RETURNING seq",
                    (finished_before, batch),
                ).fetchall()
                seqs = [row["seq"] for row in rows]
                if seqs:
                    db.execute("DELETE FROM trigger_handler_runs WHERE seq = ANY(%s)", (seqs,))
            deleted += len(seqs)
            if len(seqs) < batch:
                return deleted

    def counts(self) -> dict[str, int]:
        rows = self._read("SELECT status, count(*) AS n FROM trigger_inbox GROUP BY status")
        return {row["status"]: int(row["n"]) for row in rows}

    def pending_work(self) -> bool:
        rows = self._read("SELECT 1 FROM trigger_inbox WHERE status IN ('pending', 'running') LIMIT 1")
        return bool(rows)

    # -- cursors -----------------------------------------------------------------------------
    def cursor(self, sub_id: str) -> float | None:
        rows = self._read("SELECT updated_since FROM trigger_cursors WHERE subscription_id = %s", (sub_id,))
        return float(rows[0]["updated_since"]) if rows else None

    def set_cursor(self, sub_id: str, updated_since: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO trigger_cursors (subscription_id, updated_since) VALUES (%s, %s)"
                " ON CONFLICT (subscription_id) DO UPDATE"
                " SET updated_since = GREATEST(trigger_cursors.updated_since, excluded.updated_since)",
                (sub_id, updated_since),
            )


def _bookkeeping_statements(write: Bookkeeping, now: float) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements of one dispatcher write (the same as ``mark_handler_done``/``mark_done``/
    ``mark_failed``)."""
    statements: list[tuple[str, tuple[Any, ...]]] = []
    if write.handler and write.kind in ("handler_done", "done"):
        statements.append(
            (
                "INSERT INTO trigger_handler_runs (seq, handler, finished_at) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (write.seq, write.handler, now),
            )
        )
    if write.kind == "done":
        statements.append(
            (
                "UPDATE trigger_inbox SET status = 'done', finished_at = %s, lease_until = NULL,"
                " last_error = NULL WHERE seq = %s",
                (now, write.seq),
            )
        )
    elif write.kind == "failed" and write.retry_at is None:
        statements.append(
            (
                "UPDATE trigger_inbox SET status = 'dead', last_error = %s, finished_at = %s,"
                " lease_until = NULL WHERE seq = %s",
                (write.error[:2000], now, write.seq),
            )
        )
    elif write.kind == "failed":
        statements.append(
            (
                "UPDATE trigger_inbox SET status = 'pending', last_error = %s, next_attempt_at = %s,"
                " lease_until = NULL WHERE seq = %s",
                (write.error[:2000], write.retry_at, write.seq),
            )
        )
    return statements


_FILTERS = (
    "(%(status)s::text IS NULL OR status = %(status)s)"
    " AND (%(trigger)s::text IS NULL OR trigger = %(trigger)s)"
)

# One statement for a batch: the rows come as parallel arrays (one prepared statement whatever the
# batch size; binary, as a text array literal escapes every quote of the event JSON in Python) and
# keep their arrival order, so their seqs do too. A row is skipped when its event
# key is known (ON CONFLICT) or the same change is stored and one of the two was polled; the
# batch's own duplicates were taken out before (``_new_in_batch``): one statement sees none of its
# own rows.
_INSERT_MANY = (
    "INSERT INTO trigger_inbox (subscription_id, trigger, event_key, content_key, source,"
    " event, changed_at, received_at)"
    " SELECT t.sub, t.trigger, t.key, t.content, t.source, t.event, t.changed, %s"
    " FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],"
    " %b::float8[]) WITH ORDINALITY AS t(sub, trigger, key, content, source, event, changed, n)"
    " WHERE NOT EXISTS (SELECT 1 FROM trigger_inbox AS x WHERE x.subscription_id = t.sub"
    " AND x.content_key = t.content AND (t.source = 'poll' OR x.source = 'poll'))"
    " ORDER BY t.n"
    " ON CONFLICT (subscription_id, event_key) DO NOTHING RETURNING subscription_id, event_key"
)


def _new_in_batch(batch: list[PendingInsert]) -> list[PendingInsert]:
    """The items that are not duplicates of an earlier item of the same batch, by the inbox's
    rules: the same event key, or the same change (content key) where either one was polled."""
    keys: set[tuple[str, str]] = set()
    changes: dict[tuple[str, str], bool] = {}  # (subscription, content key) -> a polled one kept
    fresh: list[PendingInsert] = []
    for item in batch:
        sub_id, event = item.sub.id, item.event
        key, change, polled = (sub_id, event.event_key), (sub_id, event.content_key), event.source == "poll"
        if key in keys or (change in changes and (polled or changes[change])):
            continue
        keys.add(key)
        changes[change] = changes.get(change, False) or polled
        fresh.append(item)
    return fresh


def _insert_columns(items: list[PendingInsert], now: float) -> list[Any]:
    return [
        now,
        [item.sub.id for item in items],
        [item.sub.trigger for item in items],
        [item.event.event_key for item in items],
        [item.event.content_key for item in items],
        [item.event.source for item in items],
        [_event_json(item.event) for item in items],
        [item.changed_at for item in items],
    ]


def _event_json(event: Event) -> str:
    """``event.to_json()`` without ``dataclasses.asdict``'s deep copy of the payload (a tenth of a
    receiver's CPU at full load); the same text."""
    data = {name: getattr(event, name) for name in _EVENT_FIELDS}
    data["changed"] = list(event.changed)
    data["timestamp"] = event.timestamp.isoformat() if event.timestamp else None
    return json.dumps(data, sort_keys=True, default=str)


_EVENT_FIELDS = tuple(field.name for field in dataclasses.fields(Event))


def _lock_key(sub_id: str, key: str) -> int:
    digest = hashlib.blake2b(f"{sub_id}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _events_fault(exc: Exception) -> bool:
    """Whether a failed batch may be retried event by event: not when the database is away."""
    return not isinstance(exc, psycopg.OperationalError)


def _reason(exc: BaseException) -> str:
    """The first line of a driver error (libpq's messages name host and port, never the password)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
