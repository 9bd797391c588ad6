"""Shared types inside the sandbox: the clock, the authenticated principal and change events.

The sandbox is built from independent modules (entities and serializers, webhooks out, the OAuth
server, the rate limiter, fault injection). They meet only through the types in this file and the
``SandboxState`` object that ``app.create_app`` builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

EntityName = Literal[
    "deal", "person", "organization", "activity", "lead", "note", "pipeline", "stage", "user", "product"
]
ChangeAction = Literal["create", "change", "delete"]
AuthKind = Literal["api_token", "oauth"]


class Clock:
    """The sandbox's notion of "now": real time plus an offset the control plane can move forward."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def reset(self) -> None:
        """Back to real time (the pytest fixture does this between tests)."""
        with self._lock:
            self._offset = timedelta(0)

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()


@dataclass(frozen=True)
class Principal:
    """Who made a request. Set by the auth middleware as ``request.state.principal``."""

    user_id: int
    company_id: int
    auth_kind: AuthKind
    # Identifies the credential for per-token rate limiting (never the secret itself).
    credential_id: str
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ChangeEvent:
    """One add, update or delete of an entity, published after the store committed it.

    The entity module serializes both API versions so that consumers (webhooks out) need not know
    entity shapes: ``*_v1`` are legacy API v1 objects (the webhook v1 ``current``/``previous``),
    ``*_v2`` are API v2 objects (the webhook v2 ``data``; ``previous`` is computed by the consumer
    as the changed fields only).
    """

    entity: EntityName
    action: ChangeAction
    entity_id: int | str
    user_id: int
    company_id: int
    timestamp: datetime
    current_v1: dict[str, Any] | None
    previous_v1: dict[str, Any] | None
    current_v2: dict[str, Any] | None
    previous_v2: dict[str, Any] | None
    change_source: Literal["api", "app"] = "api"
    correlation_id: str = ""
    # Set on merge events: the id the entity was merged into / from.
    merged_to_id: int | None = None
    merged_from_id: int | None = None


Subscriber = Callable[[ChangeEvent], None]


@dataclass
class EventBus:
    """Synchronous fan-out of committed changes. Subscribers must not block (schedule work instead)."""

    _subscribers: list[Subscriber] = field(default_factory=list)

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, event: ChangeEvent) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)


class SandboxStateLike:
    """What the pluggable modules (webhooks, oauth, ratelimit, faults) may use of ``SandboxState``.

    ``state.py`` defines the real class; this documents the subset the plug-ins rely on.
    """

    settings: Any  # SandboxSettings
    clock: Clock
    bus: EventBus
    db: Any  # sqlite3.Connection (check_same_thread=False); guard every use with db_lock
    db_lock: threading.RLock
