"""The webhook receiver: a framework-neutral core (``Receiver``) and a small ASGI app around it.

Order of checks for ``POST /webhooks/{subscription_id}``: Basic credentials (401), declared and
actual body size (413), JSON and payload shape (400), trigger filter (200, nothing stored), inbox
insert committed to disk (200; a duplicate is 200 too). Only then does Pipedrive get its 2xx.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from pipedrive_connector.triggers.definitions import TriggerDefinition
from pipedrive_connector.triggers.events import Event, WebhookParseError, parse_time, parse_webhook
from pipedrive_connector.triggers.logs import event_context
from pipedrive_connector.triggers.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from pipedrive_connector.triggers.metrics import TriggerMetrics
from pipedrive_connector.triggers.state import InsertOutcome, PendingInsert, Subscription, TriggerState

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_COMMIT_TIMEOUT = 8.0
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class ReceiverResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        return self.payload

    @functools.cached_property
    def payload(self) -> bytes:
        # Cached: the common answers are module constants, encoded once.
        return json.dumps(self.body).encode()


class Receiver:
    """Framework-neutral request handling; adapters pass it the path id, headers and body."""

    def __init__(
        self,
        store: TriggerState,
        resolve_trigger: Callable[[Subscription], TriggerDefinition],
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        on_stored: Callable[[], None] | None = None,
        metrics: TriggerMetrics | None = None,
        commit_timeout: float = DEFAULT_COMMIT_TIMEOUT,
    ) -> None:
        """``commit_timeout``: a delivery whose commit takes longer is answered 503 (a hung
        database must not hold Pipedrive past its 10 s timeout)."""
        self.store = store
        self.resolve_trigger = resolve_trigger
        self.max_body_bytes = max_body_bytes
        self.on_stored = on_stored
        self.metrics = metrics
        self.commit_timeout = commit_timeout
        self._waker: _LoopWaker | None = None

    def authenticate(self, subscription_id: str, authorization: str | None) -> Subscription | None:
        credentials = _basic_credentials(authorization)
        if credentials is None:
            return None
        user, password = credentials
        if not self.store.verify_credentials(subscription_id, user, password):
            return None
        return self.store.get_subscription(subscription_id)

    def handle(self, subscription_id: str, headers: Mapping[str, str], body: bytes) -> ReceiverResponse:
        """The whole request in one call (for adapters that have the body already)."""
        lowered = {key.lower(): value for key, value in headers.items()}
        sub = self.authenticate(subscription_id, lowered.get("authorization"))
        if sub is None:
            return UNAUTHORIZED
        if len(body) > self.max_body_bytes:
            return self.too_large()
        return self.accept(sub, body, lowered)

    def too_large(self) -> ReceiverResponse:
        return ReceiverResponse(413, {"error": f"body larger than {self.max_body_bytes} bytes"})

    def accept(
        self, sub: Subscription, body: bytes, headers: Mapping[str, str] | None = None
    ) -> ReceiverResponse:
        """Parse, filter and durably store an authenticated delivery."""
        checked = self._check(sub, body, headers)
        if isinstance(checked, ReceiverResponse):
            return checked
        event, changed_at = checked
        try:
            outcome = self.store.insert_event(sub, event, changed_at)
        except Exception as exc:
            return _unavailable(exc)
        return self._stored(outcome)

    async def accept_async(
        self, sub: Subscription, body: bytes, headers: Mapping[str, str] | None = None
    ) -> ReceiverResponse:
        """``accept`` for an asyncio event loop: the insert joins the store's next group commit and
        the request waits for that commit without occupying a worker thread."""
        checked = self._check(sub, body, headers)
        if isinstance(checked, ReceiverResponse):
            return checked
        event, changed_at = checked
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another async library: wait in a worker thread instead
            try:
                outcome = await anyio.to_thread.run_sync(self.store.insert_event, sub, event, changed_at)
            except Exception as exc:
                return _unavailable(exc)
            return self._stored(outcome)
        committed: asyncio.Future[PendingInsert] = loop.create_future()
        waker = self._waker
        if waker is None or waker.loop is not loop:
            waker = self._waker = _LoopWaker(loop)
        self.store.submit_event(sub, event, changed_at, functools.partial(waker.resolve, committed))
        timer = loop.call_later(self.commit_timeout, _expire, committed)
        try:
            item = await committed
        except TimeoutError:
            # Safe: if the commit lands later, Pipedrive's retry is acknowledged as a duplicate.
            with event_context(event.event_key):
                return _unavailable(TimeoutError(f"no commit within {self.commit_timeout:g} s"))
        finally:
            timer.cancel()
        if item.error is not None:
            with event_context(event.event_key):
                return _unavailable(item.error)
        return self._stored(item.outcome)

    def _check(
        self, sub: Subscription, body: bytes, headers: Mapping[str, str] | None
    ) -> ReceiverResponse | tuple[Event, float | None]:
        """The response for a delivery that is not stored, or the event and its change time."""
        try:
            event = parse_webhook(body, headers)
        except WebhookParseError as exc:
            return ReceiverResponse(400, {"error": str(exc)})
        trigger = self.resolve_trigger(sub)
        if not trigger.matches(event):
            log.debug("subscription %s: ignored %s.%s", sub.id, event.action, event.object)
            return ReceiverResponse(200, {"ok": True, "ignored": True})
        record = event.record or {}
        moment = parse_time(record.get("update_time")) or event.timestamp
        return event, moment.timestamp() if moment else None

    def _stored(self, outcome: InsertOutcome) -> ReceiverResponse:
        if outcome == "stored" and self.on_stored is not None:
            self.on_stored()
        return STORED if outcome == "stored" else DUPLICATE


class _LoopWaker:
    """Hands committed inserts from the writer thread to one event loop: a batch of commits
    wakes the loop once (``call_soon_threadsafe`` per insert cost a syscall and a thread switch
    each)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[PendingInsert], PendingInsert]] = []
        self._scheduled = False

    def resolve(self, future: asyncio.Future[PendingInsert], item: PendingInsert) -> None:
        """Called on the writer thread once ``item`` is committed (or failed)."""
        with self._lock:
            self._ready.append((future, item))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed: nobody waits any more
            with self._lock:
                self._ready.clear()
                self._scheduled = False

    def _drain(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, []
            self._scheduled = False
        for future, item in ready:
            if not future.done():  # the request may have been cancelled (client went away)
                future.set_result(item)


def _expire(future: asyncio.Future[PendingInsert]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


UNAUTHORIZED = ReceiverResponse(401, {"error": "invalid or missing credentials"})
STORED = ReceiverResponse(200, {"ok": True, "duplicate": False})
DUPLICATE = ReceiverResponse(200, {"ok": True, "duplicate": True})
UNAVAILABLE = ReceiverResponse(503, {"error": "the event store is unavailable, retry later"})


def _unavailable(exc: BaseException) -> ReceiverResponse:
    """The answer when the event could not be stored: 503, so that Pipedrive delivers it again."""
    log.error("could not store a delivery (answered 503): %s: %s", type(exc).__name__, exc)
    return UNAVAILABLE


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class ReceiverApp:
    """ASGI app: ``POST {prefix}/{subscription_id}`` plus ``GET /healthz``, ``/readyz`` and
    ``/metrics`` (when the receiver has metrics). Mount it anywhere.

    ``on_startup``/``on_shutdown`` run on ASGI lifespan events when served directly (a mounted
    sub-app gets no lifespan from Starlette: call ``TriggerApp.start()`` from the host's lifespan).
    """

    def __init__(
        self,
        receiver: Receiver,
        *,
        prefix: str = "/webhooks",
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.receiver = receiver
        self.prefix = prefix.rstrip("/")
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.shutting_down = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if scope["method"] in ("GET", "HEAD") and await self._ops(path, send):
            return
        if not path.startswith(self.prefix + "/"):
            await _respond(send, ReceiverResponse(404, {"error": "not found"}))
            return
        subscription_id = path[len(self.prefix) + 1 :].strip("/")
        if not subscription_id or "/" in subscription_id:
            await _respond(send, ReceiverResponse(404, {"error": "not found"}))
            return
        if scope["method"] != "POST":
            await _respond(send, ReceiverResponse(405, {"error": "use POST"}), {"allow": "POST"})
            return
        await self._post(scope, receive, send, subscription_id)

    async def _post(self, scope: Scope, receive: Receive, send: Send, subscription_id: str) -> None:
        started = time.perf_counter()
        response, extra = await self._answer(receive, scope, subscription_id)
        await _respond(send, response, extra)
        metrics = self.receiver.metrics
        if metrics is not None:
            metrics.delivery(delivery_outcome(response), time.perf_counter() - started)

    async def _answer(
        self, receive: Receive, scope: Scope, subscription_id: str
    ) -> tuple[ReceiverResponse, dict[str, str] | None]:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        # A WAL read and one SHA-256: cheaper inline than a hop to a worker thread and back.
        try:
            sub = self.receiver.authenticate(subscription_id, headers.get("authorization"))
        except Exception as exc:
            return _unavailable(exc), {"retry-after": "5"}
        if sub is None:
            return UNAUTHORIZED, {"www-authenticate": 'Basic realm="pipedrive-webhooks"'}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.receiver.max_body_bytes:
            return self.receiver.too_large(), {"connection": "close"}
        body = await _read_body(receive, self.receiver.max_body_bytes)
        if body is None:
            return self.receiver.too_large(), {"connection": "close"}
        response = await self.receiver.accept_async(sub, body, headers)
        return response, ({"retry-after": "5"} if response.status == 503 else None)

    async def _ops(self, path: str, send: Send) -> bool:
        """``/healthz`` (the process answers), ``/readyz`` (the state database answers and its
        schema is current; 503 otherwise and while shutting down), ``/metrics`` (Prometheus)."""
        if path in ("/healthz", "/health"):
            await _respond(send, ReceiverResponse(200, {"ok": True}))
            return True
        if path == "/readyz":
            problem = "shutting down" if self.shutting_down else None
            if problem is None:
                try:
                    await anyio.to_thread.run_sync(self.receiver.store.check_ready)
                except Exception as exc:
                    problem = str(exc) or type(exc).__name__
            if problem is None:
                await _respond(send, ReceiverResponse(200, {"ok": True, "ready": True}))
            else:
                await _respond(send, ReceiverResponse(503, {"ready": False, "error": problem}))
            return True
        if path == "/metrics" and self.receiver.metrics is not None:
            payload = await anyio.to_thread.run_sync(self.receiver.metrics.render)
            await _send_raw(send, 200, payload, METRICS_CONTENT_TYPE)
            return True
        return False

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.on_startup is not None:
                        await anyio.to_thread.run_sync(self.on_startup)
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.shutting_down = True
                if self.on_shutdown is not None:
                    await anyio.to_thread.run_sync(self.on_shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return


def delivery_outcome(response: ReceiverResponse) -> str:
    """The metrics label of an answered delivery."""
    by_status = {401: "unauthorized", 413: "too_large", 400: "invalid", 503: "unavailable"}
    if response.status in by_status:
        return by_status[response.status]
    if response.body.get("ignored"):
        return "ignored"
    return "duplicate" if response.body.get("duplicate") else "stored"


async def _send_raw(send: Send, status: int, payload: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(
    send: Send, response: ReceiverResponse, extra_headers: dict[str, str] | None = None
) -> None:
    payload = response.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += [(key.encode(), value.encode()) for key, value in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
