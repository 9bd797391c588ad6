"""Removing credentials from URLs and text before they reach messages, logs or reprs."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMS = frozenset(
    {"api_token", "access_token", "refresh_token", "token", "client_secret", "password", "code"}
)
REDACTED = "REDACTED"
_INLINE = re.compile(r"((?:api_token|access_token|refresh_token|client_secret)=)[^&\s\"']+", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with the values of secret query parameters and any userinfo password replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe=",")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    return _INLINE.sub(lambda m: m.group(1) + REDACTED, text)


def mask_secret(secret: str | None) -> str:
    """A repr-safe stand-in for a secret: shows only that one is set."""
    return "<unset>" if not secret else "<hidden>"


class RedactingFilter(logging.Filter):
    """Rewrites log records whose text carries a secret query parameter (httpx logs full URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_LOGGERS_TO_REDACT = ("httpx", "httpcore")


def install_log_redaction() -> None:
    """Keep ``api_token=...`` (token in the query string) out of httpx's own request log lines."""
    for name in _LOGGERS_TO_REDACT:
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in target.filters):
            target.addFilter(RedactingFilter())
