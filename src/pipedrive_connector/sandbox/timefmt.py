"""Date and time formats: v2 RFC 3339 (``2024-01-01T00:00:00Z``), v1 ``YYYY-MM-DD HH:MM:SS`` (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# re.ASCII: \d alone also matches digits such as "\u0662", which int() accepts.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.ASCII)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_V1_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$", re.ASCII)
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$", re.ASCII)


# isoformat rather than strftime: glibc's %Y writes year 1 as "1", which nothing parses back.


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def iso(moment: datetime) -> str:
    """The v2 form: whole seconds, UTC, ``Z`` suffix."""
    return _naive_utc(moment).isoformat(timespec="seconds") + "Z"


def iso_millis(moment: datetime) -> str:
    """The form leads and lead labels use: ``2020-10-14T11:30:36.551Z``."""
    return _naive_utc(moment).isoformat(timespec="milliseconds") + "Z"


def parse_rfc3339(value: str) -> datetime | None:
    """None when malformed, or when the offset moves it outside years 1..9999 (9999-12-31T23:59:59-01:00)."""
    if not _RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_any_datetime(value: str) -> datetime | None:
    """RFC 3339 or the v1 form (taken as UTC)."""
    parsed = parse_rfc3339(value)
    if parsed is not None:
        return parsed
    if _V1_DATETIME.match(value):
        try:
            return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_time(value: str) -> bool:
    if not _TIME.match(value):
        return False
    parts = [int(p) for p in value.split(":")]
    return parts[0] < 24 and all(p < 60 for p in parts[1:])


def v1(value: str | None) -> str | None:
    """A stored RFC 3339 timestamp in the v1 form ``YYYY-MM-DD HH:MM:SS``."""
    if not value:
        return None
    parsed = parse_any_datetime(value)
    if parsed is None:
        return value
    return parsed.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
