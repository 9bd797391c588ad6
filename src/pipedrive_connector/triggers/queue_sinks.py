"""Sinks that hand each event to a queue, exactly once per event even when it is handled again
(a dispatcher that died after publishing but before recording it, a replay).

- ``RedisStreamSink``: ``XADD`` to a stream, guarded by a marker key in one Lua script, so the
  check and the add are atomic: a second run of the same event adds nothing. Markers expire after
  ``marker_days`` (a replay after that adds the event again).
- ``NatsSink``: a JetStream publish with ``Nats-Msg-Id``, so the server drops a repeat within the
  stream's duplicate window (two minutes unless the stream says otherwise).

The id of an event in a queue is ``<trigger>:<event key>``: one Pipedrive change can fire two
triggers (``updatedDeal`` and a ``fieldChanged``), and each must land. Targets are written
``URL#name`` (``redis://host:6379/0#deals``, ``nats://host:4222#pipedrive.deals``); neither URL
(which may carry a password) appears in sink names or errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from pipedrive_connector.triggers.events import Event
from pipedrive_connector.triggers.sinks import SinkError, safe_url

# Atomic check-and-add: the marker is written only after XADD succeeded (a script that fails
# half-way keeps what it wrote, so the order matters).
_XADD_ONCE = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return false
end
local id = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'document', ARGV[2])
redis.call('SET', KEYS[2], id, 'EX', ARGV[3])
return id
"""


def queue_id(event: Event) -> str:
    return f"{event.trigger}:{event.event_key}"


def split_target(target: str, option: str, schemes: tuple[str, ...]) -> tuple[str, str]:
    """``URL#name`` as (URL, name), or ValueError naming the option and what is wrong."""
    url, _, name = target.partition("#")
    scheme = urlsplit(url).scheme
    if scheme not in schemes or not urlsplit(url).hostname:
        raise ValueError(f"{option} needs a {'/'.join(schemes)}:// URL, got {safe_url(url)!r}")
    if not name:
        raise ValueError(f"{option} needs the target after '#', e.g. {scheme}://host#name")
    return url, name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class RedisStreamSink:
    """``XADD`` each event (fields ``id`` and ``document``) to a Redis stream, once per event."""

    def __init__(
        self, target: str, document: Any, *, marker_days: float = 7.0, timeout: float = 10.0
    ) -> None:
        import redis

        self.url, self.stream = split_target(target, "--redis-stream", ("redis", "rediss"))
        self.document = document
        self.marker_seconds = max(1, int(marker_days * 86400))
        self.name = f"redis-stream:{_digest(self.url)}:{self.stream}"
        self._client = redis.Redis.from_url(self.url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._script = self._client.register_script(_XADD_ONCE)

    def marker_key(self, event: Event) -> str:
        return f"{self.stream}:pipedrive-seen:{queue_id(event)}"

    def __call__(self, event: Event) -> None:
        import redis

        payload = json.dumps(self.document(event), default=str, sort_keys=True)
        try:
            self._script(
                keys=[self.stream, self.marker_key(event)],
                args=[queue_id(event), payload, self.marker_seconds],
            )
        except redis.RedisError as exc:
            raise SinkError(
                f"XADD to {safe_url(self.url)}#{self.stream} failed: {type(exc).__name__}"
            ) from None

    def close(self) -> None:
        self._client.close()


class NatsSink:
    """Publish each event to a JetStream subject with ``Nats-Msg-Id`` (the server deduplicates).

    nats-py is asyncio-only; the sink runs its own event loop in a thread so that it can be called
    from the dispatcher's thread like any other handler.
    """

    def __init__(self, target: str, document: Any, *, timeout: float = 10.0) -> None:
        self.url, self.subject = split_target(target, "--nats", ("nats", "tls"))
        self.document = document
        self.timeout = timeout
        self.name = f"nats:{_digest(self.url)}:{self.subject}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="pipedrive-nats-sink", daemon=True
        )
        self._thread.start()
        self._connection: Any = None

    def __call__(self, event: Event) -> None:
        payload = json.dumps(self.document(event), default=str, sort_keys=True).encode()
        future = asyncio.run_coroutine_threadsafe(self._publish(payload, queue_id(event)), self._loop)
        try:
            future.result(self.timeout * 2)
        except Exception as exc:
            future.cancel()
            raise SinkError(
                f"publish to {safe_url(self.url)}#{self.subject} failed: {type(exc).__name__}: {exc}"
            ) from None

    async def _publish(self, payload: bytes, msg_id: str) -> None:
        import nats

        if self._connection is None or self._connection.is_closed:
            self._connection = await nats.connect(
                self.url, connect_timeout=self.timeout, max_reconnect_attempts=3, allow_reconnect=True
            )
        stream = self._connection.jetstream(timeout=self.timeout)
        await stream.publish(self.subject, payload, headers={"Nats-Msg-Id": msg_id})

    def close(self) -> None:
        async def shut() -> None:
            if self._connection is not None and not self._connection.is_closed:
                await self._connection.close()

        if self._loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(shut(), self._loop).result(self.timeout)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(self.timeout)
