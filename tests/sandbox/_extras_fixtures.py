"""Helpers for the webhook / OAuth / rate-limit / fault tests: a sandbox over a socket and a receiver.

The receiver is a real HTTP server on a free loopback port (``http.server`` in a thread) that records
every request and answers with scripted statuses, so webhook deliveries are checked end to end.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from pipedrive_connector.sandbox import SandboxSettings, run_sandbox


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any

    def basic_auth(self) -> tuple[str, str] | None:
        header = self.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then default_status
    default_status: int = 200
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default_status

    def record(self, item: Received) -> None:
        with self.lock:
            self.requests.append(item)

    def bodies(self) -> list[Any]:
        with self.lock:
            return [r.body for r in self.requests]


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.record(Received(self.path, headers, body))
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return None

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(Receiver(url="")))
    # Rebuild the handler around the receiver once the port is known.
    port = server.server_address[1]
    found = Receiver(url=f"http://127.0.0.1:{port}/hook")
    server.RequestHandlerClass = _handler_for(found)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class ExtrasSandbox:
    base_url: str
    api_token: str
    state: Any
    api: httpx.Client  # authenticated as the admin (user 1)
    cp: httpx.Client  # the control plane (no auth)

    def user_client(self, user_id: int) -> httpx.Client:
        token = self.state.user_token(user_id)
        return httpx.Client(base_url=self.base_url, headers={"x-api-token": token}, timeout=10)

    def flush(self) -> None:
        response = self.cp.post("/_sandbox/webhooks/flush", params={"timeout": 10})
        assert response.status_code == 200, response.text

    def deliveries(self, webhook_id: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"wait": 1}
        if webhook_id is not None:
            params["webhook_id"] = webhook_id
        response = self.cp.get("/_sandbox/deliveries", params=params)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def advance(self, seconds: float) -> None:
        response = self.cp.post("/_sandbox/clock", json={"advance_seconds": seconds})
        assert response.status_code == 200, response.text

    def add_webhook(self, url: str, **fields: Any) -> dict[str, Any]:
        body = {"subscription_url": url, "event_action": "*", "event_object": "*", "name": "test hook"}
        body.update(fields)
        response = self.api.post("/v1/webhooks", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@pytest.fixture(scope="module")
def _extras_server() -> Iterator[Any]:
    with run_sandbox(SandboxSettings(api_token="extras-token", seed="demo")) as sb:
        yield sb


@pytest.fixture
def extras(_extras_server: Any) -> Iterator[ExtrasSandbox]:
    """A running demo sandbox, reset before the test, with fast webhook retries."""
    sb = _extras_server
    cp = httpx.Client(base_url=sb.base_url, timeout=15)
    api = httpx.Client(base_url=sb.base_url, headers={"x-api-token": sb.api_token}, timeout=10)
    assert cp.post("/_sandbox/reset", json={"seed": "demo"}).status_code == 200
    settings = {"retry_delays": [0.05, 0.05, 0.05], "ban_enabled": True, "timeout_seconds": 2}
    assert cp.post("/_sandbox/webhooks/settings", json=settings).status_code == 200
    try:
        yield ExtrasSandbox(sb.base_url, sb.api_token, sb.state, api, cp)
    finally:
        cp.post("/_sandbox/faults", json={})
        cp.post("/_sandbox/rate-limit", json={"plan": "off"})
        api.close()
        cp.close()
