"""``TriggerSetupError`` never carries the webhook's Basic-auth password.

Pipedrive echoes ``http_auth_password`` in its webhook answers. The server below is a real HTTP
server that answers ``POST /v1/webhooks`` the way a misbehaving Pipedrive could (the sandbox
always answers correctly): an error that quotes the password, or a success without an id whose
body carries it. Before the fix both ended up in the exception text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from triggers_helpers import ServedApp

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.triggers import TriggerApp, TriggerSetupError


class EchoingPipedrive:
    """Answers POST /v1/webhooks with ``mode`` ("error" or "no-id"), echoing the password."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.passwords: list[str] = []
        self.asgi = Starlette(
            routes=[
                Route("/v1/webhooks", self.list_hooks, methods=["GET"]),
                Route("/v1/webhooks", self.add_hook, methods=["POST"]),
            ]
        )

    async def list_hooks(self, request: Request) -> JSONResponse:
        return JSONResponse({"success": True, "data": []})

    async def add_hook(self, request: Request) -> JSONResponse:
        body = await request.json()
        password = body["http_auth_password"]
        self.passwords.append(password)
        if self.mode == "error":
            error = f"http_auth_password {password} is not accepted here"
            return JSONResponse({"success": False, "error": error, "error_info": password}, status_code=400)
        echoed = {"id": None, "http_auth_password": password, **body}
        return JSONResponse({"success": True, "data": echoed}, status_code=201)


@pytest.fixture(params=["error", "no-id"])
def echoing(request: pytest.FixtureRequest) -> Iterator[tuple[EchoingPipedrive, str]]:
    server = EchoingPipedrive(str(request.param))
    with ServedApp(server.asgi) as served:
        yield server, served.url


def test_enable_errors_do_not_show_the_webhook_password(
    echoing: tuple[EchoingPipedrive, str], tmp_path: Path
) -> None:
    server, url = echoing
    with Pipedrive(api_token="t", base_url=url, max_retries=0) as pd:
        app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
        with pytest.raises(TriggerSetupError) as caught:
            app.enable("newDeal", public_url="http://127.0.0.1:9")
        assert app.subscriptions() == []  # rolled back: no subscription without a webhook
        app.close()
    [password] = server.passwords
    assert len(password) >= 16
    text = f"{caught.value} {caught.value!r} {caught.value.args}"
    assert password not in text
    assert "REDACTED" in text


def test_a_public_url_with_userinfo_is_not_echoed(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    with Pipedrive(api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url) as pd:
        app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
        with pytest.raises(TriggerSetupError) as caught:
            app.enable("newDeal", public_url="ftp://user:s3cret-pass@example.com")
        app.close()
    assert "s3cret-pass" not in str(caught.value)
    assert "must be an http(s) URL" in str(caught.value)
