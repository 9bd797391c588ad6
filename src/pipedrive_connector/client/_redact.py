"""Removing credentials from URLs and text before they reach messages, logs or reprs."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMS = frozenset(
    {"api_token", "access_token", "refresh_token", "token", "client_secret", "password", "code"}
)
REDACTED = "REDACTED"
_SECRET_KEYS = r"(?:api_token|access_token|refresh_token|client_secret|http_auth_password|password)"
_INLINE = re.compile(rf"({_SECRET_KEYS}=)[^&\s\"']+", re.IGNORECASE)
# A URL's userinfo (``https://user:password@host``, or ``user:password@host`` without a scheme).
_USERINFO = re.compile(
    r"(\b[a-z][a-z0-9+.-]*://)[^/\s@'\"]*@|(?<![\w.:/-])()[^/\s@'\":]+:[^/\s@'\"]*@", re.IGNORECASE
)
# The same keys in a repr or JSON text: ``'http_auth_password': 'x'`` or ``"password":"x"``.
_QUOTED = re.compile(rf"""(["']{_SECRET_KEYS}["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""", re.IGNORECASE)


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
    """``text`` without URL userinfo and the values of secret ``key=value`` and ``"key": "value"`` items."""
    text = _INLINE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _USERINFO.sub(lambda m: f"{m.group(1) or ''}{REDACTED}@", text)
    return _QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)


def redact_secrets(text: str, *secrets: str | None) -> str:
    """``text`` with every occurrence of the given secret values (and secret keys' values) replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return redact_text(text)


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
