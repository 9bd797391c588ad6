"""The component as one JSON-serialisable document, in a stable order."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import ACTIONS
from pipedrive_connector.component.connection import CONNECTIONS
from pipedrive_connector.component.model import Action, ConnectionDefinition, Property
from pipedrive_connector.component.options import LOADERS
from pipedrive_connector.component.schema import input_schema

NAME = "pipedrive"
TITLE = "Pipedrive"
DESCRIPTION = "The first CRM designed by salespeople, for salespeople. Do more to grow your business."
CATEGORY = "CRM"
VERSION = 1


def property_entry(prop: Property) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": prop.name,
        "label": prop.label,
        "type": prop.type.value,
        "control_type": prop.control_type.value,
        "required": prop.required,
        "description": prop.description,
    }
    if prop.default is not None:
        entry["default"] = prop.default
    if prop.options:
        entry["options"] = [{"label": o.label, "value": o.value} for o in prop.options]
    if prop.comma_separated:
        entry["comma_separated"] = True
    if prop.options_loader is not None:
        entry["options_loader"] = {
            "name": prop.options_loader.name,
            "depends_on": list(prop.options_loader.depends_on),
        }
    if prop.format:
        entry["format"] = prop.format
    if prop.placeholder:
        entry["placeholder"] = prop.placeholder
    if prop.properties:
        entry["properties"] = [property_entry(p) for p in prop.properties]
    if prop.items is not None:
        entry["items"] = property_entry(prop.items)
    if prop.secret:
        entry["secret"] = True
    if prop.extra:
        entry["extra"] = True
    return entry


def action_entry(action: Action) -> dict[str, Any]:
    return {
        "name": action.name,
        "title": action.title,
        "description": action.description,
        "extra": action.extra,
        "resource": action.resource,
        "read_only": action.read_only,
        "destructive": action.destructive,
        "properties": [property_entry(p) for p in action.properties],
        "input_schema": input_schema(action.properties),
        "output_schema": dict(action.output_schema),
    }


def connection_entry(connection: ConnectionDefinition) -> dict[str, Any]:
    return {
        "name": connection.name,
        "title": connection.title,
        "version": 1,
        "properties": [property_entry(p) for p in connection.properties],
        **dict(connection.details),
    }


def trigger_entries() -> list[dict[str, Any]]:
    """The seed's 7 triggers, then the others marked ``extra`` (as extra actions are)."""
    from pipedrive_connector.triggers.definitions import ALL_TRIGGERS

    entries = []
    for definition in ALL_TRIGGERS.values():
        entries.append(
            {
                "name": definition.name,
                "title": definition.title,
                "description": definition.description,
                "type": definition.type,
                "extra": not definition.seed,
                "event_object": definition.event_object,
                "event_action": definition.v2_event_action,
                "v1_event_action": definition.v1_event_action,
                "properties": definition.properties,
                "sample_output": definition.sample_output,
            }
        )
    return entries


def build_manifest() -> dict[str, Any]:
    return {
        "name": NAME,
        "title": TITLE,
        "description": DESCRIPTION,
        "category": CATEGORY,
        "categories": [CATEGORY],
        "version": VERSION,
        "connections": [connection_entry(c) for c in CONNECTIONS],
        "triggers": trigger_entries(),
        "actions": [action_entry(a) for a in ACTIONS],
        "option_loaders": {
            name: {"description": spec.description, "depends_on": list(spec.depends_on)}
            for name, spec in LOADERS.items()
        },
    }
