"""Durable state of the triggers: subscriptions, the event inbox, handler bookkeeping, poll cursors.

SQLite in WAL mode with ``synchronous=FULL``: once ``insert_event`` returns, the event survives a
crash of the process. One connection per thread; writes take ``BEGIN IMMEDIATE`` so that checks and
inserts are atomic. Inbox inserts go through one writer thread that commits whatever is queued in
one transaction (group commit); each caller is answered only after its transaction is on disk.
The dispatcher claims ready events in batches and queues its bookkeeping (``batching.py``) for the
same writer, so its updates share the inserts' transactions instead of competing for the lock.
This is the embedded backend of the ``TriggerState`` protocol (``state.py``, which states the
contract); ``store_postgres.py`` is the one for several processes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from pipedrive_connector.triggers.batching import Bookkeeping, ClaimedEvent
from pipedrive_connector.triggers.events import Event
from pipedrive_connector.triggers.group_commit import GroupCommitWriter
from pipedrive_connector.triggers.state import (
    EventStatus,
    InboxRow,
    InsertOutcome,
    PendingInsert,
    Subscription,
    canonical_params,
    credentials_match,
    hash_password,
    inbox_row_from_row,
    matching_subscription,
    new_subscription_fields,
    subscription_from_row,
    throughput_buckets,
)
from pipedrive_connector.triggers.state_lock import StateLock

__all__ = [
    "EventStatus",
    "InboxRow",
    "InsertOutcome",
    "PendingInsert",
    "Subscription",
    "TriggerStore",
    "hash_password",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    trigger TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    version TEXT NOT NULL DEFAULT '2.0',
    public_url TEXT NOT NULL DEFAULT '',
    subscription_url TEXT NOT NULL DEFAULT '',
    auth_user TEXT NOT NULL DEFAULT '',
    password_salt BLOB,
    password_hash BLOB,
    webhook_id TEXT,
    enrich INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    event_key TEXT NOT NULL,
    content_key TEXT NOT NULL,
    source TEXT NOT NULL,
    event TEXT NOT NULL,
    changed_at REAL,
    received_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    lease_until REAL,
    last_error TEXT,
    finished_at REAL,
    UNIQUE (subscription_id, event_key)
);
CREATE INDEX IF NOT EXISTS inbox_content ON inbox (subscription_id, content_key);
CREATE INDEX IF NOT EXISTS inbox_ready ON inbox (status, next_attempt_at, seq);
CREATE INDEX IF NOT EXISTS inbox_status_seq ON inbox (status, seq);
CREATE TABLE IF NOT EXISTS handler_runs (
    seq INTEGER NOT NULL,
    handler TEXT NOT NULL,
    finished_at REAL NOT NULL,
    PRIMARY KEY (seq, handler)
);
CREATE TABLE IF NOT EXISTS cursors (
    subscription_id TEXT PRIMARY KEY,
    updated_since REAL NOT NULL
);
"""

# How long a subscription row read for a delivery is reused. This store's own changes clear the
# cache at once; another process's change (``triggers rotate`` or ``delete`` while ``serve`` runs)
# shows here within this time, and a new password is accepted at once (a mismatch reads again).
SUBSCRIPTION_CACHE_SECONDS = 1.0
_SUBSCRIPTION_CACHE_SIZE = 10_000


