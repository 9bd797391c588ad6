"""Auth (header, query, missing, bad, other users), /v1/users/me, and the socket server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sandbox_testkit import TOKEN, Api

from pipedrive_connector.sandbox import RunningSandbox, SandboxSettings, create_app, run_sandbox


def test_header_and_query_tokens_are_accepted(api: Api) -> None:
    assert api.get("/v1/users/me").status_code == 200
    assert api.client.get("/v1/users/me", params={"api_token": TOKEN}).status_code == 200


def test_missing_or_wrong_token_is_401_with_pipedrive_body(api: Api) -> None:
    expected = {"success": False, "error": "unauthorized access", "errorCode": 401}
    assert api.client.get("/api/v2/deals").json() == expected
    response = api.client.get("/api/v2/deals", headers={"x-api-token": TOKEN + "x"})
    assert response.status_code == 401 and response.json() == expected


def test_invalid_bearer_token_is_401(api: Api) -> None:
    response = api.client.get("/api/v2/deals", headers={"authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid token: access_token is invalid"


def test_users_me_has_company_data_and_other_users_have_their_own_tokens(api: Api) -> None:
    me = api.get("/v1/users/me").json()["data"]
    assert (
        me["id"] == 1 and me["company_domain"] == "sandbox" and me["company_id"] == 1 and me["company_name"]
    )
    users = api.get("/v1/users").json()["data"]
    assert len(users) >= 2
    second = api.client.get("/api/v1/users/me", headers={"x-api-token": f"{TOKEN}-user-2"}).json()["data"]
    assert second["id"] == 2 and second["email"] == users[1]["email"]
    missing = api.get("/v1/users/999")
    assert missing.status_code == 404 and missing.json() == {
        "success": False,
        "error": "User not found or not accessible.",
    }


def test_run_sandbox_serves_over_a_socket() -> None:
    with run_sandbox(SandboxSettings(api_token="sock-token")) as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        assert "sock-token" not in repr(sandbox)
        assert "sock-token" not in repr(sandbox.state.settings) and "sock-token" not in repr(sandbox.state)
        response = httpx.get(f"{sandbox.base_url}/api/v2/deals", headers={"x-api-token": sandbox.api_token})
        assert response.status_code == 200 and len(response.json()["data"]) >= 10


def test_pytest_fixture_resets_between_tests_part_one(pipedrive_sandbox: RunningSandbox) -> None:
    httpx.post(f"{pipedrive_sandbox.base_url}/_sandbox/clock", json={"advance_seconds": 86400})
    url = f"{pipedrive_sandbox.base_url}/api/v2/deals"
    created = httpx.post(url, json={"title": "fixture"}, headers={"x-api-token": pipedrive_sandbox.api_token})
    assert created.status_code == 200


def test_pytest_fixture_resets_between_tests_part_two(pipedrive_sandbox: RunningSandbox) -> None:
    response = httpx.get(
        f"{pipedrive_sandbox.base_url}/api/v2/deals",
        params={"limit": 500},
        headers={"x-api-token": pipedrive_sandbox.api_token},
    )
    assert "fixture" not in [deal["title"] for deal in response.json()["data"]]
    assert (
        httpx.get(f"{pipedrive_sandbox.base_url}/_sandbox/state").json()["data"]["clock_offset_seconds"] == 0
    )


def oauth_token(api: Api, scope: str | None) -> str:
    """An access token from the sandbox's OAuth server, through the consent step."""
    redirect = "http://127.0.0.1:9/callback"
    api.client.post(
        "/_sandbox/oauth/clients",
        json={"client_id": "scoped-app", "client_secret": "s3cret", "redirect_uri": redirect},
    )
    form = {"client_id": "scoped-app", "redirect_uri": redirect, "decision": "allow", "state": "s"}
    if scope is not None:
        form["scope"] = scope
    consent = api.client.post("/oauth/authorize", data=form, follow_redirects=False)
    code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
    token = api.client.post(
        "/oauth/token",
        auth=("scoped-app", "s3cret"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
    )
    return str(token.json()["access_token"])


def test_oauth_bearer_tokens_are_limited_to_their_scopes(api: Api) -> None:
    headers = {"authorization": f"Bearer {oauth_token(api, 'deals:read')}"}
    assert api.client.get("/api/v2/deals", headers=headers).status_code == 200
    assert api.client.get("/v1/users/me", headers=headers).json()["data"]["id"] == 1
    assert api.client.get("/api/v2/deals/search", params={"term": "acme"}, headers=headers).status_code == 200
    for method, path in (("POST", "/api/v2/deals"), ("GET", "/api/v2/persons"), ("GET", "/v1/leads")):
        denied = api.client.request(method, path, headers=headers, json={"title": "x"})
        assert denied.status_code == 403
        assert denied.json() == {"success": False, "error": "Scope and URL mismatch", "errorCode": 403}
    writer = {"authorization": f"Bearer {oauth_token(api, 'deals:full,contacts:read')}"}
    assert api.client.post("/api/v2/deals", headers=writer, json={"title": "By app"}).status_code == 200
    assert api.client.get("/api/v2/persons", headers=writer).status_code == 200
    assert api.client.post("/api/v2/pipelines", headers=writer, json={"name": "P"}).status_code == 403


def test_oauth_app_without_declared_scopes_is_unrestricted(api: Api) -> None:
    headers = {"authorization": f"Bearer {oauth_token(api, None)}"}
    assert api.client.get("/v1/leads", headers=headers).status_code == 200
    assert api.client.post("/api/v2/persons", headers=headers, json={"name": "By app"}).status_code == 200


@pytest.mark.anyio
async def test_the_asgi_app_works_with_httpx_asgi_transport() -> None:
    app = create_app(SandboxSettings(api_token="asgi"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        me = await client.get("/v1/users/me", headers={"x-api-token": "asgi"})
        assert me.json()["data"]["company_domain"] == "sandbox"
        created = await client.post("/api/v2/deals", json={"title": "Async"}, headers={"x-api-token": "asgi"})
        assert created.status_code == 200
    assert app.state.sandbox.store.get("deal", created.json()["data"]["id"])["title"] == "Async"
