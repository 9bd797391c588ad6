"""Resolve a field-change trigger's field (key or display name) and option labels via ``/v1/*Fields``."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.triggers.definitions import MISSING, FieldChangeTrigger, field_change_trigger
from pipedrive_connector.triggers.lifecycle import RequestClient

_FIELDS_PATH = {
    "deal": "/v1/dealFields",
    "person": "/v1/personFields",
    "organization": "/v1/organizationFields",
}
_MISSING: Any = MISSING


class FieldNotFound(LookupError):
    """No field of that key or name exists for the object."""


def list_fields(client: RequestClient, event_object: str) -> list[dict[str, Any]]:
    path = _FIELDS_PATH.get(event_object)
    if path is None:
        raise ValueError(f"field-change triggers support deal, person and organization, not {event_object!r}")
    fields: list[dict[str, Any]] = []
    start = 0
    while True:
        envelope = client.request("GET", path, params={"start": start, "limit": 500})
        fields.extend(item for item in envelope.get("data") or [] if isinstance(item, dict))
        pagination = (envelope.get("additional_data") or {}).get("pagination") or {}
        next_start = pagination.get("next_start")
        if not pagination.get("more_items_in_collection") or next_start in (None, start):
            return fields
        start = int(next_start)


def resolve_field_change(
    client: RequestClient | None,
    event_object: str,
    field: str,
    from_value: Any = _MISSING,
    to_value: Any = _MISSING,
) -> FieldChangeTrigger:
    """A field-change trigger with ``field`` given as an API key or a display name (custom fields).

    For enum/set fields, option labels in ``from_value``/``to_value`` become option ids. Without a
    client the field is taken as an API key.
    """
    if client is None:
        return field_change_trigger(event_object, field, from_value, to_value)  # type: ignore[arg-type]
    fields = list_fields(client, event_object)
    chosen = next((item for item in fields if item.get("key") == field), None)
    if chosen is None:
        by_name = [item for item in fields if str(item.get("name", "")).casefold() == field.casefold()]
        if len(by_name) > 1:
            raise FieldNotFound(
                f"{len(by_name)} {event_object} fields are named {field!r}: use the field key"
            )
        chosen = by_name[0] if by_name else None
    if chosen is None:
        raise FieldNotFound(f"no {event_object} field has the key or name {field!r}")
    options = chosen.get("options") or []

    def option_id(value: Any, which: str) -> Any:
        if value is _MISSING or value is None or not options:
            return value
        for option in options:
            if str(option.get("label", "")).casefold() == str(value).casefold():
                return option.get("id")
        if any(str(option.get("id")) == str(value) for option in options):
            return value
        labels = ", ".join(str(option.get("label")) for option in options)
        raise ValueError(
            f"{which} value {value!r} is not an option of the {event_object} field "
            f"{chosen.get('name') or chosen['key']!r}; its options are: {labels}"
        )

    return field_change_trigger(
        event_object,  # type: ignore[arg-type]
        str(chosen["key"]),
        option_id(from_value, "from"),
        option_id(to_value, "to"),
    )
