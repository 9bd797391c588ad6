"""Pagination flows: the seed's Start/Limit over v1 offsets and over v2 cursors.

API v2 lists page with an opaque cursor. To keep the seed's ``start``/``limit`` properties, a v2
window walks the cursors from the beginning, skips ``start`` items and keeps ``limit`` items; the
output carries the seed's ``additional_data.pagination`` (``start``, ``limit``,
``more_items_in_collection``, ``next_start``) plus the raw ``next_cursor`` to resume with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pipedrive_connector.component.calls import Flow, request

MAX_PAGE = 500
DEFAULT_LIMIT = 100
Extract = Callable[[dict[str, Any]], list[Any]]


def _list_data(body: dict[str, Any]) -> list[Any]:
    data = body.get("data")
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return list(data["items"])
    return []


def pagination(start: int, limit: int, count: int, more: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        info["next_start"] = start + count
    return info


def v1_more(body: dict[str, Any]) -> tuple[bool, int | None]:
    """(more items?, next start) from a v1 body; accepts the leads spec variant without ``pagination``."""
    additional = body.get("additional_data") or {}
    page = additional.get("pagination") if isinstance(additional.get("pagination"), dict) else additional
    if not isinstance(page, dict):
        return False, None
    more = bool(page.get("more_items_in_collection"))
    next_start = page.get("next_start")
    if (
        more
        and next_start is None
        and isinstance(page.get("start"), int)
        and isinstance(page.get("limit"), int)
    ):
        next_start = page["start"] + page["limit"]
    return more, next_start if isinstance(next_start, int) else None


def v2_window(
    path: str,
    params: Mapping[str, Any],
    start: int,
    limit: int,
    cursors: dict[str, Any] | None = None,
    max_page: int = MAX_PAGE,
) -> Flow[tuple[list[Any], bool, str | None]]:
    """Items ``[start, start + limit)`` of a v2 cursor list; returns (items, more, cursor after them).

    ``cursors`` (a per-connection cache) remembers the cursor at each position reached, so asking for
    the next window (``start`` += ``limit``) resumes there instead of walking from the beginning.
    """
    key = json.dumps([path, sorted((k, str(v)) for k, v in params.items())])
    known: dict[int, str] = cursors.setdefault(key, {}) if cursors is not None else {}
    seen = max((pos for pos in known if pos <= start), default=0)
    cursor: str | None = known.get(seen)
    wanted_end = start + limit
    kept: list[Any] = []
    while True:
        page_size = min(max_page, max(1, wanted_end - seen))
        body = yield from request("GET", path, {**params, "limit": page_size, "cursor": cursor})
        items = _list_data(body)
        next_cursor = (body.get("additional_data") or {}).get("next_cursor")
        for item in items:
            if start <= seen < wanted_end:
                kept.append(item)
            seen += 1
        if next_cursor and cursors is not None:
            known[seen] = next_cursor
        if seen >= wanted_end:
            leftover = seen > wanted_end
            more = leftover or bool(next_cursor)
            return kept, more, None if leftover else next_cursor
        if not next_cursor or not items:
            return kept, False, None
        cursor = next_cursor


def v2_all(path: str, params: Mapping[str, Any] | None = None, max_page: int = MAX_PAGE) -> Flow[list[Any]]:
    """Every item of a v2 cursor list."""
    collected: list[Any] = []
    cursor: str | None = None
    while True:
        body = yield from request("GET", path, {**(params or {}), "limit": max_page, "cursor": cursor})
        items = _list_data(body)
        collected.extend(items)
        cursor = (body.get("additional_data") or {}).get("next_cursor")
        if not cursor or not items:
            return collected


def v1_all(path: str, params: Mapping[str, Any] | None = None, paged: bool = True) -> Flow[list[Any]]:
    """Every item of a v1 list (offset paging; ``paged=False`` for lists Pipedrive returns whole)."""
    if not paged:
        body = yield from request("GET", path, dict(params or {}))
        return _list_data(body)
    collected: list[Any] = []
    start = 0
    while True:
        body = yield from request("GET", path, {**(params or {}), "start": start, "limit": MAX_PAGE})
        items = _list_data(body)
        collected.extend(items)
        more, next_start = v1_more(body)
        if not more or not items:
            return collected
        start = next_start if next_start is not None and next_start > start else start + len(items)
