"""The dispatcher: claims inbox events in arrival order and runs their handlers.

Every handler's success is recorded per event, so a retry runs only the handlers that have not
succeeded yet. A failing event is retried after each of ``retry_delays`` and then dead-lettered.
A crash between a handler's success and its bookkeeping re-runs that handler once (at-least-once);
the JSONL sink below is idempotent by event key, so it writes each event exactly once.

With SQLite only one process dispatches from a state file (``TriggerStore.lock_for_dispatch``); with
PostgreSQL any number do, each claim under a lease that another dispatcher takes over once it
expired (a dispatcher that died mid-handler). When the state
database fails, the loop backs off exponentially (capped) and logs once when it starts failing and
once when it works again. Done events older than the retention are deleted now and then.

A backend with batched dispatch (``batching.BatchDispatchState``: the SQLite store) is driven a
batch at a time: one transaction claims up to ``batch_size`` events, and each event's outcome is
committed right after its handlers, or together with the next few events' while the receiver's
group commit holds the write lock. Other backends are driven one event at a time.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipedrive_connector.triggers.batching import MAX_UNCOMMITTED_EVENTS, BatchDispatchState, Bookkeeping
from pipedrive_connector.triggers.events import Event
from pipedrive_connector.triggers.logs import event_context
from pipedrive_connector.triggers.metrics import TriggerMetrics
from pipedrive_connector.triggers.state import InboxRow, TriggerState

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)
DEFAULT_KEEP_DAYS = 30.0
PRUNE_INTERVAL = 3600.0
DEFAULT_BATCH_SIZE = 64


@dataclass(frozen=True)
class Handler:
    """A named callable for one trigger (or every trigger when ``trigger`` is None)."""

    name: str
    func: Callable[[Event], object]
    trigger: str | None = None

    def wants(self, trigger: str) -> bool:
        return self.trigger is None or self.trigger == trigger


class Dispatcher:
    def __init__(
        self,
        store: TriggerState,
        handlers: Callable[[], Sequence[Handler]],
        *,
        prepare: Callable[[InboxRow], Event] | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        lease_seconds: float = 300.0,
        idle_wait: float = 0.5,
        keep_days: float | None = DEFAULT_KEEP_DAYS,
        prune_interval: float = PRUNE_INTERVAL,
        backoff: tuple[float, float] = (0.05, 30.0),
        metrics: TriggerMetrics | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        """``keep_days``: done events older than this are deleted every ``prune_interval`` seconds
        (None keeps them forever). ``backoff``: first and largest wait after a database failure.
        ``batch_size``: events claimed at once from a backend with batched dispatch."""
        self.store = store
        self.handlers = handlers
        self.prepare = prepare or (lambda row: row.event)
        self.retry_delays = tuple(retry_delays)
        self.lease_seconds = lease_seconds
        self.idle_wait = idle_wait
        self.keep_days = keep_days
        self.prune_interval = prune_interval
        self.backoff = backoff
        self.metrics = metrics
        self.batch_size = max(1, batch_size)
        self._batched: BatchDispatchState | None = store if isinstance(store, BatchDispatchState) else None
        self._next_prune = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease = LeaseKeeper(store, lease_seconds)

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> bool:
        """Process the ready events of one claim (one event, or a batch where the backend
        batches) with their bookkeeping committed; False when there was none."""
        self.store.lock_for_dispatch()
        if self._batched is not None:
            return self._run_batch(self._batched)
        row = self.store.claim_next(self.lease_seconds)
        if row is None:
            return False
        done = self.store.handlers_done(row.seq)
        self._lease.hold((row.seq,))
        try:
            self._process(row, done, _DirectRecorder(self.store))
        finally:
            self._lease.release()
        return True

    def _run_batch(self, store: BatchDispatchState) -> bool:
        claims = store.claim_batch(self.lease_seconds, self.batch_size)
        if not claims:
            return False
        recorder = _BatchRecorder(store)
        self._lease.hold(tuple(claim.row.seq for claim in claims))
        try:
            for index, claim in enumerate(claims):
                if index and self._stop.is_set():
                    # Stopping: the event in hand is finished, the rest go back unstarted.
                    store.release_claims([rest.row.seq for rest in claims[index:]])
                    break
                self._process(claim.row, claim.handlers_done, recorder)
                recorder.event_finished()
        finally:
            try:
                recorder.commit(wait=True)
            finally:
                self._lease.release()
        return True

    def drain(self, timeout: float = 10.0) -> None:
        """Run until no event is ready (events waiting for a retry delay are left)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.run_once():
            pass

    def _process(self, row: InboxRow, done: set[str] | frozenset[str], recorder: _Recorder) -> None:
        with event_context(row.event_key):
            self._run_handlers(row, done, recorder)

    def _run_handlers(self, row: InboxRow, done: set[str] | frozenset[str], recorder: _Recorder) -> None:
        errors: list[str] = []
        try:
            event = self.prepare(row)
        except Exception as exc:
            errors.append(f"preparing the event: {type(exc).__name__}: {exc}")
            event = row.event
        last_success = ""
        if not errors:
            due = [h for h in self.handlers() if h.wants(row.trigger) and h.name not in done]
            for index, handler in enumerate(due):
                try:
                    handler.func(event)
                except Exception as exc:
                    log.warning("handler %s failed on event %s: %s", handler.name, row.seq, exc)
                    log.debug("%s", traceback.format_exc())
                    errors.append(f"{handler.name}: {type(exc).__name__}: {exc}")
                    if self.metrics is not None:
                        self.metrics.handler(handler.name, ok=False)
                    continue
                if self.metrics is not None:
                    self.metrics.handler(handler.name, ok=True)
                if index == len(due) - 1 and not errors:
                    last_success = handler.name  # recorded with the event's "done", in one write
                else:
                    recorder.record(Bookkeeping("handler_done", row.seq, handler=handler.name))
        if not errors:
            recorder.record(Bookkeeping("done", row.seq, handler=last_success))
            return
        failures = row.attempts  # attempts already counts this one
        error = "; ".join(errors)
        if failures <= len(self.retry_delays):
            retry_at = time.time() + self.retry_delays[failures - 1]
            recorder.record(Bookkeeping("failed", row.seq, error=error, retry_at=retry_at))
        else:
            log.error("event %s dead-lettered after %s attempts", row.seq, failures)
            recorder.record(Bookkeeping("failed", row.seq, error=error, retry_at=None))
            if self.metrics is not None:
                self.metrics.dead_lettered.inc()

    # -- background thread -------------------------------------------------------------------
    def prune(self) -> int:
        """Delete done events older than ``keep_days`` (dead and pending ones are kept)."""
        if self.keep_days is None:
            return 0
        deleted = self.store.prune_done(time.time() - self.keep_days * 86400)
        if deleted:
            log.info("deleted %s done event(s) older than %g days", deleted, self.keep_days)
        return deleted

    def start(self) -> None:
        """Claim the state (SQLite: ``StateInUse`` if another process has it) and dispatch in a thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self.store.lock_for_dispatch()
        released = self.store.release_running()
        if released:
            log.info("resuming %s event(s) a previous dispatcher was running", released)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="pipedrive-trigger-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the event in hand (its handlers and bookkeeping), then end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._lease.close()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if self.keep_days is not None and time.monotonic() >= self._next_prune:
                    self.prune()
                    self._next_prune = time.monotonic() + self.prune_interval
                worked = self.run_once()
                wait = 0.0 if worked else self._idle_wait()
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.error("the trigger state failed, retrying with backoff: %s", exc, exc_info=True)
                first, largest = self.backoff
                # A wake-up (a new delivery) must not shorten the backoff, so wait on stop only.
                self._stop.wait(min(largest, first * 2 ** min(failures - 1, 30)))
                continue
            if failures:
                log.warning("the trigger state works again after %s failed attempt(s)", failures)
                failures = 0
            if wait:
                self._wake.wait(wait)
                self._wake.clear()

    def _idle_wait(self) -> float:
        due = self.store.next_due()
        if due is None:
            return self.idle_wait
        return min(self.idle_wait, max(0.005, due - time.time()))


class _Recorder(Protocol):
    def record(self, write: Bookkeeping) -> None: ...


class _DirectRecorder:
    """Each write committed at once, through the backend's ``mark_*`` methods."""

    def __init__(self, store: TriggerState) -> None:
        self.store = store

    def record(self, write: Bookkeeping) -> None:
        if write.handler:
            self.store.mark_handler_done(write.seq, write.handler)
        if write.kind == "done":
            self.store.mark_done(write.seq)
        elif write.kind == "failed":
            self.store.mark_failed(write.seq, write.error, write.retry_at)


