"""Build request paths from untrusted ids: every segment is validated or percent-encoded.

Every path that carries a value from outside (an action input, a CLI argument, a webhook body)
goes through :func:`build_path`, so an id such as ``../../api/v2/deals/3`` can never turn
``DELETE /v1/leads/{id}`` into a request for another resource. Pipedrive's ids are positive
integers, except leads (and a few v1 objects) whose ids are UUIDs.

    build_path("/v1/leads/{id}", id=lead_id(value))
    build_path("/api/v2/deals/{id}/followers/{follower_id}", id=entity_id(a), follower_id=entity_id(b))
"""

from __future__ import annotations

import re
import string
import uuid
from typing import Any
from urllib.parse import quote, unquote

from pipedrive_connector.client._redact import redact_text
from pipedrive_connector.client.errors import ConfigurationError

__all__ = [
    "InvalidPathSegment",
    "build_path",
    "check_request_path",
    "entity_id",
    "lead_id",
    "path_segment",
]

# Pipedrive's integer ids are 32-bit or 64-bit positive integers; anything longer is not an id.
_MAX_DIGITS = 19
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DOT_SEGMENTS = (".", "..")


class InvalidPathSegment(ConfigurationError, ValueError):
    """An id or path segment that is not allowed in a request path; nothing was sent.

    ``.name`` is the input's name (``"id"``, ``"deal_id"``...), ``.value`` a short repr of what was given.
    """

    def __init__(self, name: str, value: Any, expected: str) -> None:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        super().__init__(f"invalid {name} {shown}: expected {expected}")
        self.name = name
        self.value = shown


def entity_id(value: Any, name: str = "id") -> int:
    """A positive integer id: ``int`` or a string of ASCII digits (booleans and floats refused)."""
    if isinstance(value, bool):
        raise InvalidPathSegment(name, value, "a positive integer")
    if isinstance(value, int):
        number = value
    elif (
        isinstance(value, str)
        and value.strip()
        and len(value.strip()) <= _MAX_DIGITS
        and all(char in string.digits for char in value.strip())
    ):
        number = int(value.strip())
    else:
        raise InvalidPathSegment(name, value, "a positive integer")
    if number <= 0 or number >= 2**63:
        raise InvalidPathSegment(name, value, "a positive integer")
    return number


def lead_id(value: Any, name: str = "id") -> str:
    """A UUID (leads' ids), returned in its canonical lowercase hyphenated form."""
    if not isinstance(value, str | uuid.UUID):
        raise InvalidPathSegment(name, value, "a UUID such as 'adf21080-0e10-11eb-879b-05d71fb426ec'")
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value.strip()))
    except ValueError:
        raise InvalidPathSegment(
            name, value, "a UUID such as 'adf21080-0e10-11eb-879b-05d71fb426ec'"
        ) from None


def path_segment(value: Any, name: str = "value") -> str:
    """Any other segment (a field code, a key): percent-encoded, never ``.``/``..``/empty."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidPathSegment(name, value, "a string or an integer")
    text = str(value)
    if text.strip() in ("", ".", "..") or any(ord(char) < 32 for char in text):
        raise InvalidPathSegment(name, value, "a non-empty path segment")
    return quote(text, safe="")


def build_path(template: str, **segments: Any) -> str:
    """Fill ``{name}`` placeholders; integers and UUIDs go in as they are, strings percent-encoded.

    Pass values already checked with :func:`entity_id` or :func:`lead_id` where the kind of id is
    known; any other value is encoded with :func:`path_segment`, so it stays one segment.
    """

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in segments:
            raise KeyError(f"build_path: no value for {{{key}}} in {template!r}")
        value = segments[key]
        if isinstance(value, int) and not isinstance(value, bool):
            return str(entity_id(value, key))
        if isinstance(value, uuid.UUID):
            return str(value)
        return path_segment(value, key)

    return _PLACEHOLDER.sub(fill, template)


def check_request_path(path: str) -> str:
    """``path`` when it stays under the base URL, else :class:`InvalidPathSegment` (nothing is sent).

    Refused: a scheme or ``//host`` (another host), backslashes and control characters, and any
    ``.``/``..`` segment, also percent-encoded (``%2e%2e``, ``..%2f``) or hidden behind ``;``
    parameters, since a proxy or server that decodes before normalising would walk up the tree.
    The query string is not checked (it is not part of the path).
    """
    where = path.split("?", 1)[0].split("#", 1)[0]
    shown = redact_text(path)
    if _SCHEME.match(path) or path.startswith("//"):
        raise InvalidPathSegment("path", shown, "a path relative to the base URL, not a URL of another host")
    decoded = where
    for _ in range(3):  # a double-encoded '%252e' is '.' to a server that decodes twice
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            break
    if any(ord(char) < 32 or ord(char) == 127 for char in path + decoded):
        raise InvalidPathSegment("path", shown, "a path without control characters")
    if "\\" in decoded:
        raise InvalidPathSegment("path", shown, "a path without backslashes")
    if any(segment.split(";", 1)[0] in _DOT_SEGMENTS for segment in decoded.split("/")):
        raise InvalidPathSegment("path", shown, "a path without '.' or '..' segments")
    return path
