"""Helpers every resource uses: the state and principal of a request, envelopes, change events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.contracts import ChangeAction, ChangeEvent, EntityName, Principal

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

PURGE_AFTER = timedelta(days=30)
PURGE_EVERY = timedelta(minutes=1)
# state → sandbox time of its last purge
_LAST_PURGE: WeakKeyDictionary[Any, datetime] = WeakKeyDictionary()


def sandbox(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def principal(request: Request) -> Principal:
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    return Principal(user_id=1, company_id=1, auth_kind="api_token", credential_id="anonymous")


def ok(data: Any, *, status: int = 200, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "data": data}
    body.update(extra)
    return JSONResponse(body, status_code=status)


def now_iso(state: SandboxState) -> str:
    return timefmt.iso(state.clock.now())


def v1_routes(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
    """A v1 route under both prefixes Pipedrive serves: ``/v1`` and ``/api/v1``."""
    return [
        Route(f"/v1{path}", endpoint, methods=methods),
        Route(f"/api/v1{path}", endpoint, methods=methods),
    ]


def v2_route(path: str, endpoint: Any, methods: list[str]) -> BaseRoute:
    return Route(f"/api/v2{path}", endpoint, methods=methods)


def purge_expired(state: SandboxState, kind: str | None = None) -> None:
    """Soft-deleted entities disappear for good 30 days (sandbox clock) after their deletion.

    Cheap enough to call on every request: the (indexed) purge runs when the sandbox clock has
    moved a minute or more since the last one, so a record can outlive its 30 days by up to a
    minute. ``POST /_sandbox/clock`` purges at once (``purge_now``). ``kind`` is ignored: every
    kind is purged.
    """
    now = state.clock.now()
    last = _LAST_PURGE.get(state)
    if last is None or abs(now - last) >= PURGE_EVERY:
        purge_now(state, now)


def purge_now(state: SandboxState, now: datetime | None = None) -> int:
    """Remove the soft-deleted records whose 30 days are over; returns how many."""
    now = now or state.clock.now()
    _LAST_PURGE[state] = now
    return state.store.purge_deleted(timefmt.iso(now - PURGE_AFTER))


def publish(
    state: SandboxState,
    request: Request,
    entity: EntityName,
    action: ChangeAction,
    entity_id: int | str,
    *,
    current_v1: dict[str, Any] | None,
    previous_v1: dict[str, Any] | None,
    current_v2: dict[str, Any] | None,
    previous_v2: dict[str, Any] | None,
    merged_to_id: int | None = None,
    merged_from_id: int | None = None,
) -> None:
    """Announce a committed change (webhooks subscribe to the bus)."""
    who = principal(request)
    state.bus.publish(
        ChangeEvent(
            entity=entity,
            action=action,
            entity_id=entity_id,
            user_id=who.user_id,
            company_id=who.company_id,
            timestamp=state.clock.now(),
            current_v1=current_v1,
            previous_v1=previous_v1,
            current_v2=current_v2,
            previous_v2=previous_v2,
            change_source="api",
            correlation_id=request.headers.get("x-correlation-id", ""),
            merged_to_id=merged_to_id,
            merged_from_id=merged_from_id,
        )
    )
