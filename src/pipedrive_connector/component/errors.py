"""Errors raised by the component before (validation) or instead of (unknown action) any request."""

from __future__ import annotations


class ComponentError(Exception):
    """Base class of the component's own errors (HTTP errors are the client's ``PipedriveError``)."""


class ValidationError(ComponentError, ValueError):
    """An input does not match the action's schema. Raised before any request is made.

    ``property`` is the dotted path of the offending property (``deal.value``, ``email[0].value``).
    """

    def __init__(self, property: str, message: str) -> None:
        self.property = property
        self.message = message
        super().__init__(f"{property}: {message}" if property else message)


class UnknownActionError(ComponentError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        close = [k for k in known if k.lower() == name.lower() or name.lower() in k.lower()]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
        super().__init__(f"unknown action {name!r}{hint}; see `pipedrive actions list`")


class ConnectionConfigError(ComponentError):
    """The connection is incomplete (no token, no base URL, ...)."""
