"""Polling: the same events as webhooks, from the v2 lists sorted by ``update_time``.

For hosts without a public URL, and to heal gaps (receiver down, webhook banned or deleted). Each
polled record becomes an Event whose ``content_key`` (object, id, action, update_time) equals the
one a webhook delivery of that change carries, so the inbox stores the change once whichever way it
arrives first. Polling sees additions and updates; deletions and field changes need webhooks
(a list shows neither deleted records nor previous values).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipedrive_connector.client.paths import build_path
from pipedrive_connector.triggers.definitions import FieldChangeTrigger, TriggerDefinition
from pipedrive_connector.triggers.events import Action, Event, content_key, parse_time
from pipedrive_connector.triggers.lifecycle import RequestClient
from pipedrive_connector.triggers.state import Subscription, TriggerState

PAGE_LIMIT = 500


class PollingNotSupported(ValueError):
    """The trigger cannot be served by polling."""


@dataclass(frozen=True)
class PollResult:
    subscription_id: str
    since: float
    cursor: float
    seen: int
    stored: int
    duplicates: int


def check_pollable(trigger: TriggerDefinition) -> None:
    if isinstance(trigger, FieldChangeTrigger):
        raise PollingNotSupported(f"{trigger.name} needs previous values, which only webhooks carry")
    if trigger.action not in ("added", "updated"):
        raise PollingNotSupported(f"{trigger.name}: deleted records do not appear in Pipedrive's lists")


def rfc3339(epoch: float) -> str:
    """Whole seconds, rounded down (v2 ``updated_since`` rejects fractions)."""
    return datetime.fromtimestamp(math.floor(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Re-read this much before the cursor: a change committed late can carry an update_time older than a
# change already listed. Content keys make the re-read events duplicates, so the overlap costs nothing.
CURSOR_OVERLAP_SECONDS = 60.0


def start_point(store: TriggerState, sub: Subscription) -> float:
    """Where catch-up or polling resumes: the poll cursor (less an overlap), else the subscription's start.

    Only a poll proves that nothing before a point is missing. The newest change a webhook delivered
    proves nothing: deliveries Pipedrive gave up on during downtime are older than it.
    """
    cursor = store.cursor(sub.id)
    if cursor is None:
        return sub.created_at
    return max(sub.created_at, cursor - CURSOR_OVERLAP_SECONDS)


def poll_subscription(
    client: RequestClient,
    store: TriggerState,
    sub: Subscription,
    trigger: TriggerDefinition,
    *,
    since: float | None = None,
) -> tuple[PollResult, list[Event]]:
    """One pass over the changes since the cursor; stores new events and advances the cursor."""
    check_pollable(trigger)
    start = start_point(store, sub) if since is None else since
    floor = math.floor(start)
    params: dict[str, Any] = {
        "updated_since": rfc3339(floor),
        "sort_by": "update_time",
        "sort_direction": "asc",
        "limit": PAGE_LIMIT,
        **trigger.poll_params,
    }
    cursor = float(floor)
    seen = stored = duplicates = 0
    new_events: list[Event] = []
    path = build_path("/api/v2/{collection}", collection=trigger.collection)
    while True:
        envelope = client.request("GET", path, params=params)
        records = envelope.get("data") or []
        for record in records:
            if not isinstance(record, dict):
                continue
            seen += 1
            updated = parse_time(record.get("update_time")) or parse_time(record.get("add_time"))
            if updated is not None:
                cursor = max(cursor, updated.timestamp())
            event = event_from_record(trigger, record, floor)
            if event is None:
                continue
            changed_at = updated.timestamp() if updated else None
            if store.insert_event(sub, event, changed_at) == "stored":
                stored += 1
                new_events.append(event)
            else:
                duplicates += 1
        next_cursor = (envelope.get("additional_data") or {}).get("next_cursor")
        if not next_cursor or next_cursor == params.get("cursor"):
            break
        params["cursor"] = next_cursor
    store.set_cursor(sub.id, cursor)
    return PollResult(sub.id, float(floor), cursor, seen, stored, duplicates), new_events


def event_from_record(trigger: TriggerDefinition, record: dict[str, Any], since: float) -> Event | None:
    """The trigger's event for a listed record, or None when the record is not such a change."""
    added = parse_time(record.get("add_time"))
    updated = parse_time(record.get("update_time")) or added
    entity_id = record.get("id")
    action: Action
    is_new = added is not None and added.timestamp() >= since
    # A "new or updated" trigger (also=added) reports a record changed after its creation as updated.
    untouched = (
        updated is None or added is None or math.floor(updated.timestamp()) <= math.floor(added.timestamp())
    )
    if trigger.action == "added" or ("added" in trigger.also and is_new and untouched):
        if added is None or not is_new:
            return None
        action = "added"
        moment = added
    else:
        # A record whose update_time is its add_time has not been updated since it was created.
        if updated is None or (
            added is not None and math.floor(updated.timestamp()) <= math.floor(added.timestamp())
        ):
            return None
        action = "updated"
        moment = updated
    key = content_key(trigger.event_object, entity_id, action, record.get("update_time"))
    return Event(
        object=trigger.event_object,
        action=action,
        entity_id=entity_id if isinstance(entity_id, int | str) else None,
        output=record,
        previous=None,
        changed=(),
        event_key=f"poll:{key}",
        content_key=key,
        timestamp=moment,
        attempt=1,
        version="poll",
        source="poll",
        meta={"polled_at": time.time()},
    )
