"""Fixtures of the OAuth tests: a private config dir, the secret guard, an app registered at the sandbox."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oauth_helpers import RegisteredApp, SecretGuard, free_port

from pipedrive_connector.client.oauth import OAuthApp
from pipedrive_connector.client.oauth_login import redirect_uri_for


@pytest.fixture(autouse=True)
def guard(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[SecretGuard]:
    """Every test in this folder: nothing secret in logs (DEBUG and up, all loggers) or stdout/stderr."""
    caplog.set_level(logging.DEBUG)
    collected = SecretGuard()
    yield collected
    out, err = capsys.readouterr()
    # caplog.text holds only the current phase (teardown): format the setup and call records too.
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logs = [formatter.format(record) for when in ("setup", "call") for record in caplog.get_records(when)]
    collected.assert_clean(caplog.text, out, err, *logs)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("PIPEDRIVE_CONFIG_DIR", str(directory))
    for name in (
        "PIPEDRIVE_API_TOKEN",
        "PIPEDRIVE_PROFILE",
        "PIPEDRIVE_BASE_URL",
        "PIPEDRIVE_COMPANY_DOMAIN",
        "PIPEDRIVE_CLIENT_ID",
        "PIPEDRIVE_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture
def sandbox(pipedrive_sandbox: Any) -> Any:
    return pipedrive_sandbox


@pytest.fixture
def registered_app(sandbox: Any, guard: SecretGuard) -> RegisteredApp:
    """A fresh OAuth app at the sandbox whose redirect URI is a free local port."""
    port = free_port()
    client_id = f"test-app-{secrets.token_hex(4)}"
    client_secret = f"s3cret-{secrets.token_hex(16)}"
    guard.add(client_secret)
    response = httpx.post(
        f"{sandbox.base_url}/_sandbox/oauth/clients",
        json={
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri_for(port),
        },
    )
    assert response.status_code in (200, 201), response.text
    return RegisteredApp(OAuthApp(client_id, client_secret, sandbox.base_url), port, sandbox.base_url)
