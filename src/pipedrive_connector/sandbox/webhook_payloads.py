"""Which webhooks an event goes to, and the v1 / v2 bodies Pipedrive sends for it.

Shapes follow Pipedrive's webhook guides (v1: ``v``, ``meta``, ``current``, ``previous``, ``event``,
``retry``; v2: ``meta`` with string ids, the event UUID ``id`` and ``attempt``, ``data``, and a
``previous`` holding only the changed fields on ``change``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipedrive_connector.sandbox.contracts import ChangeEvent
from pipedrive_connector.sandbox.webhook_store import Webhook, api_time

V2_ACTIONS = ("create", "change", "delete")
V1_ACTION_NAMES = {"added": "create", "updated": "change", "deleted": "delete"}
EVENT_ACTIONS = (*V2_ACTIONS, "*", "added", "updated", "merged", "deleted")
EVENT_OBJECTS = (
    "activity",
    "deal",
    "lead",
    "note",
    "organization",
    "person",
    "pipeline",
    "product",
    "stage",
    "user",
    "*",
)
_V1_ACTION_OF = {"create": "added", "change": "updated", "delete": "deleted"}


def is_merge(event: ChangeEvent) -> bool:
    return event.action == "change" and event.merged_from_id is not None


def matches(webhook: Webhook, event: ChangeEvent) -> bool:
    """``*`` matches everything; v1 action names are aliases of the v2 ones (added = create ...).

    ``merged`` matches only the change event of a merge (the surviving entity).
    """
    if webhook.event_object not in ("*", event.entity):
        return False
    action = webhook.event_action
    if action == "*":
        return True
    if action == "merged":
        return is_merge(event)
    return V1_ACTION_NAMES.get(action, action) == event.action


def event_name(event: ChangeEvent) -> str:
    """``create.deal`` style, for logs."""
    return f"{event.action}.{event.entity}"


def _permitted_user_ids(event: ChangeEvent, webhook: Webhook) -> list[int]:
    ids = {event.user_id, webhook.user_id}
    for snapshot in (event.current_v2, event.previous_v2):
        owner = (snapshot or {}).get("owner_id")
        if isinstance(owner, int):
            ids.add(owner)
    return sorted(ids)


def v1_payload(
    event: ChangeEvent, webhook: Webhook, attempt: int, host: str, company_id: int
) -> dict[str, Any]:
    action = "merged" if is_merge(event) else _V1_ACTION_OF[event.action]
    stamp: datetime = event.timestamp
    micro = int(stamp.timestamp() * 1_000_000)
    matches_filters: dict[str, list[int]] = {"current": [], "previous": []}
    meta: dict[str, Any] = {
        "v": 1,
        "action": action,
        "object": event.entity,
        "change_source": event.change_source,
        "id": event.entity_id,
        "company_id": company_id,
        "user_id": event.user_id,
        "host": host,
        "timestamp": micro // 1_000_000,
        "timestamp_micro": micro,
        "permitted_user_ids": _permitted_user_ids(event, webhook),
        "trans_pending": False,
        "is_bulk_update": False,
        "pipedrive_service_name": False,
        "matches_filters": matches_filters,
        "webhook_id": webhook.id,
    }
    if event.entity == "activity":
        meta["send_activity_notifications"] = False
        meta["activity_notifications_language"] = "en_US"
    current: Any = event.current_v1
    previous: Any = event.previous_v1
    if event.entity == "user":  # user events carry one-element lists
        current = [current] if current is not None else None
        previous = [previous] if previous is not None else None
    return {
        "v": 1,
        "matches_filters": matches_filters,
        "meta": meta,
        "retry": attempt - 1,
        "current": current,
        "previous": previous,
        "event": f"{action}.{event.entity}",
    }


def changed_fields(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The previous values of the fields that changed; custom fields compared one by one."""
    changed: dict[str, Any] = {}
    for key, old in previous.items():
        new = current.get(key)
        if key == "custom_fields" and isinstance(old, dict) and isinstance(new, dict):
            custom = {k: v for k, v in old.items() if new.get(k) != v}
            custom.update({k: None for k in new if k not in old})
            if custom:
                changed[key] = custom
        elif old != new:
            changed[key] = old
    for key in current.keys() - previous.keys():
        changed[key] = None
    return changed


def typed_custom_value(field_type: str, value: Any) -> Any:
    """One custom field in the typed form webhooks v2 use (differs from API v2): ``{"type": ..., ...}``."""
    if value is None:
        return None
    if field_type == "enum":
        return {"type": "enum", "id": value.get("id") if isinstance(value, dict) else value}
    if field_type == "set":
        items = value if isinstance(value, list) else [value]
        return {"type": "set", "values": [{"id": i.get("id") if isinstance(i, dict) else i} for i in items]}
    if field_type in ("people", "org", "user"):
        found = value.get("id", value.get("value")) if isinstance(value, dict) else value
        return {"type": field_type, "id": found}
    if isinstance(value, dict):  # monetary {value, currency}, ranges {from, until}, address parts
        return {"type": field_type, **value}
    return {"type": field_type, "value": value}


def typed_custom_fields(
    snapshot: dict[str, Any] | None, field_types: dict[str, str]
) -> dict[str, Any] | None:
    """``snapshot`` with its ``custom_fields`` in the webhook v2 typed form (unknown keys unchanged)."""
    if not snapshot or not isinstance(snapshot.get("custom_fields"), dict):
        return snapshot
    typed = {
        key: typed_custom_value(field_types[key], value) if key in field_types else value
        for key, value in snapshot["custom_fields"].items()
    }
    return {**snapshot, "custom_fields": typed}


def v2_payload(
    event: ChangeEvent,
    webhook: Webhook,
    attempt: int,
    event_id: str,
    host: str,
    company_id: int,
    field_types: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "action": event.action,
        "entity": event.entity,
        "company_id": str(company_id),
        "correlation_id": event.correlation_id or event_id,
        "entity_id": str(event.entity_id),
        "id": event_id,
        "is_bulk_edit": False,
        "timestamp": api_time(event.timestamp),
        "type": webhook.type,
        "user_id": str(event.user_id),
        "version": "2.0",
        "webhook_id": str(webhook.id),
        "webhook_owner_id": str(webhook.owner_id),
        "change_source": event.change_source,
        "attempt": attempt,
        "host": host,
    }
    if event.entity != "user":
        meta["permitted_user_ids"] = [str(u) for u in _permitted_user_ids(event, webhook)]
    if event.merged_to_id is not None:
        meta["merged_to_id"] = str(event.merged_to_id)
    if event.merged_from_id is not None:
        meta["merged_from_id"] = str(event.merged_from_id)
    if event.action == "create":
        data, previous = event.current_v2, None
    elif event.action == "change":
        data = event.current_v2
        previous = changed_fields(event.previous_v2 or {}, event.current_v2 or {})
    else:
        data, previous = None, event.previous_v2
    types = field_types or {}
    return {
        "meta": meta,
        "data": typed_custom_fields(data, types),
        "previous": typed_custom_fields(previous, types),
    }
