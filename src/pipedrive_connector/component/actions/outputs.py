"""Output JSON Schemas: the seed's envelope (success, data, additional_data, related_objects)."""

from __future__ import annotations

from typing import Any


def entity(*fields: tuple[str, str | list[str]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in fields},
        "additionalProperties": True,
    }


DEAL = entity(
    ("id", "integer"),
    ("title", "string"),
    ("value", "number"),
    ("currency", "string"),
    ("status", "string"),
    ("stage_id", "integer"),
    ("pipeline_id", "integer"),
)
LEAD = entity(
    ("id", "string"),
    ("title", "string"),
    ("owner_id", "integer"),
    ("value", ["object", "null"]),
    ("expected_close_date", ["string", "null"]),
    ("person_id", ["integer", "null"]),
    ("organization_id", ["integer", "null"]),
)
ORGANIZATION = entity(("id", "integer"), ("name", "string"))
PERSON = entity(("id", "integer"), ("name", "string"))
ACTIVITY = entity(("id", "integer"), ("subject", "string"), ("type", "string"), ("done", "boolean"))
SEARCH_ITEM = {
    "type": "object",
    "properties": {"result_score": {"type": "number"}, "item": {"type": "object"}},
    "additionalProperties": True,
}
_PAGINATION = {
    "type": "object",
    "properties": {
        "pagination": {
            "type": "object",
            "properties": {
                "start": {"type": "integer"},
                "limit": {"type": "integer"},
                "more_items_in_collection": {"type": "boolean"},
                "next_start": {"type": "integer"},
            },
        },
        "next_cursor": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}


def _envelope(data: dict[str, Any], paged: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {"success": {"type": "boolean"}, "data": data}
    properties["additional_data"] = _PAGINATION if paged else {"type": "object"}
    properties["related_objects"] = {"type": "object"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": ["success", "data", "additional_data"],
        "additionalProperties": True,
    }


def one(shape: dict[str, Any]) -> dict[str, Any]:
    return _envelope(shape)


def many(shape: dict[str, Any]) -> dict[str, Any]:
    return _envelope({"type": "array", "items": shape}, paged=True)


def search() -> dict[str, Any]:
    return _envelope(
        {"type": "object", "properties": {"items": {"type": "array", "items": SEARCH_ITEM}}}, paged=True
    )


def deleted(id_type: str = "integer") -> dict[str, Any]:
    return _envelope({"type": "object", "properties": {"id": {"type": id_type}}})


NOTE = entity(("id", "integer"), ("content", "string"), ("deal_id", ["integer", "null"]))
PRODUCT = entity(("id", "integer"), ("name", "string"), ("code", ["string", "null"]))
DEAL_PRODUCT = entity(
    ("id", "integer"), ("product_id", "integer"), ("item_price", "number"), ("quantity", "number")
)
FOLLOWER = entity(("user_id", "integer"), ("add_time", "string"))
PARTICIPANT = entity(("id", "integer"), ("person_id", ["object", "integer"]))
PIPELINE = entity(("id", "integer"), ("name", "string"))
STAGE = entity(("id", "integer"), ("name", "string"), ("pipeline_id", "integer"))
USER = entity(("id", "integer"), ("name", "string"), ("email", "string"))
ACTIVITY_TYPE = entity(("id", "integer"), ("name", "string"), ("key_string", "string"))
FILTER = entity(("id", "integer"), ("name", "string"), ("type", "string"))
CALL_LOG = entity(("id", "string"), ("outcome", "string"), ("to_phone_number", "string"))
GOAL = entity(("id", "string"), ("title", "string"))
LEAD_LABEL = entity(("id", "string"), ("name", "string"), ("color", "string"))
CONVERSION = entity(
    ("conversion_id", "string"),
    ("status", "string"),
    ("deal_id", ["integer", "null"]),
    ("lead_id", ["string", "null"]),
)
ANY = {"type": ["object", "array", "string", "number", "boolean", "null"]}


def found(shape: dict[str, Any]) -> dict[str, Any]:
    """A lookup that may find nothing: ``data`` is the record or null."""
    return _envelope({"anyOf": [shape, {"type": "null"}]})


def raw() -> dict[str, Any]:
    """Whatever Pipedrive answered (customApiCall)."""
    return _envelope(ANY)


FILE = entity(("id", "integer"), ("name", "string"), ("file_name", "string"), ("file_size", "integer"))
