"""The component's definitions as data: properties, options, actions, connections.

Everything here is plain, frozen data. The seed's vocabulary (types such as ``INTEGER`` and control
types such as ``SELECT``) is kept verbatim so the manifest reads exactly like the seed document.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipedrive_connector.component.calls import Call, Pause
    from pipedrive_connector.component.context import ActionContext


class PropertyType(StrEnum):
    STRING = "STRING"
    INTEGER = "INTEGER"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    DATE_TIME = "DATE_TIME"
    TIME = "TIME"
    ARRAY = "ARRAY"
    OBJECT = "OBJECT"


class ControlType(StrEnum):
    TEXT = "TEXT"
    TEXT_AREA = "TEXT_AREA"
    EMAIL = "EMAIL"
    SELECT = "SELECT"
    MULTI_SELECT = "MULTI_SELECT"
    INTEGER = "INTEGER"
    NUMBER = "NUMBER"
    DATE = "DATE"
    DATE_TIME = "DATE_TIME"
    TIME = "TIME"
    OBJECT_BUILDER = "OBJECT_BUILDER"
    ARRAY_BUILDER = "ARRAY_BUILDER"


@dataclass(frozen=True)
class Option:
    """One choice of a SELECT property: what the user sees and what is sent."""

    label: str
    value: Any


@dataclass(frozen=True)
class OptionsLoaderRef:
    """A SELECT property whose options are read from Pipedrive (see ``component.options``).

    ``depends_on`` names sibling properties whose values narrow the options (stages by pipeline).
    """

    name: str
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Property:
    """One input (or nested) property of an action or connection."""

    name: str
    label: str
    type: PropertyType
    control_type: ControlType
    description: str = ""
    required: bool = False
    default: Any = None
    options: tuple[Option, ...] = ()
    options_loader: OptionsLoaderRef | None = None
    properties: tuple[Property, ...] = ()  # OBJECT: its fields
    items: Property | None = None  # ARRAY: the shape of one element
    placeholder: str = ""
    min_length: int | None = None
    # A STRING's format beyond its type: "uuid" (lead ids) is checked and published in the schema.
    format: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    extra: bool = False  # beyond the seed document
    hidden: bool = False
    secret: bool = False
    # A STRING SELECT that takes a comma-separated list of its options ("title,notes").
    comma_separated: bool = False
    # OBJECT properties that accept keys not listed in ``properties`` (custom field maps).
    additional_properties: bool = False

    def child(self, name: str) -> Property | None:
        for prop in self.properties:
            if prop.name == name:
                return prop
        return None


# An action's logic is a generator of HTTP calls (sans-IO): it yields ``Call`` objects, receives each
# response body, and returns the output. The same function runs on the sync and the async client.
Execute = Callable[["ActionContext", dict[str, Any]], Generator["Call | Pause", Any, dict[str, Any]]]
# Checks that need the whole input (e.g. "sort" is limited in API v2 mode); raise ValidationError.
Check = Callable[[dict[str, Any], str], None]


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    description: str
    properties: tuple[Property, ...]
    execute: Execute
    output_schema: Mapping[str, Any]
    extra: bool = False
    resource: str = ""  # deals, leads, organizations, persons, activities
    checks: tuple[Check, ...] = ()
    # The property holding the request body (e.g. "Add Deal Request"); flat inputs are folded into it.
    body_property: str | None = None
    # What the action does to the account: reads only, or deletes/merges/removes (MCP annotates both).
    read_only: bool = False
    destructive: bool = False

    def property(self, name: str) -> Property | None:
        for prop in self.properties:
            if prop.name == name:
                return prop
        return None


@dataclass(frozen=True)
class ConnectionDefinition:
    """An authorization type as the seed lists it (the manifest's ``connections``)."""

    name: str
    title: str
    properties: tuple[Property, ...]
    details: Mapping[str, Any] = field(default_factory=dict)
