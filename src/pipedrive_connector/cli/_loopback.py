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
from typing import Any

from pipedrive_connector.serving import serve_in_thread
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


def _asgi(receiver: LoopbackReceiver) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def deliver(request: Request) -> JSONResponse:
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return JSONResponse({"ok": False}, status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return JSONResponse({"ok": False}, status_code=413)
        status = receiver.record(bytes(body), {k.lower(): v for k, v in request.headers.items()})
        return JSONResponse({"ok": status == 200}, status_code=status)

    return Starlette(routes=[Route("/webhooks", deliver, methods=["POST"])])


@contextmanager
def serve_loopback() -> Iterator[LoopbackReceiver]:
    """The receiver on a free loopback port (``serving.serve_in_thread``: bounded slow clients)."""
    receiver = LoopbackReceiver()
    with serve_in_thread(_asgi(receiver), name="demo-loopback-receiver") as base_url:
        receiver.url = f"{base_url}/webhooks"
        yield receiver