class TriggerStore:
    """The SQLite backend: one file, one dispatching process (``lock_for_dispatch``)."""

    single_dispatcher = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writer: GroupCommitWriter[PendingInsert] = GroupCommitWriter(self._commit_locked)
        self._sub_cache: dict[str, tuple[float, sqlite3.Row, Subscription]] = {}
        if path == ":memory:" or not path:
            raise ValueError(
                "the trigger store needs a file path (it is shared between threads and processes)"
            )
        self._dispatch_lock = StateLock(path)
        _create_private(path)
        self._conn().executescript(_SCHEMA)

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction. ``durable=False`` skips the fsync: the commit survives a crash of
        the process but maybe not of the machine (used for dispatch bookkeeping, where a lost
        update only means a handler runs again)."""
        # Writers of this process queue on a lock rather than in SQLite's busy handler, which
        # backs off in sleeps of up to 100 ms and wrecks latency under concurrent deliveries.
        conn = self._conn()
        with self._write_lock:
            mode = "FULL" if durable else "NORMAL"
            if getattr(self._local, "sync", "FULL") != mode:
                conn.execute(f"PRAGMA synchronous={mode}")
                self._local.sync = mode
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def describe(self) -> str:
        return self.path

    def check_ready(self) -> None:
        """Raise when the database cannot be read (for ``/readyz``)."""
        self._conn().execute("SELECT 1 FROM inbox LIMIT 1").fetchall()

    def close(self) -> None:
        self._writer.stop()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        self._dispatch_lock.release()

    def lock_for_dispatch(self) -> None:
        """Claim this state file for dispatching (held until ``close``); ``StateInUse`` names the
        process that holds it. Only one process may claim and release events of a state file."""
        self._dispatch_lock.acquire()

    # -- subscriptions -----------------------------------------------------------------------
    def create_subscription(
        self,
        trigger: str,
        params: dict[str, Any],
        version: str,
        public_url: str,
        enrich: bool = False,
    ) -> tuple[Subscription, str]:
        """A new subscription and its Basic-auth password (returned once, stored only hashed)."""
        sub_id, base, subscription_url, auth_user = new_subscription_fields(public_url)
        password = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        with self._write() as db:
            db.execute(
                "INSERT INTO subscriptions (id, trigger, params, version, public_url, subscription_url,"
                " auth_user, password_salt, password_hash, enrich, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    int(enrich),
                    time.time(),
                ),
            )
        sub = self.get_subscription(sub_id)
        assert sub is not None
        return sub, password

    def rotate_password(self, sub_id: str) -> str:
        password = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        with self._write() as db:
            db.execute(
                "UPDATE subscriptions SET password_salt = ?, password_hash = ? WHERE id = ?",
                (salt, hash_password(password, salt), sub_id),
            )
        self._sub_cache.clear()
        return password

    def set_webhook_id(self, sub_id: str, webhook_id: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE subscriptions SET webhook_id = ? WHERE id = ?", (webhook_id, sub_id))
        self._sub_cache.clear()

    def set_enrich(self, sub_id: str, enrich: bool) -> None:
        with self._write() as db:
            db.execute("UPDATE subscriptions SET enrich = ? WHERE id = ?", (int(enrich), sub_id))
        self._sub_cache.clear()

    def delete_subscription(self, sub_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))
            db.execute("DELETE FROM cursors WHERE subscription_id = ?", (sub_id,))
        self._sub_cache.clear()

    def get_subscription(self, sub_id: str) -> Subscription | None:
        cached = self._cached_subscription(sub_id)
        return cached[2] if cached else None

    def _subscription_row(self, sub_id: str, *, fresh: bool = False) -> sqlite3.Row | None:
        cached = self._cached_subscription(sub_id, fresh=fresh)
        return cached[1] if cached else None

    def _cached_subscription(
        self, sub_id: str, *, fresh: bool = False
    ) -> tuple[float, sqlite3.Row, Subscription] | None:
        """A subscription's row and object, reused for ``SUBSCRIPTION_CACHE_SECONDS``: every
        delivery and every dispatched event looks its subscription up. Unknown ids are not cached."""
        now = time.monotonic()
        cached = None if fresh else self._sub_cache.get(sub_id)
        if cached is not None and cached[0] > now:
            return cached
        row: sqlite3.Row | None = (
            self._conn().execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()
        )
        if row is None:
            self._sub_cache.pop(sub_id, None)
            return None
        if len(self._sub_cache) >= _SUBSCRIPTION_CACHE_SIZE:
            self._sub_cache.clear()
        entry = (now + SUBSCRIPTION_CACHE_SECONDS, row, subscription_from_row(row))
        self._sub_cache[sub_id] = entry
        return entry

    def subscriptions(self, trigger: str | None = None) -> list[Subscription]:
        if trigger is None:
            rows = self._conn().execute("SELECT * FROM subscriptions ORDER BY created_at").fetchall()
        else:
            rows = (
                self._conn()
                .execute("SELECT * FROM subscriptions WHERE trigger = ? ORDER BY created_at", (trigger,))
                .fetchall()
            )
        return [subscription_from_row(row) for row in rows]

    def find_subscription(
        self, trigger: str, params: dict[str, Any], public_url: str, version: str | None = None
    ) -> Subscription | None:
        return matching_subscription(self.subscriptions(trigger), params, public_url, version)

    def verify_credentials(self, sub_id: str, user: str, password: str) -> bool:
        """Constant-time check of Basic credentials against the stored hash (the row cached; a
        mismatch reads it again, so a password rotated by another process works at once)."""
        cached = self._sub_cache.get(sub_id)
        fresh_enough = cached is not None and cached[0] > time.monotonic()
        if fresh_enough and self._credentials_match(cached[1] if cached else None, user, password):
            return True
        return self._credentials_match(self._subscription_row(sub_id, fresh=True), user, password)

    @staticmethod
    def _credentials_match(row: sqlite3.Row | None, user: str, password: str) -> bool:
        stored = (row["auth_user"], row["password_salt"], row["password_hash"]) if row else None
        return credentials_match(stored, user, password)

    # -- inbox -------------------------------------------------------------------------------
    def insert_event(self, sub: Subscription, event: Event, changed_at: float | None) -> InsertOutcome:
        """Store an event once per (subscription, event key) and once per change across sources.

        A webhook delivery is a duplicate if its event key is known, or if polling already stored
        the same change (content key). A polled change is a duplicate if any source stored it.
        Concurrent calls are committed together (one fsync for the batch); each call returns only
        after the transaction holding its event is on disk.
        """
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
        """Queue an insert without waiting; ``on_done`` is called once it is durable (or failed).

        The outcome is in ``outcome``/``error`` of the returned item only after ``on_done`` ran.
        ``on_done`` must be quick and must not raise: it runs on the writer thread.
        """
        pending = PendingInsert(sub, event, changed_at, on_done)
        self._writer.submit(pending)
        return pending

    def _commit_locked(self, batch: list[PendingInsert]) -> None:
        with self._write_lock:
            self._commit_transaction(batch)

    def _commit_transaction(self, batch: list[PendingInsert]) -> None:
        conn = self._conn()
        if getattr(self._local, "sync", "FULL") != "FULL":
            conn.execute("PRAGMA synchronous=FULL")
            self._local.sync = "FULL"
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = [self._insert_one(conn, item, now) for item in batch]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        for item, outcome in zip(batch, outcomes, strict=True):
            item.outcome = outcome

    @staticmethod
    def _insert_one(db: sqlite3.Connection, item: PendingInsert, now: float) -> InsertOutcome:
        sub, event = item.sub, item.event
        # One statement (each execute hands the GIL over and back): the unique key refuses a known
        # event key, NOT EXISTS the same change stored by polling (by any source, for a polled
        # change). Both are single-index lookups, whatever the size of the inbox.
        same_change = "" if event.source == "poll" else " AND source = 'poll'"
        cursor = db.execute(
            "INSERT INTO inbox (subscription_id, trigger, event_key, content_key, source, event,"
            " changed_at, received_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE subscription_id = ? AND content_key = ?"
            f"{same_change})"
            " ON CONFLICT (subscription_id, event_key) DO NOTHING",
            (
                sub.id,
                sub.trigger,
                event.event_key,
                event.content_key,
                event.source,
                event_json(event),
                item.changed_at,
                now,
                sub.id,
                event.content_key,
            ),
        )
        return "stored" if cursor.rowcount == 1 else "duplicate"

    def claim_next(self, lease_seconds: float) -> InboxRow | None:
        """Take the oldest ready event (pending and due, or running with an expired lease)."""
        now = time.time()
        with self._write(durable=False) as db:
            # Two index walks in seq order that stop at the first hit: one query with OR sorted
            # every ready row, so each claim (under the write lock) cost O(backlog).
            candidates = [
                db.execute(
                    "SELECT seq FROM inbox INDEXED BY inbox_status_seq"
                    " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT 1",
                    (now,),
                ).fetchone(),
                db.execute(
                    "SELECT seq FROM inbox INDEXED BY inbox_status_seq"
                    " WHERE status = 'running' AND lease_until < ? ORDER BY seq LIMIT 1",
                    (now,),
                ).fetchone(),
            ]
            seqs = [found["seq"] for found in candidates if found is not None]
            if not seqs:
                return None
            seq = min(seqs)
            db.execute(
                "UPDATE inbox SET status = 'running', lease_until = ?, attempts = attempts + 1 WHERE seq = ?",
                (now + lease_seconds, seq),
            )
        claimed = self._conn().execute("SELECT * FROM inbox WHERE seq = ?", (seq,)).fetchone()
        return inbox_row_from_row(claimed)

    def claim_batch(self, lease_seconds: float, limit: int) -> list[ClaimedEvent]:
        """``claim_next`` for up to ``limit`` events in one transaction, oldest first, each with
        the handlers that already succeeded for it."""
        now = time.time()
        with self._write(durable=False) as db:
            seqs = [
                row["seq"]
                for query in (
                    "SELECT seq FROM inbox INDEXED BY inbox_status_seq"
                    " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT ?",
                    "SELECT seq FROM inbox INDEXED BY inbox_status_seq"
                    " WHERE status = 'running' AND lease_until < ? ORDER BY seq LIMIT ?",
                )
                for row in db.execute(query, (now, limit))
            ]
            seqs = sorted(set(seqs))[:limit]
            if not seqs:
                return []
            marks = ",".join("?" * len(seqs))
            db.execute(
                "UPDATE inbox SET status = 'running', lease_until = ?, attempts = attempts + 1"
                f" WHERE seq IN ({marks})",
                (now + lease_seconds, *seqs),
            )
        conn = self._conn()
        rows = conn.execute(f"SELECT * FROM inbox WHERE seq IN ({marks}) ORDER BY seq", seqs).fetchall()
        done: dict[int, set[str]] = {}
        for run in conn.execute(f"SELECT seq, handler FROM handler_runs WHERE seq IN ({marks})", seqs):
            done.setdefault(run["seq"], set()).add(run["handler"])
        return [ClaimedEvent(inbox_row_from_row(row), frozenset(done.get(row["seq"], ()))) for row in rows]

    def commit_bookkeeping(self, writes: Sequence[Bookkeeping], *, wait: bool) -> bool:
        """The dispatcher's writes in one transaction, like ``mark_*`` (``synchronous=NORMAL``:
        safe from a crash of the process; the receiver's next commit makes them durable).
        ``wait=False`` writes only if no other thread of this process is writing (the group commit
        holds the lock through its fsync); False then, and nothing was written."""
        if not writes:
            return True
        if not self._write_lock.acquire(blocking=wait):
            return False
        try:
            conn = self._conn()
            if getattr(self._local, "sync", "FULL") != "NORMAL":
                conn.execute("PRAGMA synchronous=NORMAL")
                self._local.sync = "NORMAL"
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for write in writes:
                    _apply_bookkeeping(conn, write, now)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            self._write_lock.release()
        return True

    def release_claims(self, seqs: Sequence[int]) -> int:
        """Claimed events that were not started go back to pending (the claim is not an attempt)."""
        if not seqs:
            return 0
        marks = ",".join("?" * len(seqs))
        with self._write(durable=False) as db:
            cursor = db.execute(
                "UPDATE inbox SET status = 'pending', lease_until = NULL,"
                f" attempts = MAX(attempts - 1, 0) WHERE status = 'running' AND seq IN ({marks})",
                list(seqs),
            )
        return cursor.rowcount

    def extend_lease(self, seq: int, lease_seconds: float) -> None:
        """Keep a running event's lease for another ``lease_seconds`` (its handler is still busy)."""
        with self._write(durable=False) as db:
            db.execute(
                "UPDATE inbox SET lease_until = ? WHERE seq = ? AND status = 'running'",
                (time.time() + lease_seconds, seq),
            )

    def next_due(self) -> float | None:
        """When the earliest pending event becomes ready (epoch seconds), or None."""
        row = (
            self._conn()
            .execute("SELECT MIN(next_attempt_at) AS due FROM inbox WHERE status = 'pending'")
            .fetchone()
        )
        return float(row["due"]) if row and row["due"] is not None else None

    def release_running(self) -> int:
        """Return events claimed by a dispatcher that died (one dispatcher per state file) to pending."""
        with self._write(durable=False) as db:
            cursor = db.execute(
                "UPDATE inbox SET status = 'pending', lease_until = NULL, next_attempt_at = 0"
                " WHERE status = 'running'"
            )
        return cursor.rowcount

    def handlers_done(self, seq: int) -> set[str]:
        rows = self._conn().execute("SELECT handler FROM handler_runs WHERE seq = ?", (seq,)).fetchall()
        return {row["handler"] for row in rows}

    def mark_handler_done(self, seq: int, handler: str) -> None:
        with self._write(durable=False) as db:
            _apply_bookkeeping(db, Bookkeeping("handler_done", seq, handler=handler), time.time())

    def mark_done(self, seq: int) -> None:
        with self._write(durable=False) as db:
            _apply_bookkeeping(db, Bookkeeping("done", seq), time.time())

    def mark_failed(self, seq: int, error: str, retry_at: float | None) -> None:
        """Schedule a retry at ``retry_at``, or dead-letter the event when it is None."""
        with self._write(durable=False) as db:
            _apply_bookkeeping(db, Bookkeeping("failed", seq, error=error, retry_at=retry_at), time.time())

    def requeue(self, seqs: list[int]) -> int:
        """Make the given events pending again (due now); handlers recorded as done stay done."""
        with self._write() as db:
            count = 0
            for seq in seqs:
                count += db.execute(
                    "UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at = 0,"
                    " lease_until = NULL, finished_at = NULL WHERE seq = ?",
                    (seq,),
                ).rowcount
        return count

    def forget_handler_runs(self, seqs: list[int]) -> None:
        """Forget which handlers succeeded for these events, so that every handler runs again."""
        with self._write() as db:
            db.executemany("DELETE FROM handler_runs WHERE seq = ?", [(seq,) for seq in seqs])

    def dead_seqs(self) -> list[int]:
        rows = self._conn().execute("SELECT seq FROM inbox WHERE status = 'dead' ORDER BY seq").fetchall()
        return [row["seq"] for row in rows]

    def events(
        self,
        status: str | None = None,
        limit: int = 50,
        trigger: str | None = None,
        before_seq: int | None = None,
        after_seq: int | None = None,
    ) -> list[InboxRow]:
        clauses, args = _filters(status, trigger)
        if before_seq is not None:
            clauses.append("seq < ?")
            args.append(before_seq)
        if after_seq is not None:
            clauses.append("seq > ?")
            args.append(after_seq)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        # Newer pages walk up from after_seq; every other page walks down from the top.
        order = "ASC" if after_seq is not None and before_seq is None else "DESC"
        rows = (
            self._conn()
            .execute(f"SELECT * FROM inbox {where} ORDER BY seq {order} LIMIT ?", (*args, limit))
            .fetchall()
        )
        ordered = rows if order == "ASC" else list(reversed(rows))
        return [inbox_row_from_row(row) for row in ordered]

    def count_events(self, status: str | None = None, trigger: str | None = None) -> int:
        clauses, args = _filters(status, trigger)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        row = self._conn().execute(f"SELECT COUNT(*) AS n FROM inbox {where}", args).fetchone()
        return int(row["n"])

    def throughput(self, since: float, bucket_seconds: int = 60) -> tuple[dict[int, int], dict[int, int]]:
        rows = self._conn().execute(
            "SELECT 'received' AS kind, CAST((received_at - :since) / :width AS INTEGER) AS bucket,"
            " COUNT(*) AS n FROM inbox WHERE received_at >= :since GROUP BY bucket"
            " UNION ALL SELECT 'finished', CAST((finished_at - :since) / :width AS INTEGER) AS bucket,"
            " COUNT(*) FROM inbox WHERE finished_at >= :since GROUP BY bucket",
            {"since": since, "width": bucket_seconds},
        )
        return throughput_buckets(rows)

    def event(self, seq: int) -> InboxRow | None:
        row = self._conn().execute("SELECT * FROM inbox WHERE seq = ?", (seq,)).fetchone()
        return inbox_row_from_row(row) if row else None

    def prune_done(self, finished_before: float, batch: int = 2000) -> int:
        """Delete done events finished before ``finished_before`` (epoch seconds) and their handler
        records; dead and pending events are never deleted. Works in small transactions so that
        deliveries are not held up behind one long delete."""
        deleted = 0
        while True:
            with self._write(durable=False) as db:
                seqs = [
                    row["seq"]
                    for row in db.execute(
                        "SELECT seq FROM inbox INDEXED BY inbox_status_seq"
                        " WHERE status = 'done' AND finished_at < ? LIMIT ?",
                        (finished_before, batch),
                    )
                ]
                if seqs:
                    marks = ",".join("?" * len(seqs))
                    db.execute(f"DELETE FROM handler_runs WHERE seq IN ({marks})", seqs)
                    db.execute(f"DELETE FROM inbox WHERE seq IN ({marks})", seqs)
            deleted += len(seqs)
            if len(seqs) < batch:
                return deleted

    def counts(self) -> dict[str, int]:
        rows = self._conn().execute("SELECT status, COUNT(*) AS n FROM inbox GROUP BY status").fetchall()
        return {row["status"]: row["n"] for row in rows}

    def pending_work(self) -> bool:
        row = (
            self._conn()
            .execute("SELECT 1 FROM inbox WHERE status IN ('pending', 'running') LIMIT 1")
            .fetchone()
        )
        return row is not None

    # -- cursors -----------------------------------------------------------------------------
    def cursor(self, sub_id: str) -> float | None:
        row = (
            self._conn()
            .execute("SELECT updated_since FROM cursors WHERE subscription_id = ?", (sub_id,))
            .fetchone()
        )
        return float(row["updated_since"]) if row else None

    def set_cursor(self, sub_id: str, updated_since: float) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO cursors (subscription_id, updated_since) VALUES (?, ?)"
                " ON CONFLICT (subscription_id)"
                " DO UPDATE SET updated_since = MAX(updated_since, excluded.updated_since)",
                (sub_id, updated_since),
            )


