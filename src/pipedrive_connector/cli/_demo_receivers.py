"""Where ``pipedrive demo`` receives its webhooks: the triggers' ``TriggerApp`` (default) or a
minimal loopback receiver. Both enable the demo's triggers and let the demo wait for an event."""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from pipedrive_connector.cli._loopback import LoopbackReceiver, serve_loopback
from pipedrive_connector.client.paths import build_path, entity_id
from pipedrive_connector.component import Connection
from pipedrive_connector.serving import serve_in_thread
from pipedrive_connector.triggers import ALL_TRIGGERS, TRIGGERS, Event

# The seed's 7 triggers and the ones the demo's note, product and stage-change steps fire.
DEMO_TRIGGERS = {
    **TRIGGERS,
    **{name: ALL_TRIGGERS[name] for name in ("newNote", "newProduct", "dealStageChanged")},
}

Predicate = Callable[[Event], bool]


class DemoReceiver(Protocol):
    url: str

    def enable_all(self) -> int: ...

    def wait_for(self, trigger: str, predicate: Predicate, deadline: float) -> tuple[float, Event] | None: ...


class _Seen:
    """Events by trigger name, with a condition to wait on."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, Event]] = []
        self.changed = threading.Condition()

    def add(self, trigger: str, event: Event) -> None:
        with self.changed:
            self.events.append((time.monotonic(), trigger, event))
            self.changed.notify_all()

    def wait_for(
        self, trigger: str | None, predicate: Predicate, deadline: float
    ) -> tuple[float, Event] | None:
        with self.changed:
            while True:
                for seen_at, name, event in self.events:
                    if (trigger is None or name == trigger) and predicate(event):
                        return seen_at, event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)


class TriggerAppReceiver:
    """The real receiver: ``TriggerApp`` (durable inbox, Basic auth per subscription, dispatcher)."""

    def __init__(self, app: Any, url: str) -> None:
        self.app = app
        self.url = url
        self.seen = _Seen()
        for name in DEMO_TRIGGERS:
            app.add_handler(f"demo@{name}", lambda event, name=name: self.seen.add(name, event), trigger=name)

    def enable_all(self) -> int:
        for name in DEMO_TRIGGERS:
            self.app.enable(name)
        return len(DEMO_TRIGGERS)

    def wait_for(self, trigger: str, predicate: Predicate, deadline: float) -> tuple[float, Event] | None:
        return self.seen.wait_for(trigger, predicate, deadline)


class LoopbackDemoReceiver:
    """The minimal receiver: registers the webhooks itself and records parsed deliveries."""

    def __init__(self, receiver: LoopbackReceiver, connection: Connection) -> None:
        self.receiver = receiver
        self.connection = connection
        self.url = receiver.url
        self.webhook_ids: list[Any] = []

    def enable_all(self) -> int:
        with self.connection.client() as client:
            for name, definition in DEMO_TRIGGERS.items():
                body = client.request(
                    "POST",
                    "/v1/webhooks",
                    json={
                        "subscription_url": self.receiver.url,
                        "event_action": definition.v2_event_action,
                        "event_object": definition.event_object,
                        "name": f"pipedrive demo: {name}",
                        "version": "2.0",
                        "http_auth_user": self.receiver.user,
                        "http_auth_password": self.receiver.password,
                    },
                )
                self.webhook_ids.append((body.get("data") or {}).get("id"))
        return len(self.webhook_ids)

    def disable_all(self) -> None:
        with self.connection.client() as client:
            for webhook_id in self.webhook_ids:
                if webhook_id is not None:
                    with contextlib.suppress(Exception):  # the sandbox is about to stop anyway
                        client.request("DELETE", build_path("/v1/webhooks/{id}", id=entity_id(webhook_id)))

    def wait_for(self, trigger: str, predicate: Predicate, deadline: float) -> tuple[float, Event] | None:
        definition = DEMO_TRIGGERS[trigger]
        return self.receiver.wait_for(lambda e: definition.matches(e) and predicate(e), deadline)


@contextmanager
def open_receiver(kind: str, connection: Connection) -> Iterator[DemoReceiver]:
    """``kind`` is ``trigger-app`` or ``loopback``; webhooks are removed on the way out."""
    if kind == "loopback":
        with serve_loopback() as loopback:
            receiver = LoopbackDemoReceiver(loopback, connection)
            try:
                yield receiver
            finally:
                receiver.disable_all()
        return
    from pipedrive_connector.triggers import TriggerApp

    with tempfile.TemporaryDirectory(prefix="pipedrive-demo-") as directory:
        client = connection.client()
        app = TriggerApp(client=client, state_path=Path(directory) / "triggers.db", public_url=None)
        try:
            with serve_in_thread(app.asgi, name="demo-receiver") as url:
                app.public_url = url
                app_receiver = TriggerAppReceiver(app, url)
                try:
                    yield app_receiver
                finally:
                    for name in DEMO_TRIGGERS:
                        with contextlib.suppress(Exception):
                            app.disable(name)
        finally:
            app.close()
            client.close()
