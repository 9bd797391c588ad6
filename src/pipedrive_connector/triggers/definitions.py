"""The triggers: the 7 seed triggers, deleted-entity triggers and the field-change trigger.

Each definition knows its event object and action, the webhook ``event_action`` to register, which
deliveries it accepts (``matches``) and what it emits (``output``). Titles, descriptions and the
sample outputs are the seed's (``seed_outputs.json`` is extracted verbatim from the seed document).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from pipedrive_connector.triggers.events import Action, Event

EntityObject = Literal["deal", "person", "organization", "activity"]

# Where the v2 API lists and fetches each object (polling and enrichment).
COLLECTIONS: dict[str, str] = {
    "deal": "deals",
    "person": "persons",
    "organization": "organizations",
    "activity": "activities",
}
# The management API's event_action names (spec enum: create, change, delete, *); v1-era names in brackets.
V2_EVENT_ACTIONS: dict[Action, str] = {
    "added": "create",
    "updated": "change",
    "deleted": "delete",
    "merged": "change",
}
V1_EVENT_ACTIONS: dict[Action, str] = {
    "added": "added",
    "updated": "updated",
    "deleted": "deleted",
    "merged": "merged",
}


@cache
def _seed_outputs() -> dict[str, Any]:
    text = resources.files("pipedrive_connector.triggers").joinpath("seed_outputs.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class TriggerDefinition:
    """A trigger that fires on one action of one Pipedrive object."""

    name: str
    title: str
    description: str
    event_object: EntityObject
    action: Action
    type: str = "DYNAMIC_WEBHOOK"
    seed: bool = True
    # Actions accepted besides ``action`` (an update trigger also fires for the surviving side of a merge).
    also: tuple[Action, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def v1_event_action(self) -> str:
        return V1_EVENT_ACTIONS[self.action]

    @property
    def v2_event_action(self) -> str:
        return V2_EVENT_ACTIONS[self.action]

    @property
    def collection(self) -> str:
        return COLLECTIONS[self.event_object]

    @property
    def sample_output(self) -> dict[str, Any]:
        entry = _seed_outputs().get(self.name) or _seed_outputs().get(_seed_twin(self))
        return dict(entry["sample_output"]) if entry else {}

    @property
    def output_property_types(self) -> list[tuple[str, str]]:
        """The seed's output property (type, control type) rows, in the seed's order."""
        entry = _seed_outputs().get(self.name)
        return [(row[0], row[1]) for row in entry["output_property_types"]] if entry else []

    def matches(self, event: Event) -> bool:
        return event.object == self.event_object and (
            event.action == self.action or event.action in self.also
        )

    def output(self, event: Event) -> dict[str, Any] | None:
        """What the trigger emits: the current entity (v1 ``current``, v2 ``data``); for a deletion
        the last state (``previous``)."""
        return event.record

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "type": self.type,
            "event_object": self.event_object,
            "action": self.action,
            "v1_event_action": self.v1_event_action,
            "v2_event_action": self.v2_event_action,
            "seed": self.seed,
            "params": dict(self.params),
        }


def _seed_twin(definition: TriggerDefinition) -> str:
    """Deleted triggers show the same entity as the seed's new/updated trigger of that object."""
    return {
        "deal": "newDeal",
        "person": "newPerson",
        "organization": "newOrganization",
        "activity": "newActivity",
    }[definition.event_object]


# "No condition" for a field-change trigger's from/to (None is a real value: the field was empty).
MISSING: Any = object()
_MISSING: Any = MISSING


@dataclass(frozen=True)
class FieldChangeTrigger(TriggerDefinition):
    """Fires when one field of a deal/person/organization changes, optionally from A and/or to B.

    ``field_key`` is the API key: a standard field (``stage_id``) or a custom field's 40-hex key
    (resolve a custom field's display name with ``pipedrive_connector.triggers.fields``).
    """

    field_key: str = ""
    from_value: Any = _MISSING
    to_value: Any = _MISSING

    def matches(self, event: Event) -> bool:
        if event.object != self.event_object or event.action not in ("updated", "merged"):
            return False
        if not _field_changed(event, self.field_key):
            return False
        if self.from_value is not _MISSING and not _same(
            _previous_value(event, self.field_key), self.from_value
        ):
            return False
        return self.to_value is _MISSING or _same(_current_value(event, self.field_key), self.to_value)


