"""Small helpers shared by the OAuth endpoints: form bodies, client credentials, URL checks."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == FORM_CONTENT_TYPE


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded body as a dict (last value wins); undecodable bytes become U+FFFD."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from an ``Authorization: Basic`` header, else None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        return None
    return client_id, client_secret


def is_valid_redirect_uri(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.fragment


def is_loopback_url(uri: str) -> bool:
    try:
        host = urlsplit(uri).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to whatever query it already has."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def normalize_scope(raw: str | None) -> str:
    """Requested scopes, comma-joined as Pipedrive returns them, with ``base`` always last."""
    requested = [s for s in (raw or "").replace(" ", ",").split(",") if s and s != "base"]
    unique = list(dict.fromkeys(requested))
    return ",".join([*unique, "base"])
