"""``TriggerApp``: the one object a user builds — subscriptions, receiver, dispatcher, poller."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pipedrive_connector.client.errors import NotFound
from pipedrive_connector.client.paths import build_path, entity_id
from pipedrive_connector.serving import ServerLimits
from pipedrive_connector.triggers.definitions import (
    COLLECTIONS,
    FIELD_CHANGED,
    TriggerDefinition,
    field_change_trigger,
    get_trigger,
)
from pipedrive_connector.triggers.dispatch import DEFAULT_KEEP_DAYS, DEFAULT_RETRY_DELAYS, Dispatcher, Handler
from pipedrive_connector.triggers.events import Event
from pipedrive_connector.triggers.lifecycle import EnableResult, RequestClient, WebhookManager
from pipedrive_connector.triggers.metrics import TriggerMetrics
from pipedrive_connector.triggers.poller import PollResult, check_pollable, poll_subscription
from pipedrive_connector.triggers.receiver import DEFAULT_MAX_BODY_BYTES, Receiver, ReceiverApp
from pipedrive_connector.triggers.sinks import event_document
from pipedrive_connector.triggers.state import InboxRow, Subscription, TriggerState, open_state

log = logging.getLogger(__name__)

HandlerFunc = TypeVar("HandlerFunc", bound=Callable[[Event], Any])


def resolve_trigger(name: str, params: dict[str, Any] | None = None) -> TriggerDefinition:
    """A trigger definition from its stored name and parameters."""
    if name == FIELD_CHANGED:
        params = dict(params or {})
        kwargs: dict[str, Any] = {}
        if "from" in params:
            kwargs["from_value"] = params["from"]
        if "to" in params:
            kwargs["to_value"] = params["to"]
        return field_change_trigger(params.get("object", ""), params.get("field", ""), **kwargs)
    return get_trigger(name, params)


class TriggerApp:
    """Subscriptions, the durable inbox, the receiver (``asgi``), dispatch and polling.

    >>> app = TriggerApp(client=pd, state_path="triggers.db", public_url="https://hooks.example.com")

    ``state_path`` is a SQLite file (one dispatching process) or a ``postgresql://`` DSN (any number
    of receivers and dispatchers; migrations are applied on open).
    >>> @app.on("newDeal")
    ... def handle(event: Event) -> None: ...
    """

    def __init__(
        self,
        client: RequestClient | None = None,
        state_path: str | Path = "pipedrive-triggers.db",
        public_url: str | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        lease_seconds: float = 300.0,
        version: str = "2.0",
        catch_up_interval: float | None = None,
        keep_days: float | None = DEFAULT_KEEP_DAYS,
    ) -> None:
        """``keep_days``: done events are deleted that many days after they finished (None: never);
        dead and pending events are always kept."""
        self.client = client
        # Seconds between catch-up passes while running (None: only once, at start).
        self.catch_up_interval = catch_up_interval
        self.public_url = public_url.rstrip("/") if public_url else None
        self.version = version
        self.store: TriggerState = open_state(str(state_path))
        self.metrics = TriggerMetrics(self.store)
        self._handlers: list[Handler] = []
        self.dispatcher = Dispatcher(
            self.store,
            lambda: tuple(self._handlers),
            prepare=self._prepare,
            retry_delays=retry_delays,
            lease_seconds=lease_seconds,
            keep_days=keep_days,
            metrics=self.metrics,
        )
        self.receiver = Receiver(
            self.store,
            lambda sub: resolve_trigger(sub.trigger, sub.params),
            max_body_bytes=max_body_bytes,
            on_stored=self.dispatcher.wake,
            metrics=self.metrics,
        )
        self.asgi = ReceiverApp(self.receiver, on_startup=self.start, on_shutdown=self.stop)
        self._poll_stop = threading.Event()
        self._poll_thread: threading.Thread | None = None
        self._catch_up_thread: threading.Thread | None = None

    # -- handlers ----------------------------------------------------------------------------
    def on(self, trigger: str, *, name: str | None = None) -> Callable[[HandlerFunc], HandlerFunc]:
        """Decorator: run the function for every event of ``trigger`` (a trigger name)."""
        if trigger != FIELD_CHANGED:
            get_trigger(trigger)  # fail early on a typo

        def register(func: HandlerFunc) -> HandlerFunc:
            module = getattr(func, "__module__", None) or "handler"
            qualname = getattr(func, "__qualname__", None) or type(func).__name__
            self.add_handler(name or f"{module}.{qualname}@{trigger}", func, trigger)
            return func

        return register

    def add_handler(self, name: str, func: Callable[[Event], Any], trigger: str | None = None) -> None:
        """Register a handler (or a sink) by a stable name; ``trigger=None`` receives every trigger.

        The name records which handlers already succeeded for an event, so it must stay the same
        across restarts; a repeated name gets a ``#2``, ``#3`` suffix in registration order.
        """
        taken = {handler.name for handler in self._handlers}
        unique, number = name, 1
        while unique in taken:
            number += 1
            unique = f"{name}#{number}"
        self._handlers.append(Handler(unique, func, trigger))

    def document(self, event: Event) -> dict[str, Any]:
        """The JSON a sink emits for an event (the trigger's output plus identity and metadata)."""
        return event_document(event)

    def _prepare(self, row: InboxRow) -> Event:
        event = dataclasses.replace(row.event, trigger=row.trigger)
        sub = self.store.get_subscription(row.subscription_id)
        if sub is None or not sub.enrich:
            return event
        return self.enrich(event)

    def enrich(self, event: Event) -> Event:
        """Replace a v2 webhook's ``data`` ("only crucial information") with the full API v2 record.

        v1 payloads (already full objects), polled records and deletions are left as they are; so is
        the event when the record is gone by now. An ``entity_id`` that is not a positive integer
        raises ``InvalidPathSegment`` before anything is sent (the event fails, naming it).
        """
        collection = COLLECTIONS.get(event.object)
        if (
            self.client is None
            or collection is None
            or event.entity_id is None
            or event.version != "2.0"
            or event.action == "deleted"
        ):
            return event
        path = build_path(
            "/api/v2/{collection}/{id}", collection=collection, id=entity_id(event.entity_id, "entity_id")
        )
        try:
            envelope = self.client.request("GET", path)
        except NotFound:
            return event
        data = envelope.get("data")
        return dataclasses.replace(event, output=data) if isinstance(data, dict) else event

    # -- subscriptions -----------------------------------------------------------------------
    def _manager(self) -> WebhookManager:
        if self.client is None:
            raise RuntimeError("this TriggerApp has no Pipedrive client: pass client=Pipedrive(...)")
        return WebhookManager(self.client, self.store)

    def _public_url(self, public_url: str | None) -> str:
        url = (public_url or self.public_url or "").rstrip("/")
        if not url:
            raise ValueError("a public URL is needed to register webhooks: pass public_url=...")
        return url

    def enable(
        self,
        trigger: str | TriggerDefinition,
        *,
        public_url: str | None = None,
        version: str | None = None,
        enrich: bool = False,
    ) -> EnableResult:
        """Register the trigger's webhook (reusing a matching one) and store the subscription."""
        definition = get_trigger(trigger) if isinstance(trigger, str) else trigger
        return self._manager().enable(
            definition, self._public_url(public_url), version=version or self.version, enrich=enrich
        )

    def disable(self, trigger: str, *, public_url: str | None = None) -> list[Subscription]:
        """Delete the webhooks and subscriptions of ``trigger`` (all of them, or those for one URL)."""
        url = (public_url or "").rstrip("/")
        manager = self._manager() if self.client is not None else None
        removed = []
        for sub in self.store.subscriptions(trigger):
            if url and sub.public_url != url:
                continue
            if manager is not None:
                manager.disable(sub)
            elif sub.webhook_id:
                raise RuntimeError("a Pipedrive client is needed to delete the webhook")
            else:
                self.store.delete_subscription(sub.id)
            removed.append(sub)
        return removed

    def cleanup(self, public_url: str | None = None) -> list[dict[str, Any]]:
        """Delete webhooks that point at this receiver but belong to no stored subscription."""
        return self._manager().cleanup(self._public_url(public_url))

    def subscriptions(self) -> list[Subscription]:
        return self.store.subscriptions()

    def poll_subscription_for(self, trigger: str | TriggerDefinition) -> Subscription:
        """The local (webhook-less) subscription polling uses for ``trigger``; created when missing."""
        definition = get_trigger(trigger) if isinstance(trigger, str) else trigger
        check_pollable(definition)
        existing = self.store.find_subscription(definition.name, dict(definition.params), "")
        if existing is not None:
            return existing
        sub, _ = self.store.create_subscription(definition.name, dict(definition.params), "poll", "")
        return sub

    # -- polling and catch-up ----------------------------------------------------------------
    def poll_once(self, subscriptions: Iterable[Subscription] | None = None) -> list[PollResult]:
        """One polling pass for the given subscriptions (default: every pollable one)."""
        if self.client is None:
            raise RuntimeError("polling needs a Pipedrive client")
        results = []
        for sub in list(subscriptions if subscriptions is not None else self.store.subscriptions()):
            trigger = resolve_trigger(sub.trigger, sub.params)
            try:
                check_pollable(trigger)
            except ValueError:
                continue
            result, events = poll_subscription(self.client, self.store, sub, trigger)
            if events:
                self.dispatcher.wake()
            results.append(result)
        return results

    def catch_up(self) -> list[PollResult]:
        """Fetch changes made since the last event seen for every webhook subscription."""
        webhook_subs = [sub for sub in self.store.subscriptions() if sub.mode == "webhook"]
        return self.poll_once(webhook_subs)

    def start_polling(self, interval: float, subscriptions: Sequence[Subscription] | None = None) -> None:
        """Poll in a background thread every ``interval`` seconds."""
        self._poll_stop.clear()

        def loop() -> None:
            while not self._poll_stop.is_set():
                try:
                    self.poll_once(subscriptions)
                except Exception as exc:
                    log.warning("polling failed: %s", exc)
                self._poll_stop.wait(interval)

        self._poll_thread = threading.Thread(target=loop, name="pipedrive-trigger-poller", daemon=True)
        self._poll_thread.start()

    # -- running -----------------------------------------------------------------------------
    def claim_state(self) -> None:
        """Take the state file's one-dispatcher lock now (``start`` takes it too); raises
        ``StateInUse`` naming the PID of the process that has it. Held until ``close``."""
        self.store.lock_for_dispatch()

    def start(self, *, catch_up: bool = True, wait: bool = False, dispatch: bool = True) -> None:
        """Start the dispatcher thread and catch up on changes missed while down.

        Catch-up runs in the background so the receiver answers Pipedrive at once (``wait=True``
        blocks until it is done). ``dispatch=False`` starts neither (a receiver-only replica: other
        processes dispatch from the same PostgreSQL state).
        """
        if not dispatch:
            return
        self.dispatcher.start()
        if not catch_up or self.client is None:
            return

        def run() -> None:
            while True:
                try:
                    results = self.catch_up()
                except Exception as exc:
                    log.warning("catch-up failed (webhooks still work): %s", exc)
                else:
                    stored = sum(result.stored for result in results)
                    if stored:
                        log.info("catch-up found %s missed event(s)", stored)
                # Repeating heals gaps while running too (a banned or deleted webhook drops events).
                if not self.catch_up_interval or self._poll_stop.wait(self.catch_up_interval):
                    return

        self._catch_up_thread = threading.Thread(target=run, name="pipedrive-trigger-catch-up", daemon=True)
        self._catch_up_thread.start()
        if wait:
            if self.catch_up_interval:
                raise ValueError("wait=True needs catch_up_interval=None (a repeating catch-up never ends)")
            self._catch_up_thread.join()

    def stop(self) -> None:
        self._poll_stop.set()
        self.dispatcher.wake()
        if self._poll_thread is not None:
            self._poll_thread.join(10)
            self._poll_thread = None
        if self._catch_up_thread is not None:
            self._catch_up_thread.join(30)
            self._catch_up_thread = None
        self.dispatcher.stop()

    def close(self) -> None:
        self.stop()
        self.store.close()

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        log_level: str = "warning",
        limits: ServerLimits | None = None,
    ) -> None:
        """Run the receiver under uvicorn (blocking) until SIGINT/SIGTERM; the dispatcher runs alongside.

        The port is bound first (a taken one raises ``serving.BindError``, an ``OSError``, before the
        dispatcher starts); ``limits`` bounds slow and idle clients (``serving.ServerLimits``).
        """
        from pipedrive_connector.serving import bind_socket, serve_forever

        serve_forever(self.asgi, bind_socket(host, port), limits, log_level=log_level)

    # -- inspection --------------------------------------------------------------------------
    def events(
        self, status: str | None = None, limit: int = 50, trigger: str | None = None
    ) -> list[InboxRow]:
        return self.store.events(status=status, limit=limit, trigger=trigger)

    def replay(
        self,
        seqs: Sequence[int] | None = None,
        *,
        dead: bool = False,
        run_now: Sequence[Handler] = (),
    ) -> ReplayResult:
        """Queue chosen events (every handler runs again) and/or the dead ones (only the handlers
        that have not succeeded run again) for the dispatcher; no other event is touched.

        ``run_now`` handlers (e.g. the sinks given to ``triggers replay``) run for exactly those
        events at once, in this thread, before they are queued; their success is recorded, so the
        dispatcher then runs only the registered handlers that have not handled the event.
        """
        named = sorted(set(seqs or []))
        chosen = sorted(set(named) | (set(self.store.dead_seqs()) if dead else set()))
        self.store.forget_handler_runs(named)
        failures: dict[int, str] = {}
        for seq in chosen if run_now else []:
            row = self.store.event(seq)
            if row is None:
                continue
            done = self.store.handlers_done(seq)
            try:
                event = self._prepare(row)
            except Exception as exc:
                failures[seq] = f"preparing the event: {exc}"
                continue
            for handler in run_now:
                if not handler.wants(row.trigger) or handler.name in done:
                    continue
                try:
                    handler.func(event)
                except Exception as exc:
                    failures[seq] = f"{handler.name}: {exc}"
                    continue
                self.store.mark_handler_done(seq, handler.name)
        count = self.store.requeue(chosen)
        self.dispatcher.wake()
        return ReplayResult(requeued=count, failures=failures)


@dataclasses.dataclass(frozen=True)
class ReplayResult:
    """How many events were queued again, and the ``run_now`` handlers that failed (by event)."""

    requeued: int
    failures: dict[int, str]