def event_json(event: Event) -> str:
    """``event.to_json()``, the same document, without ``dataclasses.asdict``'s deep copy (it cost
    more than the rest of an insert). Falls back to ``to_json`` for what orjson refuses (integers
    beyond 64 bits, values that are not JSON), which then serializes or raises as before."""
    document = {name: getattr(event, name) for name in _EVENT_FIELDS}
    document["changed"] = list(event.changed)
    document["timestamp"] = event.timestamp.isoformat() if event.timestamp else None
    try:
        return orjson.dumps(document, option=_ORJSON_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return event.to_json()


_EVENT_FIELDS = tuple(Event.__dataclass_fields__)
# Types orjson would write its own way (datetimes, dataclasses, str/int/dict subclasses) go to the
# fallback, which writes them as ``to_json`` always did.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _apply_bookkeeping(db: sqlite3.Connection, write: Bookkeeping, now: float) -> None:
    """One dispatcher write inside the caller's transaction."""
    if write.handler and write.kind in ("handler_done", "done"):
        db.execute(
            "INSERT OR IGNORE INTO handler_runs (seq, handler, finished_at) VALUES (?, ?, ?)",
            (write.seq, write.handler, now),
        )
    if write.kind == "handler_done":
        return
    if write.kind == "done":
        db.execute(
            "UPDATE inbox SET status = 'done', finished_at = ?, lease_until = NULL, last_error = NULL"
            " WHERE seq = ?",
            (now, write.seq),
        )
    elif write.retry_at is None:
        db.execute(
            "UPDATE inbox SET status = 'dead', last_error = ?, finished_at = ?, lease_until = NULL"
            " WHERE seq = ?",
            (write.error[:2000], now, write.seq),
        )
    else:
        db.execute(
            "UPDATE inbox SET status = 'pending', last_error = ?, next_attempt_at = ?,"
            " lease_until = NULL WHERE seq = ?",
            (write.error[:2000], write.retry_at, write.seq),
        )


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only (it holds payloads); SQLite gives the
    -wal and -shm files the database file's mode. An existing file keeps its mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _filters(status: str | None, trigger: str | None) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if status:
        clauses.append("status = ?")
        args.append(status)
    if trigger:
        clauses.append("trigger = ?")
        args.append(trigger)
    return clauses, args