def field_change_trigger(
    event_object: EntityObject, field_key: str, from_value: Any = _MISSING, to_value: Any = _MISSING
) -> FieldChangeTrigger:
    """Build a field-change trigger; ``from_value``/``to_value`` are optional conditions."""
    if event_object not in ("deal", "person", "organization"):
        raise ValueError(f"field-change triggers support deal, person and organization, not {event_object!r}")
    if not field_key:
        raise ValueError("a field-change trigger needs the field to watch")
    params: dict[str, Any] = {"object": event_object, "field": field_key}
    if from_value is not _MISSING:
        params["from"] = from_value
    if to_value is not _MISSING:
        params["to"] = to_value
    return FieldChangeTrigger(
        name=FIELD_CHANGED,
        title="Field Changed",
        description=f"Trigger off whenever field {field_key} of an existing {event_object} changes.",
        event_object=event_object,
        action="updated",
        seed=False,
        params=params,
        field_key=field_key,
        from_value=from_value,
        to_value=to_value,
    )


FIELD_CHANGED = "fieldChanged"


def _field_changed(event: Event, key: str) -> bool:
    # Polled updates carry no previous state, so they never match a field change.
    return key in event.changed or f"custom_fields.{key}" in event.changed


def _previous_value(event: Event, key: str) -> Any:
    return _value_in(event.previous, key)


def _current_value(event: Event, key: str) -> Any:
    return _value_in(event.output, key)


def _value_in(record: Mapping[str, Any] | None, key: str) -> Any:
    if not record:
        return None
    if key in record:
        return _plain(record[key])
    custom = record.get("custom_fields")
    if isinstance(custom, Mapping) and key in custom:
        return _plain(custom[key])
    return None


def _plain(value: Any) -> Any:
    """Reduce the typed custom-field forms (webhook v2 and API v2) and v1 expanded ids to a scalar."""
    if isinstance(value, Mapping):
        if "values" in value and isinstance(value["values"], list):
            # Sorted as text, like _same compares lists: ids of mixed types must not raise.
            return sorted((_plain(item) for item in value["values"]), key=str)
        for key in ("value", "id"):
            if key in value:
                return value[key]
    return value


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list) and isinstance(expected, list):
        return sorted(map(str, actual)) == sorted(map(str, expected))
    if actual is None or expected is None:
        return actual is expected
    return str(actual) == str(expected)


def _seed(name: str, title: str, description: str, obj: EntityObject, action: Action) -> TriggerDefinition:
    also: tuple[Action, ...] = ("merged",) if action == "updated" else ()
    return TriggerDefinition(
        name=name, title=title, description=description, event_object=obj, action=action, also=also
    )


# The 7 seed triggers, in the seed's order.
TRIGGERS: dict[str, TriggerDefinition] = {
    d.name: d
    for d in (
        _seed(
            "newActivity",
            "New Activity",
            "Trigger off whenever a new activity is added.",
            "activity",
            "added",
        ),
        _seed("newDeal", "New Deal", "Trigger off whenever a new deal is added.", "deal", "added"),
        _seed(
            "newOrganization",
            "New Organization",
            "Trigger off whenever a new organization is added.",
            "organization",
            "added",
        ),
        _seed("newPerson", "New Person", "Trigger off whenever a new person is added.", "person", "added"),
        _seed(
            "updatedDeal",
            "Updated Deal",
            "Trigger off whenever an existing deal is updated.",
            "deal",
            "updated",
        ),
        _seed(
            "updatedOrganization",
            "Updated Organization",
            "Trigger off whenever an existing organization is updated.",
            "organization",
            "updated",
        ),
        _seed(
            "updatedPerson",
            "Updated Person",
            "Trigger off whenever an existing person is updated.",
            "person",
            "updated",
        ),
    )
}

# Beyond the seed.
DELETED_TRIGGERS: dict[str, TriggerDefinition] = {
    f"deleted{obj.capitalize()}": TriggerDefinition(
        name=f"deleted{obj.capitalize()}",
        title=f"Deleted {obj.capitalize()}",
        description=f"Trigger off whenever {'an' if obj[0] in 'aeiou' else 'a'} {obj} is deleted.",
        event_object=obj,
        action="deleted",
        seed=False,
    )
    for obj in ("deal", "person", "organization", "activity")
}

ALL_TRIGGERS: dict[str, TriggerDefinition] = {**TRIGGERS, **DELETED_TRIGGERS}


class UnknownTriggerError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown trigger"


def get_trigger(name: str) -> TriggerDefinition:
    """A trigger by name (seed or deleted*); build field-change triggers with ``field_change_trigger``."""
    try:
        return ALL_TRIGGERS[name]
    except KeyError:
        known = ", ".join([*ALL_TRIGGERS, FIELD_CHANGED])
        raise UnknownTriggerError(f"unknown trigger {name!r}; known triggers: {known}") from None
