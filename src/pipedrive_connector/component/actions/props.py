"""Property builders shared by the action definitions (labels, types and control types of the seed)."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.model import (
    ControlType,
    Option,
    OptionsLoaderRef,
    Property,
    PropertyType,
)

S, INT, N, B = PropertyType.STRING, PropertyType.INTEGER, PropertyType.NUMBER, PropertyType.BOOLEAN
BOOLEAN_OPTIONS = (Option("True", True), Option("False", False))
VISIBLE_TO = (
    Option("Owner & followers", "1"),
    Option("Entire company", "3"),
    Option("Owner's visibility group and sub-groups", "5"),
    Option("Entire company (group)", "7"),
)


def options(*pairs: tuple[str, Any]) -> tuple[Option, ...]:
    return tuple(Option(label, value) for label, value in pairs)


def text(name: str, label: str, description: str = "", **kw: Any) -> Property:
    return Property(name, label, S, ControlType.TEXT, description, **kw)


def integer(name: str, label: str, description: str = "", **kw: Any) -> Property:
    return Property(name, label, INT, ControlType.INTEGER, description, **kw)


def number(name: str, label: str, description: str = "", **kw: Any) -> Property:
    return Property(name, label, N, ControlType.NUMBER, description, **kw)


def date(name: str, label: str, description: str = "", **kw: Any) -> Property:
    return Property(name, label, PropertyType.DATE, ControlType.DATE, description, **kw)


def time(name: str, label: str, description: str = "", **kw: Any) -> Property:
    return Property(name, label, PropertyType.TIME, ControlType.TIME, description, **kw)


def boolean(name: str, label: str, description: str = "", **kw: Any) -> Property:
    return Property(name, label, B, ControlType.SELECT, description, options=BOOLEAN_OPTIONS, **kw)


def select(
    name: str, label: str, description: str = "", type: PropertyType = S, *choices: tuple[str, Any], **kw: Any
) -> Property:
    return Property(name, label, type, ControlType.SELECT, description, options=options(*choices), **kw)


def loaded(
    name: str,
    label: str,
    loader: str,
    description: str = "",
    type: PropertyType = INT,
    depends_on: tuple[str, ...] = (),
    **kw: Any,
) -> Property:
    return Property(
        name,
        label,
        type,
        ControlType.SELECT,
        description,
        options_loader=OptionsLoaderRef(loader, depends_on),
        **kw,
    )


def obj(name: str, label: str, description: str, *properties: Property, **kw: Any) -> Property:
    return Property(
        name,
        label,
        PropertyType.OBJECT,
        ControlType.OBJECT_BUILDER,
        description,
        properties=tuple(properties),
        **kw,
    )


def array(name: str, label: str, description: str, items: Property, **kw: Any) -> Property:
    return Property(
        name, label, PropertyType.ARRAY, ControlType.ARRAY_BUILDER, description, items=items, **kw
    )


def start() -> Property:
    return integer(
        "start", "Start", "Pagination start (0-based offset of the first item).", minimum=0, default=0
    )


def limit() -> Property:
    return integer("limit", "Limit", "Items shown per page (at most 500).", minimum=1, maximum=500)


def record_id(entity: str, description: str) -> Property:
    return integer("id", "Id", description, required=True, minimum=1)


def lead_id(description: str) -> Property:
    return text("id", "Id", description, required=True, min_length=1, format="uuid")


def term() -> Property:
    return text(
        "term",
        "Term",
        "The search term to look for. Minimum 2 characters (or 1 if using exact_match).",
        required=True,
        min_length=1,
    )


def exact_match() -> Property:
    return boolean(
        "exact_match",
        "Exact Match",
        "When enabled, only full exact matches against the given term are returned. "
        "It is not case sensitive.",
    )


def custom_fields(entity: str) -> Property:
    return Property(
        "custom_fields",
        "Custom Fields",
        PropertyType.OBJECT,
        ControlType.OBJECT_BUILDER,
        f'Custom {entity} fields by name (or by key), e.g. {{"Budget": 5000, "Region": "EMEA"}}. '
        "Option fields take the option label.",
        additional_properties=True,
        extra=True,
    )


def visible_to(entity: str) -> Property:
    return Property(
        "visible_to",
        "Visible To",
        S,
        ControlType.SELECT,
        f"The visibility of the {entity}: 1 owner & followers, 3 entire company "
        "(5 and 7 with visibility groups).",
        options=VISIBLE_TO,
    )


def sort_text(description: str) -> Property:
    return text("sort", "Sort", description)


SORT_DESCRIPTION = (
    "The field names and sorting mode separated by a comma (field_name_1 ASC, field_name_2 DESC). "
    "Only first-level field keys are supported. In API v2 mode only the first field counts and it must "
    "be id, update_time or add_time."
)
