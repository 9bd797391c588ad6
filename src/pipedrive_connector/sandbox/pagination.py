"""v2 cursor pagination (opaque base64url keyset cursors) and v1 start/limit pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.store import Record, Store
from pipedrive_connector.sandbox.validation import query_choice, query_int

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
SORT_FIELDS = ("id", "update_time", "add_time")


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


@dataclass(frozen=True)
class CursorWindow:
    """One v2 page request: sort field and direction, page size and the keyset position to resume after."""

    sort_by: str
    descending: bool
    limit: int
    after: tuple[Any, Any] | None


def cursor_window(
    request: Request, *, sort_fields: tuple[str, ...] = SORT_FIELDS, maximum: int = MAX_LIMIT
) -> CursorWindow:
    """Read ``limit``, ``sort_by``, ``sort_direction`` and ``cursor`` (checked against the sort)."""
    limit = limit_param(request, maximum=maximum)
    sort_by = query_choice(request, "sort_by", sort_fields) or "id"
    direction = query_choice(request, "sort_direction", ("asc", "desc")) or "asc"
    after = None
    cursor = request.query_params.get("cursor")
    if cursor:
        payload = decode_cursor(cursor)
        if payload.get("field") != sort_by or payload.get("sortDirection") != direction:
            raise bad_request("Invalid cursor: it was issued for a different sort_by/sort_direction")
        after = (payload.get("fieldValue"), payload.get("id"))
    return CursorWindow(sort_by, direction == "desc", limit, after)


def cursor_result(window: CursorWindow, rows: list[Record]) -> tuple[list[Record], str | None]:
    """Cut ``rows`` (up to ``limit + 1`` in page order) to a page and the cursor of the next one."""
    page = rows[: window.limit]
    if len(rows) <= window.limit:
        return page, None
    last = page[-1]
    return page, encode_cursor(
        {
            "field": window.sort_by,
            "fieldValue": last.get(window.sort_by),
            "sortDirection": "desc" if window.descending else "asc",
            "id": last["id"],
        }
    )


def query_page(
    store: Store,
    kind: str,
    request: Request,
    *,
    where: Mapping[str, Any] | None = None,
    any_of: Sequence[Mapping[str, Any]] = (),
    sort_fields: tuple[str, ...] = SORT_FIELDS,
    maximum: int = MAX_LIMIT,
) -> tuple[list[Record], str | None]:
    """One v2 cursor page of ``kind`` cut in SQL (see ``Store.query`` for ``where``/``any_of``)."""
    window = cursor_window(request, sort_fields=sort_fields, maximum=maximum)
    rows = store.query(
        kind,
        where=where,
        any_of=any_of,
        order_by=window.sort_by,
        descending=window.descending,
        after=window.after,
        limit=window.limit + 1,
    )
    return cursor_result(window, rows)


def cursor_page(
    request: Request,
    items: list[Record],
    *,
    sort_fields: tuple[str, ...] = SORT_FIELDS,
    maximum: int = MAX_LIMIT,
) -> tuple[list[Record], str | None]:
    """The same page as ``query_page`` over records already in memory (the small kinds)."""
    window = cursor_window(request, sort_fields=sort_fields, maximum=maximum)

    def position(record: Record) -> tuple[tuple[int, Any], tuple[int, Any]]:
        return (_sort_key(record.get(window.sort_by)), _sort_key(record["id"]))

    ordered = sorted(items, key=position, reverse=window.descending)
    if window.after is not None:
        after = (_sort_key(window.after[0]), _sort_key(window.after[1]))
        if window.descending:
            ordered = [record for record in ordered if position(record) < after]
        else:
            ordered = [record for record in ordered if position(record) > after]
    return cursor_result(window, ordered[: window.limit + 1])


def offset_window(request: Request, *, maximum: int = MAX_LIMIT) -> tuple[int, int]:
    """v1 ``start`` and ``limit``."""
    start = query_int(request, "start", minimum=0) or 0
    return start, limit_param(request, maximum=maximum)


def offset_result(start: int, limit: int, rows: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """Cut ``rows`` (up to ``limit + 1`` from ``start``) to a page and its ``pagination`` object."""
    more = len(rows) > limit
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return rows[:limit], pagination


def offset_page(
    request: Request, items: list[Any], *, maximum: int = MAX_LIMIT
) -> tuple[list[Any], dict[str, Any]]:
    """v1 ``start``/``limit`` over a list in memory: a page and its ``additional_data.pagination`` object."""
    start, limit = offset_window(request, maximum=maximum)
    return offset_result(start, limit, items[start : start + limit + 1])
