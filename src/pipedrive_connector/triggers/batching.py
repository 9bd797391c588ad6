"""Batched dispatch: what a state backend offers so that the dispatcher's bookkeeping costs less
than one write transaction per step.

A backend that has these methods (``BatchDispatchState``; the SQLite store does) lets the
dispatcher claim many ready events in one transaction and queue each handler's success and each
event's outcome for the backend's next group commit instead of committing it alone: the receiver's
inserts and the dispatcher's updates then share one transaction and one fsync. Before it claims
again the dispatcher waits for everything it queued, so an event's outcome is on disk before its
successors are claimed, and a crash between a handler's success and that commit re-runs the
handler once, as a crash before a bookkeeping commit always could. Backends without these methods
are driven one event at a time through ``claim_next`` and the ``mark_*`` methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from pipedrive_connector.triggers.state import InboxRow

BookkeepingKind = Literal["handler_done", "done", "failed"]


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(frozen=True)
class ClaimedEvent:
    """A claimed inbox row and the handlers that already succeeded for it."""

    row: InboxRow
    handlers_done: frozenset[str]


@dataclass(frozen=True)
class Bookkeeping:
    """One dispatcher write: a handler succeeded, the event is done (``handler``, when given,
    succeeded just before: recorded in the same write), or it failed (``retry_at`` None:
    dead-lettered)."""

    kind: BookkeepingKind
    seq: int
    handler: str = ""
    error: str = ""
    retry_at: float | None = None


@dataclass
class PendingWrite:
    """A queued ``Bookkeeping`` write; ``wait`` returns once it is committed (raises if it failed)."""

    write: Bookkeeping
    error: Exception | None = None
    # Held until the commit: a bare lock costs far less to make than a threading.Event.
    _uncommitted: threading.Lock = field(default_factory=_held_lock)

    @property
    def on_done(self) -> Callable[[PendingWrite], None]:
        return _mark_committed

    def wait(self, timeout: float | None = None) -> None:
        if not self._uncommitted.acquire(timeout=-1 if timeout is None else timeout):
            raise TimeoutError(f"the dispatcher's write for event {self.write.seq} was not committed")
        self._uncommitted.release()
        if self.error is not None:
            raise self.error


def _mark_committed(item: PendingWrite) -> None:
    item._uncommitted.release()


@runtime_checkable
class BatchDispatchState(Protocol):
    def claim_batch(self, lease_seconds: float, limit: int) -> list[ClaimedEvent]:
        """Take up to ``limit`` of the oldest ready events in one transaction, in seq order."""
        ...

    def release_claims(self, seqs: Sequence[int]) -> int:
        """Return claimed events that were not started to pending (their claim does not count
        as an attempt)."""
        ...

    def queue_bookkeeping(self, write: Bookkeeping) -> PendingWrite:
        """Queue a write for the next group commit without waiting for it."""
        ...
