"""What every trigger state backend is: the ``TriggerState`` protocol, the rows it returns, and
``open_state`` that picks the backend from the ``--state`` value.

The contract both backends keep (SQLite in ``store.py``, PostgreSQL in ``store_postgres.py``):

- ``insert_event``/``submit_event`` answer only after the transaction holding the event is durable,
  so a 2xx to Pipedrive never covers an event that a crash could lose. Concurrent inserts share one
  commit (group commit, ``group_commit.py``).
- An event is stored once per (subscription, event key), and once per change across sources
  (a polled change is not stored again when its webhook arrives, and the reverse).
- ``claim_next`` hands an event to one claimer at a time, under a lease; an event whose claimer
  died is claimed again once the lease has expired. Handler successes are recorded per event
  (``mark_handler_done``), so a retry runs only the handlers that have not succeeded yet.
- Dispatch bookkeeping may skip the fsync: a lost update only means a handler runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit

from pipedrive_connector.triggers.events import Event

EventStatus = Literal["pending", "running", "done", "dead"]
InsertOutcome = Literal["stored", "duplicate"]
EVENT_STATUSES: tuple[EventStatus, ...] = ("pending", "running", "done", "dead")
DSN_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Subscription:
    id: str
    trigger: str
    params: dict[str, Any]
    version: str
    public_url: str
    subscription_url: str
    auth_user: str
    webhook_id: str | None
    enrich: bool
    created_at: float

    @property
    def mode(self) -> str:
        return "webhook" if self.subscription_url else "poll"

    def to_dict(self) -> dict[str, Any]:
        """Everything but credentials."""
        return {
            "id": self.id,
            "trigger": self.trigger,
            "params": self.params,
            "version": self.version,
            "mode": self.mode,
            "subscription_url": self.subscription_url,
            "webhook_id": self.webhook_id,
            "enrich": self.enrich,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class InboxRow:
    seq: int
    subscription_id: str
    trigger: str
    event_key: str
    content_key: str
    source: str
    event: Event
    status: EventStatus
    attempts: int
    last_error: str | None
    received_at: float
    finished_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "subscription_id": self.subscription_id,
            "trigger": self.trigger,
            "event_key": self.event_key,
            "content_key": self.content_key,
            "source": self.source,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "received_at": self.received_at,
            "finished_at": self.finished_at,
            "object": self.event.object,
            "action": self.event.action,
            "entity_id": self.event.entity_id,
        }


@dataclass
class PendingInsert:
    """An event queued for the inbox writer; ``on_done`` runs (on the writer thread) once its
    transaction is committed, or once it failed (``error`` set)."""

    sub: Subscription
    event: Event
    changed_at: float | None
    on_done: Callable[[PendingInsert], None]
    outcome: InsertOutcome = "duplicate"
    error: Exception | None = None


class StateUnavailable(RuntimeError):
    """The state database cannot be reached (the receiver answers 503 so that Pipedrive retries)."""


@runtime_checkable
class TriggerState(Protocol):
    """The operations the receiver, dispatcher, poller, ``TriggerApp`` and the CLI use."""

    #: True when one process at most may dispatch from this state (``lock_for_dispatch``).
    single_dispatcher: bool

    def describe(self) -> str: ...
    def close(self) -> None: ...
    def lock_for_dispatch(self) -> None: ...
    def check_ready(self) -> None: ...

    # subscriptions
    def create_subscription(
        self, trigger: str, params: dict[str, Any], version: str, public_url: str, enrich: bool = False
    ) -> tuple[Subscription, str]: ...
    def rotate_password(self, sub_id: str) -> str: ...
    def set_webhook_id(self, sub_id: str, webhook_id: str | None) -> None: ...
    def set_enrich(self, sub_id: str, enrich: bool) -> None: ...
    def delete_subscription(self, sub_id: str) -> None: ...
    def get_subscription(self, sub_id: str) -> Subscription | None: ...
    def subscriptions(self, trigger: str | None = None) -> list[Subscription]: ...
    def find_subscription(
        self, trigger: str, params: dict[str, Any], public_url: str, version: str | None = None
    ) -> Subscription | None: ...
    def verify_credentials(self, sub_id: str, user: str, password: str) -> bool: ...

    # inbox
    def insert_event(self, sub: Subscription, event: Event, changed_at: float | None) -> InsertOutcome: ...
    def submit_event(
        self,
        sub: Subscription,
        event: Event,
        changed_at: float | None,
        on_done: Callable[[PendingInsert], None],
    ) -> PendingInsert: ...
    def claim_next(self, lease_seconds: float) -> InboxRow | None: ...
    def extend_lease(self, seq: int, lease_seconds: float) -> None: ...
    def next_due(self) -> float | None: ...
    def release_running(self) -> int: ...
    def handlers_done(self, seq: int) -> set[str]: ...
    def mark_handler_done(self, seq: int, handler: str) -> None: ...
    def mark_done(self, seq: int) -> None: ...
    def mark_failed(self, seq: int, error: str, retry_at: float | None) -> None: ...
    def requeue(self, seqs: list[int]) -> int: ...
    def forget_handler_runs(self, seqs: list[int]) -> None: ...
    def dead_seqs(self) -> list[int]: ...
    def events(
        self,
        status: str | None = None,
        limit: int = 50,
        trigger: str | None = None,
        before_seq: int | None = None,
        after_seq: int | None = None,
    ) -> list[InboxRow]:
        """A page of events, oldest first: the newest ``limit`` with seq < ``before_seq`` (or the
        newest of all), or with ``after_seq`` the oldest ``limit`` with seq > ``after_seq``.
        Keyset paging on the primary key, so every page costs the same however deep it is."""
        ...

    def count_events(self, status: str | None = None, trigger: str | None = None) -> int: ...
    def throughput(self, since: float, bucket_seconds: int = 60) -> tuple[dict[int, int], dict[int, int]]:
        """Events received and events finished (done or dead) at or after ``since``, per bucket
        index ``(time - since) // bucket_seconds``; counted in the database."""
        ...

    def event(self, seq: int) -> InboxRow | None: ...
    def prune_done(self, finished_before: float, batch: int = 2000) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def pending_work(self) -> bool: ...

    # poll cursors
    def cursor(self, sub_id: str) -> float | None: ...
    def set_cursor(self, sub_id: str, updated_since: float) -> None: ...


