"""Whatever the body, the webhook, OAuth and extras control-plane endpoints answer a clear 4xx, never a 5xx.

In-process (Starlette's TestClient over the ASGI app) with ``raise_server_exceptions=True``, so an
unhandled exception fails the test instead of hiding behind a 500.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_connector.sandbox import SandboxSettings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TOKEN = "fuzz-token"
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
WEBHOOK_FIELDS = [
    "subscription_url",
    "event_action",
    "event_object",
    "name",
    "user_id",
    "http_auth_user",
    "http_auth_password",
    "version",
]
webhook_bodies = st.dictionaries(
    st.sampled_from(WEBHOOK_FIELDS) | st.text(max_size=8),
    json_values | st.sampled_from(["*", "deal", "create", "http://127.0.0.1:1/x", "2.0"]),
    max_size=9,
)
form_fields = st.dictionaries(
    st.sampled_from(
        [
            "grant_type",
            "code",
            "refresh_token",
            "redirect_uri",
            "client_id",
            "client_secret",
            "token",
            "token_type_hint",
            "api_token",
            "scope",
            "state",
            "decision",
            "user_id",
        ]
    ),
    st.text(max_size=40)
    | st.sampled_from(
        [
            "authorization_code",
            "refresh_token",
            "exchange_api_token",
            "allow",
            "deny",
            "sandbox-client",
            "sandbox-secret",
            "http://127.0.0.1:5/cb",
            TOKEN,
        ]
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(SandboxSettings(api_token=TOKEN, seed="empty"))
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


def _calm(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={})
    client.post("/_sandbox/rate-limit", json={"plan": "off", "daily_budget": None, "seats": None})


@FUZZ
@given(body=webhook_bodies)
def test_webhook_add_never_fails_with_5xx(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/v1/webhooks", json=body, headers={"x-api-token": TOKEN})
    assert response.status_code in (201, 400, 422), response.text
    assert response.json()["success"] is (response.status_code == 201)
    if response.status_code == 201:
        assert (
            client.delete(
                f"/v1/webhooks/{response.json()['data']['id']}", headers={"x-api-token": TOKEN}
            ).status_code
            == 200
        )


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
)
def test_raw_bodies_never_fail_with_5xx(client: TestClient, raw: bytes, content_type: str) -> None:
    headers = {"x-api-token": TOKEN, "content-type": content_type}
    for path in (
        "/v1/webhooks",
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/authorize",
        "/_sandbox/oauth/clients",
        "/_sandbox/webhooks/settings",
        "/_sandbox/faults",
        "/_sandbox/rate-limit",
    ):
        response = client.post(path, content=raw, headers=headers)
        assert response.status_code < 500, (path, response.text)
    _calm(client)


@FUZZ
@given(fields=form_fields, basic=st.none() | st.text(max_size=30))
def test_oauth_endpoints_never_fail_with_5xx(
    client: TestClient, fields: dict[str, str], basic: str | None
) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if basic is not None:
        headers["authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    for path in ("/oauth/token", "/oauth/revoke", "/oauth/authorize"):
        response = client.post(path, content=urlencode(fields), headers=headers, follow_redirects=False)
        assert response.status_code in (200, 302, 400), (path, response.text)
    page = client.get("/oauth/authorize", params=fields)
    assert page.status_code in (200, 400)


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "error_rate",
                "drop_rate",
                "latency_ms",
                "slow_rate",
                "slow_ms",
                "seed",
                "statuses",
                "paths",
                "after_rate",
                "plan",
                "daily_budget",
                "seats",
                "retry_delays",
                "ban_enabled",
                "timeout_seconds",
                "client_id",
                "client_secret",
                "redirect_uri",
            ]
        ),
        json_values,
        max_size=6,
    )
)
def test_control_plane_settings_never_fail_with_5xx(client: TestClient, body: dict[str, Any]) -> None:
    # latency and slow replies are only switched on when harmless: valid configs are applied.
    safe = {k: v for k, v in body.items() if k not in ("latency_ms", "slow_ms")}
    for path in (
        "/_sandbox/faults",
        "/_sandbox/rate-limit",
        "/_sandbox/webhooks/settings",
        "/_sandbox/oauth/clients",
    ):
        response = client.post(path, content=json.dumps(safe), headers={"content-type": "application/json"})
        assert response.status_code in (200, 201, 400), (path, response.text)
    _calm(client)
    for path in (
        "/_sandbox/deliveries",
        "/_sandbox/faults",
        "/_sandbox/rate-limit",
        "/_sandbox/oauth/tokens",
    ):
        assert client.get(path, params={k: str(v) for k, v in list(body.items())[:2]}).status_code in (
            200,
            400,
        )
