"""v2 cursor pagination (opaque base64url keyset cursors) and v1 start/limit pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import query_choice, query_int

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, str(value))


def encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad_request("Invalid cursor: pass next_cursor from a previous response unchanged") from None
    if not isinstance(payload, dict) or "id" not in payload or "field" not in payload:
        raise bad_request("Invalid cursor: pass next_cursor from a previous response unchanged")
    return payload


def limit_param(request: Request, *, maximum: int = MAX_LIMIT) -> int:
    limit = query_int(request, "limit", minimum=1, maximum=maximum)
    return DEFAULT_LIMIT if limit is None else limit


def cursor_page(
    request: Request,
    items: list[Record],
    *,
    sort_fields: tuple[str, ...] = ("id", "update_time", "add_time"),
    maximum: int = MAX_LIMIT,
    key: Callable[[Record, str], Any] | None = None,
) -> tuple[list[Record], str | None]:
    """Sort by ``sort_by``/``sort_direction`` and cut one page after ``cursor``."""
    limit = limit_param(request, maximum=maximum)
    sort_by = query_choice(request, "sort_by", sort_fields) or "id"
    direction = query_choice(request, "sort_direction", ("asc", "desc")) or "asc"
    value_of = key or (lambda record, field: record.get(field))

    def position(record: Record) -> tuple[tuple[int, Any], tuple[int, Any]]:
        return (_sort_key(value_of(record, sort_by)), _sort_key(record["id"]))

    ordered = sorted(items, key=position, reverse=direction == "desc")
    cursor = request.query_params.get("cursor")
    if cursor:
        payload = decode_cursor(cursor)
        if payload.get("field") != sort_by or payload.get("sortDirection") != direction:
            raise bad_request("Invalid cursor: it was issued for a different sort_by/sort_direction")
        after = (_sort_key(payload.get("fieldValue")), _sort_key(payload.get("id")))
        if direction == "asc":
            ordered = [record for record in ordered if position(record) > after]
        else:
            ordered = [record for record in ordered if position(record) < after]
    page = ordered[:limit]
    next_cursor = None
    if len(ordered) > limit:
        last = page[-1]
        next_cursor = encode_cursor(
            {
                "field": sort_by,
                "fieldValue": value_of(last, sort_by),
                "sortDirection": direction,
                "id": last["id"],
            }
        )
    return page, next_cursor


def offset_page(
    request: Request, items: list[Any], *, maximum: int = MAX_LIMIT
) -> tuple[list[Any], dict[str, Any]]:
    """v1 ``start``/``limit``: a page and its ``additional_data.pagination`` object."""
    start = query_int(request, "start", minimum=0) or 0
    limit = limit_param(request, maximum=maximum)
    page = items[start : start + limit]
    more = start + limit < len(items)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return page, pagination
