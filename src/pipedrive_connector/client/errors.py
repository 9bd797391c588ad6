"""The client's error hierarchy and the mapping from Pipedrive responses to it.

Every error carries what Pipedrive said (``error``, ``error_info``, ``code``), the HTTP status, the
request id header when the server sent one, and the method and URL of the request with secrets
redacted. Nothing in an error's message, ``repr`` or attributes contains a credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from pipedrive_connector.client._redact import redact_url

REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "x-pipedrive-request-id", "cf-ray")


class PipedriveError(Exception):
    """Base class of every error the client raises."""

    status_code: int | None
    error: str | None
    error_info: str | None
    code: str | None
    request_id: str | None
    method: str | None
    url: str | None
    body: Any

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
        error_info: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error = error
        self.error_info = error_info
        self.code = code
        self.request_id = request_id
        self.method = method
        self.url = redact_url(url) if url else url
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        parts = [self.message]
        if self.method and self.url:
            parts.append(f"({self.method} {self.url}")
            if self.status_code is not None:
                parts[-1] += f" -> {self.status_code}"
            if self.request_id:
                parts[-1] += f", request id {self.request_id}"
            parts[-1] += ")"
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r}, url={self.url!r})"


class ConfigurationError(PipedriveError):
    """The client was not given enough (or consistent) settings to make a request."""


class PaginationError(PipedriveError):
    """The server returned a next-page cursor/offset that does not move forward."""


class UnknownCustomField(PipedriveError, KeyError):
    """A custom field name (or option label) that the account does not define."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.message


class APIStatusError(PipedriveError):
    """The server answered with an error status (or ``success: false``)."""


class BadRequest(APIStatusError):
    """400: the request was not understood or failed validation."""


class Unauthorized(APIStatusError):
    """401: missing, invalid or expired credentials."""


class PaymentRequired(APIStatusError):
    """402: the company account is not open (trial expired, payment details missing)."""


class Forbidden(APIStatusError):
    """403: not allowed (permissions, scopes, an account limit, or abuse protection)."""


class NotFound(APIStatusError):
    """404: no such object or endpoint."""


class MethodNotAllowed(APIStatusError):
    """405: the endpoint does not support this method."""


class Gone(APIStatusError):
    """410: the resource is permanently unavailable (e.g. a removed legacy endpoint)."""


class UnsupportedMediaType(APIStatusError):
    """415: feature not enabled, or a body type the endpoint does not take."""


class UnprocessableEntity(APIStatusError):
    """422: semantically invalid (e.g. the webhooks limit is reached)."""


class RateLimited(APIStatusError):
    """429 from the 2-second burst window, still failing after the client's waits and retries."""

    retry_after: float | None = None


class DailyBudgetExhausted(RateLimited):
    """The company's daily API token budget is used up. ``reset_at`` says when it comes back."""

    reset_at: datetime | None = None


class ServerError(APIStatusError):
    """5xx: Pipedrive failed."""


class ConnectionFailed(PipedriveError):
    """The request could not be delivered or its answer could not be read."""


class Timeout(ConnectionFailed):
    """The request timed out."""


class AmbiguousWriteError(PipedriveError):
    """A non-idempotent request (a create) failed in a way that does not tell whether it took effect.

    The client never retries these silently: the create may have happened. Look the object up (e.g.
    search by title) before trying again.
    """


class AmbiguousServerError(ServerError, AmbiguousWriteError):
    """A create answered 5xx: the server may or may not have stored it."""


class AmbiguousConnectionError(ConnectionFailed, AmbiguousWriteError):
    """A create was sent but the connection dropped before the answer came back."""


class AmbiguousTimeout(Timeout, AmbiguousWriteError):
    """A create was sent but timed out before the answer came back."""


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    410: Gone,
    415: UnsupportedMediaType,
    422: UnprocessableEntity,
    429: RateLimited,
}


def error_class_for_status(status_code: int) -> type[APIStatusError]:
    if status_code in STATUS_ERRORS:
        return STATUS_ERRORS[status_code]
    if status_code >= 500:
        return ServerError
    if status_code == 200 or status_code == 201:
        return APIStatusError  # success: false with a 2xx status
    return BadRequest if 400 <= status_code < 500 else APIStatusError


def request_id_of(headers: httpx.Headers) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def describe_body(body: Any) -> tuple[str | None, str | None, str | None]:
    """Pipedrive's ``error``, ``error_info`` and ``code`` from any of its error body shapes."""
    if not isinstance(body, dict):
        if isinstance(body, str) and body.strip():
            text = body.strip()
            if text.lstrip().startswith("<"):
                return "the server answered with an HTML page (not the API)", None, None
            return text[:300], None, None
        return None, None, None
    error = body.get("error") or body.get("message")
    if not error and isinstance(body.get("errors"), dict):
        # webhooks-style: {"errors": {"subscription_url": ["invalid or non-reachable URL"]}}
        error = "; ".join(
            f"{field}: {', '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in body["errors"].items()
        )
    error_info = body.get("error_info")
    raw_code = body.get("code", body.get("errorCode", body.get("error_code")))
    code = str(raw_code) if raw_code is not None else None
    return (str(error) if error else None), (str(error_info) if error_info else None), code


def error_from_response(
    response: httpx.Response,
    body: Any,
    *,
    cls: type[APIStatusError] | None = None,
    message: str | None = None,
) -> APIStatusError:
    """Build the error matching ``response``; ``body`` is its parsed JSON (or text)."""
    error, error_info, code = describe_body(body)
    status = response.status_code
    chosen = cls or error_class_for_status(status)
    request = response.request
    if message is None and status == 403 and isinstance(body, str) and body.lstrip().startswith("<"):
        message = (
            "blocked by Pipedrive's abuse protection (an HTML 403 after ignored 429s): "
            "slow down and retry later"
        )
    text = message or error or f"HTTP {status} {response.reason_phrase}".strip()
    return chosen(
        text,
        status_code=status,
        error=error,
        error_info=error_info,
        code=code,
        request_id=request_id_of(response.headers),
        method=request.method,
        url=str(request.url),
        body=body,
        headers={
            k: v for k, v in response.headers.items() if k.lower().startswith("x-") or k == "retry-after"
        },
    )


__all__ = [
    "APIStatusError",
    "AmbiguousConnectionError",
    "AmbiguousServerError",
    "AmbiguousTimeout",
    "AmbiguousWriteError",
    "BadRequest",
    "ConfigurationError",
    "ConnectionFailed",
    "DailyBudgetExhausted",
    "Forbidden",
    "Gone",
    "MethodNotAllowed",
    "NotFound",
    "PaginationError",
    "PaymentRequired",
    "PipedriveError",
    "RateLimited",
    "ServerError",
    "Timeout",
    "Unauthorized",
    "UnknownCustomField",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "error_from_response",
]
