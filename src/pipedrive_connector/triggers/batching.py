"""Batched dispatch: what a state backend offers so that the dispatcher's bookkeeping costs less
than one write transaction per step.

A backend that has these methods (``BatchDispatchState``; the SQLite store does) lets the
dispatcher claim many ready events in one transaction and commit an event's outcome together with
its last handler's success in one write. The outcome is committed before the next event's handlers
run (a crash between a handler's success and that commit re-runs the handler once, so that window
stays as short as it was): at once when the write lock is free, else as soon as the receiver's
group commit releases it. Backends without these methods are driven one event at a time through
``claim_next`` and the ``mark_*`` methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from pipedrive_connector.triggers.state import InboxRow

BookkeepingKind = Literal["handler_done", "done", "failed"]
# Events whose outcome the dispatcher may hold uncommitted while the write lock is busy. More than
# one lets it go on while the group commit holds the lock, but a SIGKILL then re-runs the handlers
# of every such event: the fault drill counts handler runs, and one is what the old path allowed.
MAX_UNCOMMITTED_EVENTS = 1


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


@runtime_checkable
class BatchDispatchState(Protocol):
    def claim_batch(self, lease_seconds: float, limit: int) -> list[ClaimedEvent]:
        """Take up to ``limit`` of the oldest ready events in one transaction, in seq order."""
        ...

    def release_claims(self, seqs: Sequence[int]) -> int:
        """Return claimed events that were not started to pending (their claim does not count
        as an attempt)."""
        ...

    def commit_bookkeeping(self, writes: Sequence[Bookkeeping], *, wait: bool) -> bool:
        """Commit ``writes`` in one transaction (process-crash safe; the fsync may be left to the
        next durable commit). ``wait=False``: only if the write lock is free at once; False when
        it was not (nothing written)."""
        ...
