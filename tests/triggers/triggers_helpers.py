"""Helpers for the trigger tests: serving an ASGI app on a free loopback port, Basic auth, waiting."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections import defaultdict
from typing import Any

import httpx
import uvicorn

from pipedrive_connector.triggers import Event, TriggerApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedApp:
    """An ASGI app under uvicorn in a daemon thread (lifespan on)."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("receiver did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def wait_for(condition: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def deliveries(base_url: str) -> list[dict[str, Any]]:
    """The sandbox's delivery log once nothing is queued or waiting for a retry."""
    response = httpx.get(f"{base_url}/_sandbox/deliveries", params={"wait": 1, "timeout": 30}, timeout=40)
    response.raise_for_status()
    assert response.json()["additional_data"]["idle"], "sandbox deliveries did not settle"
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


class Collector:
    """Handlers that record every event per trigger."""

    def __init__(self, app: TriggerApp, triggers: list[str]) -> None:
        self.events: dict[str, list[Event]] = defaultdict(list)
        for name in triggers:
            app.on(name)(self.events[name].append)

    def ids(self) -> dict[str, list[Any]]:
        return {name: [event.entity_id for event in events] for name, events in self.events.items() if events}


def settle(app: TriggerApp, base_url: str) -> list[dict[str, Any]]:
    log = deliveries(base_url)
    wait_for(lambda: not app.store.pending_work())
    return log


def run_sql(state: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQLite-flavoured SQL on a trigger state of either backend (test setup and inspection):
    on PostgreSQL the tables carry the ``trigger_`` prefix and parameters are ``%s``."""
    import re
    import sqlite3

    from pipedrive_connector.triggers.state import is_dsn

    if not is_dsn(state):
        with sqlite3.connect(state) as db:
            return db.execute(query, params).fetchall()
    import psycopg

    query = re.sub(r"\b(inbox|handler_runs|subscriptions|cursors)\b", r"trigger_\1", query).replace("?", "%s")
    with psycopg.connect(state, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def postgres_schema_dsn(dsn: str, schema: str) -> str:
    """``dsn`` with ``search_path`` set to ``schema`` (libpq's ``options`` parameter)."""
    joiner = "&" if "?" in dsn else "?"
    return f"{dsn}{joiner}options=-csearch_path%3D{schema}"
