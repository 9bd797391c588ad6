"""Webhook payloads (v1 and v2) and polled records turned into one trigger-level ``Event``.

Pure functions only: no I/O, no clock. ``parse_webhook`` is the public entry point.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Action = Literal["added", "updated", "deleted", "merged"]
Source = Literal["webhook", "poll"]

ACTIONS: tuple[Action, ...] = ("added", "updated", "deleted", "merged")
# Webhook v2 action names (and the names the management API takes) mapped to the v1-era names.
_V2_ACTIONS: dict[str, Action] = {"create": "added", "change": "updated", "delete": "deleted"}
_V1_ACTIONS: dict[str, Action] = {
    "added": "added",
    "updated": "updated",
    "deleted": "deleted",
    "merged": "merged",
}


class WebhookParseError(ValueError):
    """A webhook body that is not a Pipedrive v1 or v2 payload; the message names what is wrong."""


@dataclass(frozen=True)
class Event:
    """One change of one Pipedrive entity, as a trigger sees it.

    ``event_key`` identifies this delivery's event (v2 ``meta.id``; v1 a key built from meta) and
    de-duplicates retries. ``content_key`` identifies the change itself (object, id, action and the
    entity's ``update_time``) so that a polled record and a webhook delivery of the same change meet.
    """

    object: str
    action: Action
    entity_id: int | str | None
    output: dict[str, Any] | None
    previous: dict[str, Any] | None
    changed: tuple[str, ...]
    event_key: str
    content_key: str
    timestamp: datetime | None
    attempt: int
    version: str
    source: Source = "webhook"
    webhook_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # The trigger this event was stored for (set when it is dispatched; None straight from parsing).
    trigger: str | None = None

    @property
    def record(self) -> dict[str, Any] | None:
        """The entity's last known state: ``output``, or ``previous`` for a deletion."""
        return self.output if self.output is not None else self.previous

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = list(self.changed)
        data["timestamp"] = self.timestamp.isoformat() if self.timestamp else None
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        timestamp = data.get("timestamp")
        return cls(
            object=str(data["object"]),
            action=data["action"],
            entity_id=data.get("entity_id"),
            output=data.get("output"),
            previous=data.get("previous"),
            changed=tuple(data.get("changed") or ()),
            event_key=str(data["event_key"]),
            content_key=str(data["content_key"]),
            timestamp=datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else None,
            attempt=int(data.get("attempt") or 1),
            version=str(data.get("version") or ""),
            source=data.get("source") or "webhook",
            webhook_id=data.get("webhook_id"),
            meta=dict(data.get("meta") or {}),
            trigger=data.get("trigger"),
        )


def parse_webhook(body: bytes | str | Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Event:
    """Parse a Pipedrive webhook body (v1 or v2; bytes, str or an already decoded dict) into an Event.

    ``headers`` is accepted for symmetry with receivers; Pipedrive sends no event metadata in headers.
    Raises ``WebhookParseError`` naming the problem for anything that is not a webhook payload.
    """
    payload = _decode(body)
    meta = payload.get("meta")
    if not isinstance(meta, dict):
        raise WebhookParseError("webhook body has no 'meta' object")
    if _is_v2(payload, meta):
        return _parse_v2(payload, meta)
    return _parse_v1(payload, meta)


def _decode(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookParseError(f"webhook body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not isinstance(body, str):
        raise WebhookParseError(f"webhook body must be bytes, str or a dict, not {type(body).__name__}")
    if not body.strip():
        raise WebhookParseError("webhook body is empty")
    try:
        decoded = json.loads(body)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise WebhookParseError(f"webhook body is not JSON ({exc.msg} at {where})") from None
    if not isinstance(decoded, dict):
        raise WebhookParseError(f"webhook body must be a JSON object, got {type(decoded).__name__}")
    return decoded


def _is_v2(payload: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    version = str(meta.get("version") or "")
    if version.startswith("2"):
        return True
    if "v" in meta or "v" in payload or "current" in payload:
        return False
    return "entity" in meta or "data" in payload


def _parse_v2(payload: dict[str, Any], meta: dict[str, Any]) -> Event:
    entity = _required_str(meta, "entity")
    raw_action = _required_str(meta, "action")
    action = _V2_ACTIONS.get(raw_action)
    if action is None:
        raise WebhookParseError(
            f"unknown meta.action {raw_action!r} in a v2 webhook (expected one of create, change, delete)"
        )
    data = _optional_object(payload, "data")
    previous = _optional_object(payload, "previous")
    if action == "updated" and meta.get("merged_from_id") not in (None, ""):
        action = "merged"
    entity_id = _entity_id(meta.get("entity_id"), data, previous)
    event_id = meta.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookParseError("v2 webhook meta.id (the event id) is missing")
    changed = _changed_from_partial_previous(previous) if action in ("updated", "merged") else ()
    return Event(
        object=entity,
        action=action,
        entity_id=entity_id,
        output=data,
        previous=previous,
        changed=changed,
        event_key=f"v2:{event_id}",
        content_key=content_key(entity, entity_id, action, (data or previous or {}).get("update_time")),
        timestamp=_parse_time(meta.get("timestamp")),
        attempt=_int(meta.get("attempt"), default=1),
        version="2.0",
        webhook_id=_str_or_none(meta.get("webhook_id")),
        meta=meta,
    )


def _parse_v1(payload: dict[str, Any], meta: dict[str, Any]) -> Event:
    obj = meta.get("object")
    raw_action = meta.get("action")
    event_name = payload.get("event")
    if (not obj or not raw_action) and isinstance(event_name, str) and "." in event_name:
        raw_action, obj = event_name.split(".", 1)
    if not isinstance(obj, str) or not obj:
        raise WebhookParseError("v1 webhook has neither meta.object nor an 'event' like 'added.deal'")
    if not isinstance(raw_action, str) or not raw_action:
        raise WebhookParseError("v1 webhook has neither meta.action nor an 'event' like 'added.deal'")
    action = _V1_ACTIONS.get(raw_action) or _V2_ACTIONS.get(raw_action)
    if action is None:
        raise WebhookParseError(
            f"unknown meta.action {raw_action!r} in a v1 webhook (expected added, updated, deleted or merged)"
        )
    current = _v1_object(payload, "current")
    previous = _v1_object(payload, "previous")
    entity_id = _entity_id(meta.get("id"), current, previous)
    changed = _changed_between(previous, current) if action in ("updated", "merged") else ()
    micro = meta.get("timestamp_micro")
    if isinstance(micro, int | float | str) and str(micro).strip():
        key_tail = str(micro)
    else:
        key_tail = _fingerprint({"meta": _stable_meta(meta), "current": current, "previous": previous})
    timestamp = _parse_time(meta.get("timestamp_micro"), micro=True) or _parse_time(meta.get("timestamp"))
    return Event(
        object=obj,
        action=action,
        entity_id=entity_id,
        output=current,
        previous=previous,
        changed=changed,
        event_key=f"v1:{obj}:{entity_id}:{action}:{key_tail}",
        content_key=content_key(obj, entity_id, action, (current or previous or {}).get("update_time")),
        timestamp=timestamp,
        # v1 counts retries from 0; Event.attempt counts deliveries from 1 like v2.
        attempt=_int(payload.get("retry"), default=0) + 1,
        version="1.0",
        webhook_id=_str_or_none(meta.get("webhook_id")),
        meta=meta,
    )


def content_key(obj: str, entity_id: int | str | None, action: str, update_time: Any) -> str:
    """The key both webhook and polling paths can compute for the same change.

    Creations and deletions happen once per entity; updates are told apart by ``update_time``
    (normalised to UTC whole seconds, as v1 and v2 format it differently).
    """
    if action in ("added", "deleted"):
        return f"{obj}:{entity_id}:{action}"
    moment = _parse_time(update_time)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else str(update_time)
    return f"{obj}:{entity_id}:{action}:{stamp}"


def _v1_object(payload: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = payload.get(key)
    # user events carry a one-element list.
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    if not isinstance(value, dict):
        raise WebhookParseError(f"'{key}' must be an object or null, got {type(value).__name__}")
    return value


def _optional_object(payload: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise WebhookParseError(f"'{key}' must be an object or null, got {type(value).__name__}")
    return value


def _required_str(meta: Mapping[str, Any], key: str) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value:
        raise WebhookParseError(f"v2 webhook meta.{key} is missing")
    return value


def _entity_id(
    raw: Any, current: Mapping[str, Any] | None, previous: Mapping[str, Any] | None
) -> int | str | None:
    if raw in (None, ""):
        raw = (current or {}).get("id", (previous or {}).get("id"))
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        return int(raw) if raw.isdigit() else raw
    return None


def _changed_from_partial_previous(previous: Mapping[str, Any] | None) -> tuple[str, ...]:
    """v2 ``previous`` holds only the fields that changed; custom fields are nested."""
    if not previous:
        return ()
    names: list[str] = []
    for key, value in previous.items():
        if key == "custom_fields" and isinstance(value, dict):
            names.extend(f"custom_fields.{hash_key}" for hash_key in value)
        else:
            names.append(key)
    return tuple(sorted(names))


def _changed_between(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None
) -> tuple[str, ...]:
    """v1 ``previous`` and ``current`` are both full objects: compare them key by key."""
    if not previous or not current:
        return ()
    keys = set(previous) | set(current)
    return tuple(sorted(key for key in keys if previous.get(key) != current.get(key)))


def _parse_time(value: Any, micro: bool = False) -> datetime | None:
    """Accept epoch seconds (or microseconds), v1 ``YYYY-MM-DD HH:MM:SS`` (UTC) and RFC 3339."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        number = float(value)
        if micro or number > 1e14:
            number /= 1_000_000
        elif number > 1e11:
            number /= 1000
        try:
            return datetime.fromtimestamp(number, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_time(value: Any) -> datetime | None:
    """Public wrapper: Pipedrive timestamps (v1, v2, epoch) to an aware UTC datetime, or None."""
    return _parse_time(value)


def _stable_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    volatile = {"retry", "attempt", "prepublish_timestamp"}
    return {key: value for key, value in meta.items() if key not in volatile}


def _fingerprint(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "", False) else str(value)
