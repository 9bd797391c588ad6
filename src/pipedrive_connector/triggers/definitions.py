"""The triggers: the 7 seed triggers; new/updated/deleted for every object Pipedrive's webhooks emit
(generated from one table); dealStageChanged, dealWon and dealLost; the field-change trigger; and the
polling "new or updated record matching a saved filter" triggers.

Each definition knows its event object and action, the webhook ``event_action`` to register, which
deliveries it accepts (``matches``) and what it emits (``output``). Titles, descriptions and the
sample outputs of the seed's triggers are the seed's (``seed_outputs.json`` is extracted verbatim from
the seed document).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from pipedrive_connector.triggers.events import Action, Event

EntityObject = Literal[
    "activity", "deal", "lead", "note", "organization", "person", "product", "pipeline", "stage", "user"
]
# Every object Pipedrive's webhooks emit (the webhooks spec's event_object, without "*").
WEBHOOK_OBJECTS: tuple[EntityObject, ...] = (
    "activity", "deal", "lead", "note", "organization", "person", "product", "pipeline", "stage", "user",
)  # fmt: skip

# Where the v2 API lists and fetches each object (polling and enrichment); the others have no v2 list.
COLLECTIONS: dict[str, str] = {
    "deal": "deals",
    "person": "persons",
    "organization": "organizations",
    "activity": "activities",
    "product": "products",
    "pipeline": "pipelines",
    "stage": "stages",
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
        try:
            return COLLECTIONS[self.event_object]
        except KeyError:
            raise ValueError(
                f"{self.name}: {self.event_object} records have no API v2 list to poll"
            ) from None

    @property
    def poll_params(self) -> dict[str, Any]:
        """Query parameters a poll of this trigger adds to the list request (a saved filter)."""
        return {}

    @property
    def properties(self) -> list[dict[str, Any]]:
        """The trigger's own inputs, as manifest property entries (none for most)."""
        return []

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
    """Other triggers of a seed object show the same entity as the seed's new trigger of that object."""
    return f"new{_title(definition.event_object)}"


def _title(obj: str) -> str:
    return obj[0].upper() + obj[1:]


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

# Beyond the seed: new/updated/deleted for every webhook object, from this table (an update trigger
# also fires for the surviving side of a merge, like the seed's).
_ACTION_WORDS: dict[Action, tuple[str, str]] = {
    "added": ("new", "a new {obj} is added"),
    "updated": ("updated", "an existing {obj} is updated"),
    "deleted": ("deleted", "{article} {obj} is deleted"),
}


def _object_trigger(obj: EntityObject, action: Action) -> TriggerDefinition:
    prefix, sentence = _ACTION_WORDS[action]
    name = f"{prefix}{_title(obj)}"
    article = "an" if obj[0] in "aeiou" else "a"
    return TriggerDefinition(
        name=name,
        title=f"{prefix.capitalize()} {_title(obj)}",
        description=f"Trigger off whenever {sentence.format(obj=obj, article=article)}.",
        event_object=obj,
        action=action,
        seed=False,
        also=("merged",) if action == "updated" else (),
    )


OBJECT_TRIGGERS: dict[str, TriggerDefinition] = {
    d.name: d
    for d in (_object_trigger(obj, action) for obj in WEBHOOK_OBJECTS for action in _ACTION_WORDS)
    if d.name not in TRIGGERS
}
DELETED_TRIGGERS: dict[str, TriggerDefinition] = {
    name: d for name, d in OBJECT_TRIGGERS.items() if d.action == "deleted"
}

DEAL_STAGE_CHANGED = "dealStageChanged"


@dataclass(frozen=True)
class DealStageChanged(FieldChangeTrigger):
    """A deal moved to another stage; with ``stage_id`` only moves into that stage."""

    @property
    def properties(self) -> list[dict[str, Any]]:
        return [_integer_property("stage_id", "Stage ID", "Only moves into this stage.", required=False)]


