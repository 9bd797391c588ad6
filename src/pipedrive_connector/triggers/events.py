"""Webhook payloads (v1 and v2) and polled records turned into one trigger-level ``Event``.

Pure functions only: no I/O, no clock. ``parse_webhook`` is the public entry point.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pipedrive_connector.client import paths
from pipedrive_connector.triggers.webhook_body import WebhookParseError, decode_body

__all__ = [
    "ACTIONS",
    "Action",
    "Event",
    "Source",
    "WebhookParseError",
    "content_key",
    "parse_time",
    "parse_webhook",
]

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
# Object names as Pipedrive spells them (deal, activityType, deal_product ...).
_OBJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# An epoch number written as a string; longer runs of digits are no timestamp.
_EPOCH_TEXT = re.compile(r"-?[0-9]{1,20}")
# Pipedrive's "no date" (v1 writes it in some fields instead of null).
_ZERO_DATES = ("0000-00-00 00:00:00", "0000-00-00")
_MAX_ATTEMPT = 1000
_MAX_EVENT_ID = 128


@dataclass(frozen=True)
class Event:
    """One change of one Pipedrive entity, as a trigger sees it.

    ``event_key`` identifies this delivery's event and de-duplicates retries: v2 ``meta.id``, except
    for ``user`` events, whose ``meta.id`` is the user's id (a key built from the content instead);
    v1 a key built from meta. ``content_key`` identifies the change itself (object, id, action and the
    entity's ``update_time``) so that a polled record and a webhook delivery of the same change meet.

    ``entity_id`` is a positive integer, or a lowercase UUID for leads. ``changed`` names the fields
    that changed on an update (custom fields as ``custom_fields.<key>``). For a v1 merge, Pipedrive's
    ``previous`` is the record merged away, not an earlier state of the survivor, so ``changed`` is
    empty (nothing says what changed on the survivor).
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

    Raises ``WebhookParseError`` (a ``ValueError``), and no other exception, for any input that is not
    a webhook payload it can accept; the message names the problem and where it is. Refused besides
    wrong shapes: JSON nested more than 32 levels, integers over 300 digits, NaN/infinities, lone
    surrogates, an entity id that is not a positive integer (a UUID for leads), a timestamp
    (``meta.timestamp``, ``meta.timestamp_micro``, the record's ``update_time``) that is not a real
    moment, an ``attempt``/``retry`` that is not a small count, and a multiple-option field whose
    ``values`` are not option ids of one type.
    """
    payload = decode_body(body)
    meta = payload.get("meta")
    if not isinstance(meta, dict):
        raise WebhookParseError("webhook body has no 'meta' object")
    if _is_v2(payload, meta):
        return _parse_v2(payload, meta)
    return _parse_v1(payload, meta)


def _is_v2(payload: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    version = str(meta.get("version") or "")
    if version.startswith("2"):
        return True
    if "v" in meta or "v" in payload or "current" in payload:
        return False
    return "entity" in meta or "data" in payload


def _parse_v2(payload: dict[str, Any], meta: dict[str, Any]) -> Event:
    entity = _object_name(meta.get("entity"), "v2 webhook meta.entity")
    raw_action = _required_str(meta, "action")
    action = _V2_ACTIONS.get(raw_action)
    if action is None:
        raise WebhookParseError(
            f"unknown meta.action {_short(raw_action)} in a v2 webhook"
            " (expected one of create, change, delete)"
        )
    data = _optional_object(payload, "data")
    previous = _optional_object(payload, "previous")
    _check_records(("data", data), ("previous", previous))
    if action == "updated" and meta.get("merged_from_id") not in (None, ""):
        action = "merged"
    # A user event's meta.id is the user's id, the same for every event about that user: those
    # are keyed on their content instead.
    event_id = None if entity == "user" else _event_id(meta)
    ident = _entity_id(
        entity, meta.get("entity_id"), "meta.entity_id", ("data", data), ("previous", previous)
    )
    if event_id is None:
        content = {"meta": _stable_meta(meta), "data": data, "previous": previous}
        event_key = f"v2:user:{_fingerprint(content)}"
    else:
        event_key = f"v2:{event_id}"
    changed = _changed_from_partial_previous(previous) if action in ("updated", "merged") else ()
    return Event(
        object=entity,
        action=action,
        entity_id=ident,
        output=data,
        previous=previous,
        changed=changed,
        event_key=event_key,
        content_key=content_key(entity, ident, action, (data or previous or {}).get("update_time")),
        timestamp=_timestamp(meta.get("timestamp"), "meta.timestamp"),
        attempt=max(_count(meta.get("attempt"), "meta.attempt", default=1), 1),
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
    obj = _object_name(obj, "v1 webhook meta.object")
    if not isinstance(raw_action, str) or not raw_action:
        raise WebhookParseError("v1 webhook has neither meta.action nor an 'event' like 'added.deal'")
    action = _V1_ACTIONS.get(raw_action) or _V2_ACTIONS.get(raw_action)
    if action is None:
        raise WebhookParseError(
            f"unknown meta.action {_short(raw_action)} in a v1 webhook"
            " (expected added, updated, deleted or merged)"
        )
    current = _v1_object(payload, "current")
    previous = _v1_object(payload, "previous")
    _check_records(("current", current), ("previous", previous))
    ident = _entity_id(obj, meta.get("id"), "meta.id", ("current", current), ("previous", previous))
    micro = meta.get("timestamp_micro")
    timestamp = _timestamp(micro, "meta.timestamp_micro", micro=True)
    seconds = _timestamp(meta.get("timestamp"), "meta.timestamp")
    if micro not in (None, ""):
        key_tail = str(micro)
    else:
        key_tail = _fingerprint({"meta": _stable_meta(meta), "current": current, "previous": previous})
    return Event(
        object=obj,
        action=action,
        entity_id=ident,
        output=current,
        previous=previous,
        changed=_v1_changed(action, previous, current),
        event_key=f"v1:{obj}:{ident}:{action}:{key_tail}",
        content_key=content_key(obj, ident, action, (current or previous or {}).get("update_time")),
        timestamp=timestamp or seconds,
        # v1 counts retries from 0; Event.attempt counts deliveries from 1 like v2.
        attempt=_count(payload.get("retry"), "retry", default=0) + 1,
        version="1.0",
        webhook_id=_str_or_none(meta.get("webhook_id")),
        meta=meta,
    )


def _v1_changed(
    action: Action, previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None
) -> tuple[str, ...]:
    if action == "updated":
        return _changed_between(previous, current)
    # Pipedrive's `previous` of a merge is the record merged away (another id): comparing it with
    # the survivor would report its id, name and owner as changes. Only a previous of the
    # survivor's own id is an earlier state of it.
    if action == "merged" and _same_record(previous, current):
        return _changed_between(previous, current)
    return ()


def _same_record(previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None) -> bool:
    if not previous or not current:
        return False
    return previous.get("id") not in (None, "") and previous.get("id") == current.get("id")


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
        raise WebhookParseError(f"'{key}' must be an object or null, got {_short(value)}")
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


def _event_id(meta: Mapping[str, Any]) -> str:
    event_id = meta.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookParseError("v2 webhook meta.id (the event id) is missing")
    if len(event_id) > _MAX_EVENT_ID:
        raise WebhookParseError(f"v2 webhook meta.id is longer than {_MAX_EVENT_ID} characters")
    if not event_id.isprintable():
        # The event id keys the inbox; a control character (PostgreSQL text refuses NUL) is no
        # Pipedrive id, and storing it would fail on every retry.
        raise WebhookParseError(f"v2 webhook meta.id {_short(event_id)} has a control character")
    return event_id


def _object_name(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise WebhookParseError(f"{name} is missing")
    if not _OBJECT_NAME.fullmatch(value):
        raise WebhookParseError(f"{name} {_short(value)} is not an object name such as 'deal'")
    return value


def _entity_id(obj: str, raw: Any, name: str, *records: tuple[str, Mapping[str, Any] | None]) -> int | str:
    """The entity's id from meta, else from the record: a positive integer, a UUID for leads."""
    if raw in (None, ""):
        found = next(
            (
                (label, record["id"])
                for label, record in records
                if record and record.get("id") not in (None, "")
            ),
            None,
        )
        if found is None:
            raise WebhookParseError(f"webhook has no {obj} id ({name} is missing and the record has no id)")
        name, raw = f"{found[0]}.id", found[1]
    try:
        return paths.lead_id(raw, name) if obj == "lead" else paths.entity_id(raw, name)
    except paths.InvalidPathSegment as exc:
        raise WebhookParseError(str(exc)) from None


def _check_records(*records: tuple[str, Mapping[str, Any] | None]) -> None:
    """What a trigger later reads from a record must be usable: its ``update_time`` and the
    ``values`` of multiple-option fields (top level or in ``custom_fields``)."""
    for label, record in records:
        if not record:
            continue
        _timestamp(record.get("update_time"), f"{label}.update_time")
        custom = record.get("custom_fields")
        fields = [(key, value) for key, value in record.items()]
        if isinstance(custom, dict):
            fields += [(f"custom_fields.{key}", value) for key, value in custom.items()]
        for key, value in fields:
            if isinstance(value, dict) and "values" in value:
                _check_option_ids(value["values"], f"{label}.{key}.values")


def _check_option_ids(values: Any, name: str) -> None:
    """A set field's ``values``: a list of option ids, plain or as ``{"id": ...}``, all of one type."""
    if not isinstance(values, list):
        raise WebhookParseError(f"{name} must be a list of option ids, got {_short(values)}")
    kinds: set[type] = set()
    for item in values:
        option = item.get("id", item.get("value")) if isinstance(item, dict) else item
        if isinstance(option, bool) or not isinstance(option, int | str):
            raise WebhookParseError(f"{name} must hold option ids (integers or strings), got {_short(item)}")
        kinds.add(type(option))
    if len(kinds) > 1:
        raise WebhookParseError(f"{name} mixes integer and string option ids")


def _timestamp(value: Any, name: str, micro: bool = False) -> datetime | None:
    """A timestamp field of a delivery: absent (None), or a moment ``_parse_time`` understands."""
    if value is None or value == "" or (isinstance(value, str) and value.strip() in _ZERO_DATES):
        return None
    moment = _parse_time(value, micro=micro)
    if moment is None:
        raise WebhookParseError(
            f"{name} {_short(value)} is not a timestamp"
            " (epoch seconds or an ISO 8601 time within years 1-9999 UTC)"
        )
    return moment


def _count(value: Any, name: str, default: int) -> int:
    """``meta.attempt`` / ``retry``: a small non-negative integer (absent: ``default``)."""
    if value is None:
        return default
    number: Any = value
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _EPOCH_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= _MAX_ATTEMPT:
        raise WebhookParseError(
            f"{name} must be a delivery count from 0 to {_MAX_ATTEMPT}, got {_short(value)}"
        )
    return number


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


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
    """Epoch seconds (or milli/microseconds), v1 ``YYYY-MM-DD HH:MM:SS`` (UTC) and RFC 3339 to an
    aware UTC datetime; None for anything else, including moments outside years 1-9999 in UTC."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, str) and _EPOCH_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int | float):
        try:
            number = float(value)
            if micro or number > 1e14:
                number /= 1_000_000
            elif number > 1e11:
                number /= 1000
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
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 or 9999 shifted out of range by its offset
        return None


def parse_time(value: Any) -> datetime | None:
    """Public wrapper: Pipedrive timestamps (v1, v2, epoch) to an aware UTC datetime, or None."""
    return _parse_time(value)


def _stable_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    volatile = {"retry", "attempt", "prepublish_timestamp"}
    return {key: value for key, value in meta.items() if key not in volatile}


def _fingerprint(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "", False) else str(value)
