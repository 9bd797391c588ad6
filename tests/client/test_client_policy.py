"""Pure parts of the core: backoff bounds, Retry-After parsing, path and URL handling, redaction."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pipedrive_connector.client import errors
from pipedrive_connector.client._core import normalize_path
from pipedrive_connector.client._ratelimit import WindowLimiter
from pipedrive_connector.client._redact import redact_url
from pipedrive_connector.client._retry import RetryPolicy, is_idempotent, parse_retry_after


@pytest.mark.parametrize("attempt", range(8))
def test_backoff_is_jittered_exponential_and_capped(attempt: int) -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    rng = random.Random(attempt)
    delays = [policy.backoff(attempt, rng) for _ in range(200)]
    ceiling = min(8.0, 0.5 * 2**attempt)
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert max(delays) - min(delays) > ceiling / 10  # jittered, not constant


def test_retry_after_in_seconds_date_and_reset_header() -> None:
    assert parse_retry_after(httpx.Headers({"retry-after": "3"})) == 3.0
    when = datetime.now(UTC) + timedelta(seconds=30)
    parsed = parse_retry_after(httpx.Headers({"retry-after": format_datetime(when, usegmt=True)}))
    assert parsed is not None and 25 <= parsed <= 31
    assert parse_retry_after(httpx.Headers({"x-ratelimit-reset": "2"})) == 2.0
    assert parse_retry_after(httpx.Headers({})) is None


def test_which_methods_are_idempotent() -> None:
    assert all(is_idempotent(m, None) for m in ("GET", "HEAD", "DELETE", "PATCH", "PUT"))
    assert not is_idempotent("POST", None)
    assert is_idempotent("POST", True) and not is_idempotent("GET", False)


def test_paths() -> None:
    assert normalize_path("/api/v2/deals", None) == "/api/v2/deals"
    assert normalize_path("/v1/leads", None) == "/v1/leads"
    assert normalize_path("/api/v1/leads", None) == "/api/v1/leads"
    assert normalize_path("deals", "v2") == "/api/v2/deals"
    with pytest.raises(errors.ConfigurationError, match="not a full URL"):
        normalize_path("https://api.pipedrive.com/v1/deals", None)


def test_url_redaction() -> None:
    url = "https://acme.pipedrive.com/v1/deals?api_token=abc123&limit=5"
    assert redact_url(url) == "https://acme.pipedrive.com/v1/deals?api_token=REDACTED&limit=5"
    assert "pw" not in redact_url("https://user:pw@host/x")


def test_window_limiter_spaces_requests_to_the_limit() -> None:
    now = [100.0]
    limiter = WindowLimiter(limit=3, clock=lambda: now[0])
    waits = [limiter.reserve() for _ in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert all(w > 2.0 for w in waits[3:6])  # the 4th-6th wait for the first three to leave
    assert waits[6] > 4.0


def _scripted(status: int, body: bytes, content_type: str) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"content-type": content_type})
    )


# Shapes the sandbox does not produce: Cloudflare's HTML 403 and a 200 that says success: false.


def test_html_403_from_abuse_protection_is_explained() -> None:
    from pipedrive_connector.client import Pipedrive

    page = b"<!DOCTYPE html><html><title>Attention Required! | Cloudflare</title></html>"
    pd = Pipedrive(api_token="t", base_url="http://x.example", transport=_scripted(403, page, "text/html"))
    with pytest.raises(errors.Forbidden, match="abuse protection"):
        pd.request("GET", "/v1/users/me")


def test_success_false_with_status_200_is_an_error() -> None:
    from pipedrive_connector.client import Pipedrive

    body = b'{"success": false, "error": "Something odd", "error_info": "info"}'
    pd = Pipedrive(
        api_token="t", base_url="http://x.example", transport=_scripted(200, body, "application/json")
    )
    with pytest.raises(errors.APIStatusError, match="Something odd") as caught:
        pd.request("GET", "/v1/users/me")
    assert caught.value.status_code == 200 and caught.value.error_info == "info"
