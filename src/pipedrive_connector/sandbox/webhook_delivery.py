"""Outgoing webhook deliveries: queue, HTTP POST, retries, the ban rule and the delivery log.

Pipedrive's rules (guide-for-webhooks): success is any 2xx within the timeout (10 s); a failed first
attempt is retried 3 more times after 3, 30 and 150 s; every failed *first* attempt adds one to the
webhook's counter and at 10 the webhook is banned for 30 minutes (events meanwhile are lost), after
which the counter starts again from 0.

Threading: ``enqueue`` may be called from any thread (the event bus publishes from request handlers,
which may run in a worker thread). It only records the work and hands it to the event loop with
``call_soon_threadsafe``; sending happens on that loop, so an API response never waits for a receiver.
First attempts to one webhook go out in event order (one queue and one sender task per webhook);
retries are scheduled beside that queue so a failing receiver does not hold back later events.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from pipedrive_connector.sandbox.contracts import ChangeEvent, Clock
from pipedrive_connector.sandbox.webhook_payloads import event_name
from pipedrive_connector.sandbox.webhook_store import Webhook, api_time

logger = logging.getLogger("pipedrive_connector.sandbox.webhooks")

BAN_THRESHOLD = 10
BAN_DURATION = timedelta(minutes=30)
LOG_LIMIT = 10_000

PayloadBuilder = Callable[[ChangeEvent, Webhook, int, str], dict[str, Any]]


@dataclass
class DeliveryConfig:
    retry_delays: tuple[float, ...]
    ban_enabled: bool
    timeout_seconds: float


@dataclass
class Delivery:
    """One event for one webhook; ``event_id`` is kept across its attempts (receivers dedupe on it)."""

    webhook: Webhook
    event: ChangeEvent
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class BanState:
    first_attempt_failures: int = 0
    banned_until: datetime | None = None


class DeliveryLog:
    """Every attempt, newest last; bounded so a long-running sandbox does not grow without end.

    Each entry gets an ``id`` (1, 2, ... in order of logging) that names it for a resend.
    """

    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            logged = {"id": next(self._ids), **entry}
            self._entries.append(logged)
        return logged

    def get(self, entry_id: int) -> dict[str, Any] | None:
        with self._lock:
            return next((e for e in self._entries if e["id"] == entry_id), None)

    def list(self, webhook_id: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._entries if webhook_id is None or e["webhook_id"] == webhook_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class DeliveryWorker:
    def __init__(
        self,
        clock: Clock,
        config: DeliveryConfig,
        build_payload: PayloadBuilder,
        on_attempt: Callable[[Webhook, str, int | None, bool], None],
        is_subscribed: Callable[[int], bool] = lambda webhook_id: True,
    ) -> None:
        self.clock = clock
        self.config = config
        self.log = DeliveryLog()
        self._build_payload = build_payload
        self._on_attempt = on_attempt
        self._is_subscribed = is_subscribed
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._queues: dict[int, asyncio.Queue[Delivery]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._bans: dict[int, BanState] = {}
        self._lock = threading.Lock()
        self._outstanding = 0  # deliveries queued, in flight or waiting for a retry
        self._early: list[Delivery] = []  # enqueued before the loop was known
        self._generation = 0  # bumped by reset(): stale retries and queued work are dropped

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        with self._lock:
            early, self._early = self._early, []
        for delivery in early:
            self._accept(delivery, self._generation)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._queues.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._loop = None
        with self._lock:
            self._outstanding = 0

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._outstanding = 0
            self._early.clear()
            self._bans.clear()
        self.log.clear()
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self._cancel_tasks)

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self._queues.clear()

    # -- intake --------------------------------------------------------------------------------------

    def enqueue(self, delivery: Delivery) -> None:
        """Thread-safe; never blocks."""
        loop = self._loop
        if loop is None:
            with contextlib.suppress(RuntimeError):
                loop = asyncio.get_running_loop()  # e.g. an ASGI transport without lifespan
                self._loop = loop
        with self._lock:
            self._outstanding += 1
            generation = self._generation
            if loop is None or not loop.is_running():
                self._early.append(delivery)
                return
        loop.call_soon_threadsafe(self._accept, delivery, generation)

    def _accept(self, delivery: Delivery, generation: int) -> None:
        if generation != self._generation:
            return
        queue = self._queues.get(delivery.webhook.id)
        if queue is None:
            queue = asyncio.Queue()
            self._queues[delivery.webhook.id] = queue
            self._spawn(self._sender(delivery.webhook.id, queue, generation))
        queue.put_nowait(delivery)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def outstanding(self) -> int:
        with self._lock:
            return self._outstanding

    def _finish(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation and self._outstanding > 0:
                self._outstanding -= 1

    async def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued, in flight or waiting for a retry; False on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.outstanding > 0:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    # -- sending ---------------------------------------------------------------------------------

    async def _sender(self, webhook_id: int, queue: asyncio.Queue[Delivery], generation: int) -> None:
        while True:
            delivery = await queue.get()
            if generation != self._generation:
                return
            try:
                if not self._is_subscribed(webhook_id) or self._banned(delivery):
                    self._finish(generation)
                    continue
                ok = await self._attempt(delivery, 1)
                if ok:
                    self._finish(generation)
                else:
                    self._count_first_failure(delivery.webhook.id)
                    self._spawn(self._retry(delivery, generation))
            except Exception:  # a bug here must not kill the webhook's queue
                logger.exception("webhook %s: delivery crashed", webhook_id)
                self._finish(generation)

    async def _retry(self, delivery: Delivery, generation: int) -> None:
        try:
            for number, delay in enumerate(self.config.retry_delays, start=2):
                await asyncio.sleep(max(0.0, delay))
                if generation != self._generation or not self._is_subscribed(delivery.webhook.id):
                    return
                if await self._attempt(delivery, number):
                    return
        finally:
            self._finish(generation)

    def _banned(self, delivery: Delivery) -> bool:
        state = self._bans.get(delivery.webhook.id)
        if state is None or state.banned_until is None:
            return False
        now = self.clock.now()
        if now >= state.banned_until:
            state.banned_until = None
            state.first_attempt_failures = 0
            return False
        self.log.add(
            self._entry(
                delivery,
                attempt=1,
                status=None,
                error=f"webhook banned until {api_time(state.banned_until)}; event lost",
                ok=False,
                body=None,
            )
        )
        return True

    def is_banned(self, webhook_id: int) -> bool:
        state = self._bans.get(webhook_id)
        return bool(state and state.banned_until and self.clock.now() < state.banned_until)

    def _count_first_failure(self, webhook_id: int) -> None:
        if not self.config.ban_enabled:
            return
        state = self._bans.setdefault(webhook_id, BanState())
        state.first_attempt_failures += 1
        if state.first_attempt_failures >= BAN_THRESHOLD:
            state.banned_until = self.clock.now() + BAN_DURATION
            logger.warning(
                "webhook %s banned for 30 minutes after %s failed deliveries", webhook_id, BAN_THRESHOLD
            )

    async def _attempt(self, delivery: Delivery, attempt: int) -> bool:
        webhook = delivery.webhook
        body = self._build_payload(delivery.event, webhook, attempt, delivery.event_id)
        status, error, latency_ms = await self._post(webhook, body)
        ok = status is not None and 200 <= status < 300
        now_text = api_time(self.clock.now())
        self._on_attempt(webhook, now_text, status, ok)
        self.log.add({**self._entry(delivery, attempt, status, error, ok, body), "latency_ms": latency_ms})
        if not ok:
            logger.info("webhook %s attempt %s failed: %s", webhook.id, attempt, error or f"HTTP {status}")
        return ok

    async def resend(self, webhook: Webhook, entry: dict[str, Any]) -> dict[str, Any]:
        """POST a logged attempt's body again (the console's "resend"); the new attempt is logged,
        with ``resent_from`` naming the entry it repeats, and returned."""
        status, error, latency_ms = await self._post(webhook, entry["body"])
        ok = status is not None and 200 <= status < 300
        self._on_attempt(webhook, api_time(self.clock.now()), status, ok)
        fresh = {
            **{key: value for key, value in entry.items() if key != "id"},
            "status_code": status,
            "error": error,
            "ok": ok,
            "acknowledged": ok,
            "time": api_time(self.clock.now()),
            "latency_ms": latency_ms,
            "resent_from": entry["id"],
        }
        return self.log.add(fresh)

    async def _post(self, webhook: Webhook, body: dict[str, Any]) -> tuple[int | None, str | None, float]:
        """One POST of ``body``: (status or None, error text or None, milliseconds taken)."""
        auth = httpx.Auth()  # the base class sends requests unchanged
        if webhook.http_auth_user is not None:
            auth = httpx.BasicAuth(webhook.http_auth_user, webhook.http_auth_password or "")
        status: int | None = None
        error: str | None = None
        if self._client is None:  # a resend before the lifespan started (an ASGI transport)
            self._client = httpx.AsyncClient(follow_redirects=False)
        started = time.perf_counter()
        try:
            response = await self._client.post(
                webhook.subscription_url,
                json=body,
                auth=auth,
                timeout=self.config.timeout_seconds,
                headers={"user-agent": "Pipedrive-Webhooks (sandbox)"},
            )
            status = response.status_code
        except httpx.TimeoutException:
            error = f"timeout after {self.config.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            # The exception text names the URL only (never the credentials, which travel in a header).
            error = f"{type(exc).__name__}: {exc}"
        return status, error, round((time.perf_counter() - started) * 1000, 1)

    def _entry(
        self,
        delivery: Delivery,
        attempt: int,
        status: int | None,
        error: str | None,
        ok: bool,
        body: dict[str, Any] | None,
    ) -> dict[str, Any]:
        return {
            "webhook_id": delivery.webhook.id,
            "event_id": delivery.event_id,
            "event": event_name(delivery.event),
            "entity_id": delivery.event.entity_id,
            "attempt": attempt,
            "status_code": status,
            "error": error,
            "ok": ok,
            "acknowledged": ok,
            "time": api_time(self.clock.now()),
            "version": delivery.webhook.version,
            "body": body,
        }
