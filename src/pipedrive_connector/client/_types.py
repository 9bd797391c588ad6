"""Sentinels and small shared types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal

ApiVersion = Literal["v1", "v2"]


class _Unset(Enum):
    """ "Leave this field unchanged": distinct from ``None``, which sends ``null`` (clears the field)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset.UNSET
Unset = Literal[_Unset.UNSET]


def drop_unset(value: Any) -> Any:
    """A JSON-ready copy of ``value``: UNSET entries removed (``None`` kept), dates as Pipedrive
    writes them (``YYYY-MM-DD``; times RFC 3339 in UTC, whole seconds), Decimals as floats."""
    if isinstance(value, dict):
        return {k: drop_unset(v) for k, v in value.items() if v is not UNSET}
    if isinstance(value, list | tuple):
        return [drop_unset(v) for v in value if v is not UNSET]
    return scalar_value(value)


def scalar_value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum) and value is not UNSET:
        return value.value
    return value


def query_value(value: Any) -> Any:
    """Pipedrive's query-string spelling: booleans as true/false, sequences comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(query_value(v)) for v in value)
    return scalar_value(value)


def clean_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    return {k: query_value(v) for k, v in params.items() if v is not None and v is not UNSET}
