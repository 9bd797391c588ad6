"""Page objects and the pure next-page logic for v1 offsets and v2 cursors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, Literal, TypeVar

from pipedrive_connector.client.errors import PaginationError

T = TypeVar("T")
Paging = Literal["cursor", "offset", "none"]
DEFAULT_PAGE_SIZE = 500


def next_page_params(
    params: dict[str, Any], envelope: dict[str, Any], paging: Paging, item_count: int
) -> dict[str, Any] | None:
    """The params of the page after ``envelope`` (fetched with ``params``), or None at the end.

    Raises ``PaginationError`` when the server's cursor or offset does not move forward, which would
    otherwise loop forever.
    """
    if paging == "none":
        return None
    extra = envelope.get("additional_data")
    if not isinstance(extra, dict):
        return None
    cursor = extra.get("next_cursor")
    if paging == "cursor" or cursor is not None:
        if not cursor:
            return None
        if cursor == params.get("cursor"):
            raise PaginationError(f"the server returned the same next_cursor again ({cursor!r}); stopping")
        return {**params, "cursor": cursor}
    nested = extra.get("pagination")
    pagination: dict[str, Any] = nested if isinstance(nested, dict) else extra
    if not pagination.get("more_items_in_collection"):
        return None
    start = int(params.get("start") or 0)
    next_start = pagination.get("next_start")
    if next_start is None:
        next_start = start + item_count
    next_start = int(next_start)
    if next_start <= start:
        raise PaginationError(
            f"the server's next_start ({next_start}) does not advance past {start}; stopping"
        )
    return {**params, "start": next_start}


class _PageBase(Generic[T]):
    def __init__(self, items: list[T], envelope: dict[str, Any], next_params: dict[str, Any] | None) -> None:
        self.items = items
        self.envelope = envelope
        self.next_params = next_params

    @property
    def additional_data(self) -> dict[str, Any]:
        extra = self.envelope.get("additional_data")
        return extra if isinstance(extra, dict) else {}

    @property
    def next_cursor(self) -> str | None:
        value = self.additional_data.get("next_cursor")
        return str(value) if value else None

    def has_next(self) -> bool:
        return self.next_params is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(items={len(self.items)}, has_next={self.has_next()})"


class Page(_PageBase[T]):
    """One page of results; ``next_page()`` fetches the following one (None at the end)."""

    def __init__(
        self,
        items: list[T],
        envelope: dict[str, Any],
        next_params: dict[str, Any] | None,
        fetch: Callable[[dict[str, Any]], Page[T]],
    ) -> None:
        super().__init__(items, envelope, next_params)
        self._fetch = fetch

    def next_page(self) -> Page[T] | None:
        return self._fetch(self.next_params) if self.next_params is not None else None


class AsyncPage(_PageBase[T]):
    """One page of results; ``await next_page()`` fetches the following one (None at the end)."""

    def __init__(
        self,
        items: list[T],
        envelope: dict[str, Any],
        next_params: dict[str, Any] | None,
        fetch: Callable[[dict[str, Any]], Awaitable[AsyncPage[T]]],
    ) -> None:
        super().__init__(items, envelope, next_params)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[T] | None:
        return await self._fetch(self.next_params) if self.next_params is not None else None