def is_dsn(state: str) -> bool:
    """True for a PostgreSQL URL (``postgresql://...``), False for a SQLite file path."""
    return urlsplit(state).scheme in DSN_SCHEMES


def describe_state(state: str) -> str:
    """The state for messages: a file path as it is, a DSN without password or query."""
    if not is_dsn(state):
        return state
    parts = urlsplit(state)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{parts.path}"


def open_state(state: str) -> TriggerState:
    """The backend for ``state``: PostgreSQL for a ``postgresql://`` DSN, else a SQLite file."""
    if is_dsn(state):
        try:
            from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore
        except ImportError as exc:
            raise StateUnavailable(
                f"a PostgreSQL state needs psycopg ({exc.name} is missing): "
                "pip install 'pipedrive-connector[postgres]'"
            ) from None
        return PostgresTriggerStore(state)
    from pipedrive_connector.triggers.store import TriggerStore

    return TriggerStore(state)


def hash_password(password: str, salt: bytes) -> bytes:
    # The passwords are 192-bit random tokens, so one salted SHA-256 resists guessing as well as a
    # slow KDF would, and keeps the request path fast.
    return hashlib.sha256(salt + password.encode("utf-8")).digest()


def canonical_params(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def new_subscription_fields(public_url: str) -> tuple[str, str, str, str]:
    """A fresh subscription's id, cleaned public URL, webhook URL and Basic user."""
    import secrets

    sub_id = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    base = public_url.rstrip("/")
    subscription_url = f"{base}/webhooks/{sub_id}" if base else ""
    auth_user = f"pd-{sub_id[:8]}" if base else ""
    return sub_id, base, subscription_url, auth_user


def matching_subscription(
    subs: list[Subscription], params: dict[str, Any], public_url: str, version: str | None
) -> Subscription | None:
    for sub in subs:
        if (
            canonical_params(sub.params) == canonical_params(params)
            and sub.public_url == public_url.rstrip("/")
            and (version is None or sub.version == version)
        ):
            return sub
    return None


def credentials_match(stored: tuple[str, bytes, bytes] | None, user: str, password: str) -> bool:
    """Constant-time check of Basic credentials against a stored (user, salt, hash)."""
    import hmac

    if stored is None or not stored[0]:
        # Compare anyway so an unknown id takes as long as a wrong password.
        hmac.compare_digest(hash_password(password, b"x" * 16), b"\0" * 32)
        return False
    auth_user, salt, digest = stored
    user_ok = hmac.compare_digest(user.encode("utf-8"), auth_user.encode("utf-8"))
    password_ok = hmac.compare_digest(hash_password(password, bytes(salt)), bytes(digest))
    return user_ok and password_ok


def subscription_from_row(row: Any) -> Subscription:
    """A ``Subscription`` from a database row (anything indexable by column name)."""
    return Subscription(
        id=row["id"],
        trigger=row["trigger"],
        params=json.loads(row["params"]),
        version=row["version"],
        public_url=row["public_url"],
        subscription_url=row["subscription_url"],
        auth_user=row["auth_user"],
        webhook_id=row["webhook_id"],
        enrich=bool(row["enrich"]),
        created_at=row["created_at"],
    )


def inbox_row_from_row(row: Any) -> InboxRow:
    """An ``InboxRow`` from a database row (anything indexable by column name)."""
    return InboxRow(
        seq=row["seq"],
        subscription_id=row["subscription_id"],
        trigger=row["trigger"],
        event_key=row["event_key"],
        content_key=row["content_key"],
        source=row["source"],
        event=Event.from_dict(json.loads(row["event"])),
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        received_at=row["received_at"],
        finished_at=row["finished_at"],
    )


def throughput_buckets(rows: Any) -> tuple[dict[int, int], dict[int, int]]:
    """``throughput``'s answer from rows of (kind, bucket, n), kind "received" or "finished"."""
    received: dict[int, int] = {}
    finished: dict[int, int] = {}
    for row in rows:
        target = received if row["kind"] == "received" else finished
        target[int(row["bucket"])] = int(row["n"])
    return received, finished