def deal_stage_changed(stage_id: int | None = None) -> DealStageChanged:
    into = f" into stage {stage_id}" if stage_id is not None else ""
    return DealStageChanged(
        name=DEAL_STAGE_CHANGED,
        title="Deal Stage Changed",
        description=f"Trigger off whenever a deal moves to another stage{into}.",
        event_object="deal",
        action="updated",
        seed=False,
        params={} if stage_id is None else {"stage_id": stage_id},
        field_key="stage_id",
        to_value=_MISSING if stage_id is None else stage_id,
    )


def _status_trigger(status: str) -> FieldChangeTrigger:
    return FieldChangeTrigger(
        name=f"deal{status.capitalize()}",
        title=f"Deal {status.capitalize()}",
        description=f"Trigger off whenever a deal is marked as {status}.",
        event_object="deal",
        action="updated",
        seed=False,
        field_key="status",
        to_value=status,
    )


DEAL_TRIGGERS: dict[str, TriggerDefinition] = {
    d.name: d for d in (deal_stage_changed(), _status_trigger("won"), _status_trigger("lost"))
}

# Polling: records of a saved filter that are new or changed since the last poll. Pipedrive's webhooks
# know nothing of filters, so these never fire from a webhook delivery.
FILTER_OBJECTS: tuple[EntityObject, ...] = ("deal", "person", "organization", "activity")


@dataclass(frozen=True)
class MatchingFilterTrigger(TriggerDefinition):
    filter_id: int | None = None

    @property
    def poll_params(self) -> dict[str, Any]:
        return {} if self.filter_id is None else {"filter_id": self.filter_id}

    @property
    def properties(self) -> list[dict[str, Any]]:
        return [_integer_property("filter_id", "Filter ID", "The saved filter the records must match.")]

    def matches(self, event: Event) -> bool:
        return (
            event.source == "poll"
            and event.object == self.event_object
            and event.action in ("added", "updated")
        )


def matching_filter_trigger(obj: EntityObject, filter_id: int | None = None) -> MatchingFilterTrigger:
    if obj not in FILTER_OBJECTS:
        raise ValueError(f"matching-filter triggers support {', '.join(FILTER_OBJECTS)}, not {obj!r}")
    if filter_id is not None and (
        isinstance(filter_id, bool) or not isinstance(filter_id, int) or filter_id < 1
    ):
        raise ValueError(f"filter_id must be a positive integer, got {filter_id!r}")
    return MatchingFilterTrigger(
        name=f"{obj}MatchingFilter",
        title=f"New or Updated {_title(obj)} Matching a Filter",
        description=f"Polls for {obj}s of a saved filter that are new or changed since the last poll.",
        event_object=obj,
        action="updated",
        type="POLLING",
        seed=False,
        also=("added",),
        params={} if filter_id is None else {"filter_id": filter_id},
        filter_id=filter_id,
    )


FILTER_TRIGGERS: dict[str, TriggerDefinition] = {
    d.name: d for d in (matching_filter_trigger(obj) for obj in FILTER_OBJECTS)
}


def _integer_property(name: str, label: str, description: str, required: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "INTEGER",
        "control_type": "INTEGER",
        "required": required,
        "description": description,
    }


EXTRA_TRIGGERS: dict[str, TriggerDefinition] = {**OBJECT_TRIGGERS, **DEAL_TRIGGERS, **FILTER_TRIGGERS}
ALL_TRIGGERS: dict[str, TriggerDefinition] = {**TRIGGERS, **EXTRA_TRIGGERS}


class UnknownTriggerError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown trigger"


def get_trigger(name: str, params: Mapping[str, Any] | None = None) -> TriggerDefinition:
    """A trigger by name and its stored parameters (``stage_id`` of dealStageChanged, ``filter_id`` of
    the matching-filter triggers); build field-change triggers with ``field_change_trigger``."""
    params = params or {}
    try:
        definition = ALL_TRIGGERS[name]
    except KeyError:
        known = ", ".join([*ALL_TRIGGERS, FIELD_CHANGED])
        raise UnknownTriggerError(f"unknown trigger {name!r}; known triggers: {known}") from None
    if name == DEAL_STAGE_CHANGED and params.get("stage_id") is not None:
        return deal_stage_changed(params["stage_id"])
    if isinstance(definition, MatchingFilterTrigger) and params.get("filter_id") is not None:
        return matching_filter_trigger(definition.event_object, params["filter_id"])
    return definition