class _BatchRecorder:
    """Writes committed as soon as the write lock is free, together while it is busy."""

    def __init__(self, store: BatchDispatchState) -> None:
        self.store = store
        self.pending: list[Bookkeeping] = []
        self.uncommitted_events = 0

    def record(self, write: Bookkeeping) -> None:
        self.pending.append(write)
        self.commit(wait=False)

    def event_finished(self) -> None:
        if self.pending:
            self.uncommitted_events += 1
            self.commit(wait=self.uncommitted_events >= MAX_UNCOMMITTED_EVENTS)

    def commit(self, *, wait: bool) -> None:
        if self.store.commit_bookkeeping(self.pending, wait=wait):
            self.pending.clear()
            self.uncommitted_events = 0


class LeaseKeeper:
    """Renews the leases of the events in hand every third of the lease, so that a slow handler
    keeps its events while its process lives, and the leases run out soon after it dies."""

    def __init__(self, store: TriggerState, lease_seconds: float) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self._seqs: tuple[int, ...] | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False

    def hold(self, seqs: tuple[int, ...]) -> None:
        with self._lock:
            self._seqs = seqs
            self._closed = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="pipedrive-lease", daemon=True)
                self._thread.start()
            self._changed.notify()

    def release(self) -> None:
        with self._lock:
            self._seqs = None
            self._changed.notify()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._seqs = None
            self._changed.notify()

    def _loop(self) -> None:
        with self._lock:
            while not self._closed:
                seqs = self._seqs
                if seqs is None:
                    self._changed.wait()
                    continue
                # Renew only when the same events are still in hand a third of a lease later.
                self._changed.wait(self.lease_seconds / 3)
                if self._seqs is not seqs or self._closed:
                    continue
                self._lock.release()  # hold() and release() must not wait for the database
                try:
                    for seq in seqs:  # an event already finished is not running: no change
                        self.store.extend_lease(seq, self.lease_seconds)
                except Exception as exc:
                    log.warning("could not renew the lease of events %s: %s", list(seqs), exc)
                finally:
                    self._lock.acquire()
