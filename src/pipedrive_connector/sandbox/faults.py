"""Opt-in fault injection: latency, 5xx replies, dropped connections, slow responses.

Turned on with ``POST /_sandbox/faults`` (see ``fault_plan.FaultConfig`` for the fields; ``{}`` turns
everything off) and seeded by ``"seed"`` or ``settings.fault_seed``, so runs are reproducible.
``GET /_sandbox/faults`` shows the settings and how many faults were injected. Control-plane paths
(``/_sandbox/*``) are never affected.

Two moments:

- *before* the handler (``error_rate``, ``drop_rate``): the request never reaches the API, so
  nothing was written;
- *after* the handler (``after_rate``, ``after_drop_rate``): the handler ran and committed, then its
  reply is replaced by a 5xx or the connection is dropped. This is what duplicate-create protection
  in clients must survive.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipedrive_connector.sandbox.contracts import SandboxStateLike
from pipedrive_connector.sandbox.fault_plan import FaultConfig, FaultConfigError, FaultPlan
from pipedrive_connector.sandbox.validation import load_json_object

CONTROL_PREFIX = "/_sandbox"
_MESSAGES = {
    500: "Internal server error",
    501: "Not implemented",
    502: "Bad gateway",
    503: "Requested service is not available",
    504: "Gateway timeout",
}


class ConnectionDropped(ConnectionError):
    """Raised to abort a request when no socket is reachable (e.g. under httpx.ASGITransport)."""


def _error_body(status: int) -> bytes:
    return json.dumps(
        {
            "success": False,
            "error": _MESSAGES.get(status, "Requested service is not available"),
            "error_info": "Please check developers.pipedrive.com",
            "data": None,
            "additional_data": None,
        }
    ).encode()


async def _send_error(send: Send, status: int, when: str) -> None:
    body = _error_body(status)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-sandbox-fault", f"error-{when}".encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _find_transport(send: Any, depth: int = 0) -> Any:
    """The client socket's asyncio transport behind ``send``, or None.

    Under uvicorn, the ``send`` callable it hands to the application is a bound method of the
    protocol's request cycle, which holds the transport. Starlette's outer ``ServerErrorMiddleware``
    wraps it in a closure, so the closure cells are searched too (a few levels deep).
    """
    if depth > 4 or send is None:
        return None
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if callable(getattr(transport, "abort", None)):
        return transport
    for cell in getattr(send, "__closure__", None) or ():
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(content):
            found = _find_transport(content, depth + 1)
            if found is not None:
                return found
    return None


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _drop_connection(send: Send) -> None:
    """Close the client's connection without a response.

    Aborting the transport resets the connection, so the client sees "server disconnected without
    sending a response" (httpx: ``RemoteProtocolError``). A few loop turns let uvicorn's
    ``connection_lost`` mark the request as disconnected, so that neither uvicorn nor Starlette tries
    to answer it with a 500 afterwards.

    Without a reachable transport (another server, or an in-process ASGI transport) the fallback
    starts a response and raises ``ConnectionDropped``: a server then has to close the connection
    mid-response, and an in-process client gets the exception.
    """
    transport = _find_transport(send)
    if transport is not None:
        transport.abort()
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
    raise ConnectionDropped("sandbox fault: connection dropped")


class FaultInjector:
    """Outermost middleware; never applies to /_sandbox/ control-plane paths."""

    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state
        self._lock = threading.Lock()
        self.plan = FaultPlan()
        self.counts: dict[str, int] = {}
        self.reset()

    def routes(self) -> list[BaseRoute]:
        """/_sandbox/faults."""
        return [Route("/_sandbox/faults", self._cp, methods=["GET", "POST"])]

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def with_faults(scope: Scope, receive: Receive, send: Send) -> None:
            plan = self.plan
            path = str(scope.get("path", ""))
            if (
                scope["type"] != "http"
                or not plan.config.active
                or path.startswith(CONTROL_PREFIX)
                or not plan.config.applies_to(path)
            ):
                await app(scope, receive, send)
                return
            decision = plan.decide()
            if decision.delay_ms:
                self._count("delayed")
                await asyncio.sleep(decision.delay_ms / 1000)
            if decision.before == "drop":
                self._count("dropped_before")
                # Read the body first: closing a socket with unread bytes makes the kernel answer with
                # a reset, which a client sees as a ReadError now and then instead of "disconnected".
                await _drain(receive)
                await _drop_connection(send)
                return
            if decision.before == "error":
                self._count("errors_before")
                await _send_error(send, decision.status, "before")
                return
            if decision.after is None:
                await app(scope, receive, send)
                return

            async def swallow(message: Message) -> None:
                return None  # the handler's reply is lost

            await app(scope, receive, swallow)
            if decision.after == "drop":
                self._count("dropped_after")
                await _drop_connection(send)
            else:
                self._count("errors_after")
                await _send_error(send, decision.status, "after")

        return with_faults

    def reset(self) -> None:
        """Turn faults off (control-plane reset)."""
        with self._lock:
            self.plan = FaultPlan(FaultConfig(seed=getattr(self.state.settings, "fault_seed", None)))
            self.counts = {}

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {**self.plan.config.to_json(), "injected": dict(self.counts)}

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    async def _cp(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                payload = load_json_object(await request.body())
                if not isinstance(payload, dict):
                    raise FaultConfigError("body must be a JSON object")
                config = FaultConfig.parse(payload, getattr(self.state.settings, "fault_seed", None))
            except (ValueError, UnicodeDecodeError) as exc:
                message = str(exc) if isinstance(exc, FaultConfigError) else "body must be a JSON object"
                return JSONResponse({"success": False, "error": message}, status_code=400)
            with self._lock:
                self.plan = FaultPlan(config)
                self.counts = {}
        return JSONResponse({"success": True, "data": self.describe()})
