"""A minimal loopback webhook receiver for ``pipedrive demo``: Basic-auth checked, events recorded.

It parses each delivery with ``pipedrive_connector.triggers.parse_webhook`` and keeps the events in
memory; ``wait_for`` blocks until a predicate matches one of them (bounded).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pipedrive_connector.triggers import Event, parse_webhook

MAX_BODY = 1_000_000


class LoopbackReceiver:
    def __init__(self) -> None:
        self.user = "demo"
        self.password = secrets.token_urlsafe(18)
        self.events: list[tuple[float, Event]] = []
        self.rejected = 0
        self._changed = threading.Condition()
        self.url = ""

    def _authorized(self, header: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header is not None and hmac.compare_digest(header.encode(), expected.encode())

    def record(self, body: bytes, headers: dict[str, str]) -> int:
        if not self._authorized(headers.get("authorization")):
            self.rejected += 1
            return 401
        try:
            event = parse_webhook(body, headers)
        except Exception:  # a body we cannot read is acknowledged (Pipedrive would retry otherwise)
            self.rejected += 1
            return 200
        with self._changed:
            self.events.append((time.monotonic(), event))
            self._changed.notify_all()
        return 200

    def wait_for(self, predicate: Callable[[Event], bool], deadline: float) -> tuple[float, Event] | None:
        """The first recorded event matching ``predicate``, waiting until the monotonic ``deadline``."""
        with self._changed:
            while True:
                for seen_at, event in self.events:
                    if predicate(event):
                        return seen_at, event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)


def _handler(receiver: LoopbackReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.record(body, headers)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status == 200 else b'{"ok": false}')

        def log_message(self, format: str, *args: Any) -> None:  # keep the demo's output clean
            return

    return Handler


@contextmanager
def serve_loopback() -> Iterator[LoopbackReceiver]:
    receiver = LoopbackReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
