"""An OAuth2 connection: any ``httpx.Auth`` adding the Bearer token (here from the sandbox's OAuth server)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from pipedrive_connector.component import Component, Connection


class Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def _access_token(base_url: str) -> str:
    redirect = "http://127.0.0.1:9/callback"
    with httpx.Client(base_url=base_url) as http:
        http.post(
            "/_sandbox/oauth/clients",
            json={"client_id": "component-app", "client_secret": "s3cret", "redirect_uri": redirect},
        ).raise_for_status()
        consent = http.post(
            "/oauth/authorize",
            data={
                "client_id": "component-app",
                "redirect_uri": redirect,
                "decision": "allow",
                "state": "xyz",
            },
        )
        assert consent.status_code == 302
        code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
        token = http.post(
            "/oauth/token",
            auth=("component-app", "s3cret"),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        )
        token.raise_for_status()
        return str(token.json()["access_token"])


def test_actions_run_on_an_oauth_connection(pipedrive_sandbox: Any) -> None:
    token = _access_token(pipedrive_sandbox.base_url)
    connection = Connection.oauth2(Bearer(token), base_url=pipedrive_sandbox.base_url)
    assert connection.test().message == "connected as Alex Admin (company sandbox)"
    output = Component().run("getDeals", {"limit": 2}, connection)
    assert output["success"] is True and len(output["data"]) == 2
    assert token not in repr(connection)
