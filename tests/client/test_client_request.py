"""request(): envelopes, paths, configuration and the error mapping, against the sandbox."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import AsyncPipedrive, Pipedrive, errors
from pipedrive_connector.client.auth import ApiTokenAuth

pytestmark = pytest.mark.anyio


async def test_request_returns_the_full_envelope_for_v1_and_v2(pd: Either) -> None:
    me = await pd.request("GET", "/v1/users/me")
    assert me["success"] is True
    assert me["data"]["company_domain"] == "sandbox"
    deals = await pd.request("GET", "/api/v2/deals", params={"limit": 2})
    assert deals["success"] is True
    assert len(deals["data"]) == 2
    assert "next_cursor" in deals["additional_data"]


async def test_api_argument_prefixes_unversioned_paths(pd: Either) -> None:
    v1 = await pd.request("GET", "/users/me", api="v1")
    assert v1["data"]["id"] == 1
    v2 = await pd.request("GET", "deals", api="v2", params={"limit": 1})
    assert len(v2["data"]) == 1


async def test_unversioned_path_without_api_is_a_clear_error(pd: Either) -> None:
    with pytest.raises(errors.ConfigurationError, match="names no API version"):
        await pd.request("GET", "/deals")


async def test_json_body_and_none_params_are_dropped(pd: Either) -> None:
    created = await pd.request("POST", "/api/v2/deals", json={"title": "Envelope deal", "value": 10})
    assert created["data"]["title"] == "Envelope deal"
    listed = await pd.request("GET", "/api/v2/deals", params={"limit": 500, "owner_id": None})
    assert created["data"]["id"] in {d["id"] for d in listed["data"]}


async def test_token_in_query_string_works(make_client: Callable[..., Either]) -> None:
    pd = make_client(token_location="query")
    me = await pd.request("GET", "/v1/users/me")
    assert me["data"]["id"] == 1


async def test_not_found_maps_to_notfound_with_pipedrive_fields(pd: Either) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await pd.request("GET", "/api/v2/deals/999999")
    err = caught.value
    assert err.status_code == 404
    assert err.error == "Deal not found"
    assert err.error_info == "Object was not found."
    assert err.method == "GET"
    assert err.url is not None and err.url.endswith("/api/v2/deals/999999")
    assert "Deal not found" in str(err)


async def test_bad_token_maps_to_unauthorized(make_client: Callable[..., Either]) -> None:
    pd = make_client(api_token="not-the-token")
    with pytest.raises(errors.Unauthorized) as caught:
        await pd.request("GET", "/v1/users/me")
    assert caught.value.status_code == 401
    assert caught.value.code == "401"
    assert caught.value.error == "unauthorized access"


async def test_v2_schema_validation_maps_to_badrequest_with_code(pd: Either) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await pd.request(
            "POST", "/api/v2/deals", json={"title": "x", "0123456789abcdef0123456789abcdef01234567": 1}
        )
    assert caught.value.code == "ERR_SCHEMA_VALIDATION_FAILED"
    assert "not allowed" in (caught.value.error or "")


async def test_webhook_style_errors_are_readable(pd: Either) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await pd.request(
            "POST",
            "/v1/webhooks",
            json={"subscription_url": "nope", "event_action": "*", "event_object": "*"},
        )
    assert "subscription_url" in (caught.value.error or "")
    assert caught.value.body["errors"]["subscription_url"]


async def test_bad_request_is_not_retried(make_client: Callable[..., Either], sandbox: Served) -> None:
    attempts: list[int | None] = []
    pd = make_client(on_usage=lambda usage: attempts.append(usage.status_code))
    with pytest.raises(errors.BadRequest):
        await pd.request("PATCH", "/api/v2/deals/1", json={"custom_fields": {"nothex": 1}})
    assert attempts == [400]


async def test_unreachable_server_raises_connectionfailed_after_retries(kind: str) -> None:
    seen: list[str | None] = []
    settings = {
        "api_token": "secret-token-xyz",
        "base_url": "http://127.0.0.1:9",  # discard port: nothing listens
        "max_retries": 2,
        "backoff_base": 0.001,
        "on_usage": lambda usage: seen.append(usage.error),
    }
    with pytest.raises(errors.ConnectionFailed) as caught:
        if kind == "sync":
            with Pipedrive(**settings) as sync_pd:  # type: ignore[arg-type]
                sync_pd.request("GET", "/v1/users/me")
        else:
            async with AsyncPipedrive(**settings) as async_pd:  # type: ignore[arg-type]
                await async_pd.request("GET", "/v1/users/me")
    assert len(seen) == 3  # first try + 2 retries
    assert "secret-token-xyz" not in str(caught.value) + repr(caught.value)


def test_nothing_configured_names_what_is_missing() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"api_token.*PIPEDRIVE_API_TOKEN"):
        Pipedrive(environ={})


def test_environment_variables_configure_the_client(sandbox: Served) -> None:
    env = {"PIPEDRIVE_API_TOKEN": sandbox.api_token, "PIPEDRIVE_BASE_URL": sandbox.base_url + "/v1/"}
    with Pipedrive(environ=env) as pd:
        assert pd.base_url == sandbox.base_url
        assert pd.users.me().id == 1


def test_company_domain_and_base_url_precedence() -> None:
    assert (
        Pipedrive(api_token="t", company_domain="acme", environ={}).base_url == "https://acme.pipedrive.com"
    )
    assert (
        Pipedrive(api_token="t", company_domain="acme.pipedrive.com", environ={}).base_url
        == "https://acme.pipedrive.com"
    )
    both = Pipedrive(api_token="t", company_domain="acme", base_url="http://localhost:1", environ={})
    assert both.base_url == "http://localhost:1"
    env = Pipedrive(api_token="t", environ={"PIPEDRIVE_COMPANY_DOMAIN": "envco"})
    assert env.base_url == "https://envco.pipedrive.com"
    assert Pipedrive(api_token="t", environ={}).base_url == "https://api.pipedrive.com"


def test_invalid_settings_are_rejected_clearly() -> None:
    with pytest.raises(errors.ConfigurationError, match="company_domain"):
        Pipedrive(api_token="t", company_domain="not a domain!", environ={})
    with pytest.raises(errors.ConfigurationError, match="base_url"):
        Pipedrive(api_token="t", base_url="ftp://x", environ={})
    with pytest.raises(errors.ConfigurationError, match="token_location"):
        Pipedrive(api_token="t", token_location="cookie", environ={})  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="not both"):
        Pipedrive(api_token="t", auth=ApiTokenAuth("u"), environ={})


class _DomainAuth(httpx.Auth):
    """Any httpx.Auth exposing ``api_domain`` (as OAuth2Auth does) decides the base URL."""

    def __init__(self, token: str, api_domain: str) -> None:
        self.token = token
        self.api_domain = api_domain

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["x-api-token"] = self.token
        yield request


def test_auth_object_api_domain_is_the_base_url(sandbox: Served) -> None:
    with Pipedrive(auth=_DomainAuth(sandbox.api_token, sandbox.base_url), environ={}) as pd:
        assert pd.base_url == sandbox.base_url
        assert pd.users.me().company_domain == "sandbox"
    with Pipedrive(oauth=_DomainAuth("t", "https://acme.pipedrive.com"), environ={}) as other:
        assert other.base_url == "https://acme.pipedrive.com"


async def test_a_body_that_is_not_json_is_a_clear_error(pd: Either) -> None:
    with pytest.raises(errors.ConfigurationError, match="not valid JSON"):
        await pd.request("POST", "/api/v2/deals", json={"title": object()})


def test_wrong_http_client_kind_is_rejected() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"http_client must be an httpx\.Client"):
        Pipedrive(api_token="t", http_client=httpx.AsyncClient(), environ={})  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match=r"http_client must be an httpx\.AsyncClient"):
        AsyncPipedrive(api_token="t", http_client=httpx.Client(), environ={})  # type: ignore[arg-type]


def test_a_misspelt_option_is_rejected() -> None:
    with pytest.raises(
        errors.ConfigurationError, match=r"unknown option\(s\) max_retry; valid options: .*max_retries"
    ):
        Pipedrive(api_token="t", max_retry=2, environ={})  # type: ignore[call-arg]
