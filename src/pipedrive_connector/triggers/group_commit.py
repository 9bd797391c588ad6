"""Group commit: one writer thread commits every queued inbox write in one transaction.

Every delivery that arrives while a commit is on its way to disk goes into the next transaction,
so N concurrent deliveries cost one fsync instead of N. Each item's ``on_done`` runs only after
its transaction committed (or failed). The backend supplies ``commit(batch)``, which sets each
item's ``outcome`` or raises; a failed batch is retried item by item so that one bad event does
not fail its batch mates, unless ``retry_singly(exc)`` says the failure is not the events' fault
(the database is down: every item fails at once instead of one timeout each).

Items are the backend's own (``PendingInsert`` in both backends): anything with an ``error`` slot
and an ``on_done`` callback.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

MAX_BATCH = 512


class Committable(Protocol):
    error: Exception | None

    @property
    def on_done(self) -> Callable[[Any], None]: ...


Item = TypeVar("Item", bound=Committable)


class GroupCommitWriter(Generic[Item]):
    def __init__(
        self,
        commit: Callable[[list[Item]], None],
        *,
        retry_singly: Callable[[Exception], bool] = lambda exc: True,
        name: str = "pipedrive-trigger-inbox-writer",
    ) -> None:
        self._commit = commit
        self._retry_singly = retry_singly
        self._name = name
        self._cond = threading.Condition()
        self._queue: list[Item] = []
        self._thread: threading.Thread | None = None
        self._stopping = False

    def submit(self, pending: Item) -> None:
        with self._cond:
            self._queue.append(pending)
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def stop(self) -> None:
        """Commit what is queued, then end the thread (the next submit starts a new one)."""
        with self._cond:
            thread = self._thread
            self._stopping = True
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._cond:
            if self._thread is thread:
                self._thread = None
            self._stopping = False

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._commit_batch(batch)
            for item in batch:
                with contextlib.suppress(Exception):  # a waiter's callback must not stop the writer
                    item.on_done(item)

    def _commit_batch(self, batch: list[Item]) -> None:
        try:
            self._commit(batch)
        except Exception as exc:
            if len(batch) == 1 or not self._retry_singly(exc):
                for item in batch:
                    item.error = exc
                return
            for item in batch:
                try:
                    self._commit([item])
                except Exception as item_exc:
                    item.error = item_exc
