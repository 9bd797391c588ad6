"""Refresh against the sandbox: at expiry, under concurrency (threads, asyncio tasks, processes), and
when the refresh token has been revoked."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from oauth_helpers import (
    RegisteredApp,
    SecretGuard,
    advance_clock,
    cli_env,
    login_in_process,
    tokens_issued,
)
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app
from pipedrive_connector.client import AsyncPipedrive, Pipedrive
from pipedrive_connector.client.oauth import OAuth2Auth, OAuthTokenClient, ReauthorizationRequired
from pipedrive_connector.client.profiles import Profile, save_profile, token_store_for
from pipedrive_connector.client.token_store import FileTokenStore, MemoryTokenStore, OAuthToken

HOUR = 3600


class Counter:
    """Counts calls to the token endpoint made through an ``OAuthTokenClient`` (an httpx event hook)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> None:
        if request.url.path.startswith("/oauth/token"):
            with self._lock:
                self.calls += 1


def _auth(registered: RegisteredApp, store: Any, counter: Counter, **kwargs: Any) -> OAuth2Auth:
    client = OAuthTokenClient(
        registered.app, event_hooks={"request": [counter]}, clock=kwargs.get("clock", time.time)
    )
    return OAuth2Auth(registered.app, store, token_client=client, **kwargs)


@pytest.fixture
def token_file(registered_app: RegisteredApp, guard: SecretGuard, tmp_path: Path) -> Path:
    """A logged-in token set in a FileTokenStore."""
    token = login_in_process(registered_app)
    guard.add_token(token)
    store = FileTokenStore(tmp_path / "tokens" / "shared.json")
    store.save(token)
    return store.path


def test_twenty_threads_at_expiry_cause_exactly_one_refresh(
    registered_app: RegisteredApp, token_file: Path, guard: SecretGuard
) -> None:
    counter = Counter()
    updates: list[OAuthToken] = []
    auth = _auth(registered_app, FileTokenStore(token_file), counter, on_token_update=updates.append)
    old = auth.current_token()
    advance_clock(registered_app.base_url, HOUR + 5)  # the sandbox now rejects the access token
    issued_before = tokens_issued(registered_app.base_url)

    barrier = threading.Barrier(20)
    results: list[int] = []
    errors: list[BaseException] = []
    with Pipedrive(auth=auth) as pd:
        assert pd.base_url == registered_app.base_url  # api_domain from the token response

        def call() -> None:
            barrier.wait()
            try:
                results.append(pd.request("GET", "/v1/users/me")["data"]["id"])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert len(results) == 20
    assert tokens_issued(registered_app.base_url) - issued_before == 1  # counted at the server
    assert counter.calls == 1
    assert len(updates) == 1
    new = FileTokenStore(token_file).load()
    assert new is not None and new.access_token != old.access_token
    assert new.refresh_token == old.refresh_token  # Pipedrive keeps the refresh token
    assert updates[0].access_token == new.access_token
    guard.add_token(new)


def test_twenty_asyncio_tasks_at_expiry_cause_exactly_one_refresh(
    registered_app: RegisteredApp, token_file: Path, guard: SecretGuard
) -> None:
    counter = Counter()
    auth = _auth(registered_app, FileTokenStore(token_file), counter)
    auth.current_token()
    advance_clock(registered_app.base_url, HOUR + 5)
    issued_before = tokens_issued(registered_app.base_url)

    async def main() -> list[int]:
        async with AsyncPipedrive(auth=auth) as pd:
            envelopes = await asyncio.gather(*(pd.request("GET", "/v1/users/me") for _ in range(20)))
        return [e["data"]["id"] for e in envelopes]

    user_ids = asyncio.run(main())
    assert len(user_ids) == 20
    assert tokens_issued(registered_app.base_url) - issued_before == 1
    assert counter.calls == 1
    guard.add_token(FileTokenStore(token_file).load())

    # A second event loop reuses the same auth (asyncio locks are per loop) and needs no refresh.
    assert len(asyncio.run(main())) == 20
    assert counter.calls == 1


def test_two_processes_sharing_a_token_file_refresh_once(
    registered_app: RegisteredApp, token_file: Path, guard: SecretGuard
) -> None:
    env = cli_env(token_file.parent)
    env["TEST_OAUTH_CLIENT_ID"] = registered_app.app.client_id
    env["TEST_OAUTH_CLIENT_SECRET"] = registered_app.app.client_secret
    worker = Path(__file__).with_name("refresh_worker.py")
    processes = [
        subprocess.Popen(
            [sys.executable, str(worker), str(token_file), registered_app.base_url, "10"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    advance_clock(registered_app.base_url, HOUR + 5)
    issued_before = tokens_issued(registered_app.base_url)
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        guard.record(out, err)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    assert [len(r["user_ids"]) for r in reports] == [10, 10]
    assert sum(r["refreshes"] for r in reports) == 1
    assert tokens_issued(registered_app.base_url) - issued_before == 1
    guard.add_token(FileTokenStore(token_file).load())


def test_refresh_happens_before_expiry_without_a_401(
    registered_app: RegisteredApp, token_file: Path, guard: SecretGuard
) -> None:
    offset = [0.0]
    counter = Counter()
    auth = _auth(registered_app, FileTokenStore(token_file), counter, clock=lambda: time.time() + offset[0])
    with Pipedrive(auth=auth) as pd:
        pd.request("GET", "/v1/users/me")
        assert counter.calls == 0
        offset[0] = HOUR - 30  # 30 s before expiry: inside the 60 s skew (the server still accepts it)
        issued_before = tokens_issued(registered_app.base_url)
        barrier = threading.Barrier(20)
        statuses: list[bool] = []

        def call() -> None:
            barrier.wait()
            statuses.append(pd.request("GET", "/v1/users/me")["success"])

        threads = [threading.Thread(target=call) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses == [True] * 20
    assert counter.calls == 1
    assert tokens_issued(registered_app.base_url) - issued_before == 1
    token = FileTokenStore(token_file).load()
    assert token is not None and not token.expires_within(60, time.time() + offset[0])
    guard.add_token(token)


def test_memory_store_and_on_token_update_for_apps_with_their_own_database(
    registered_app: RegisteredApp, guard: SecretGuard
) -> None:
    database: dict[str, dict[str, Any]] = {}
    token = login_in_process(registered_app)
    guard.add_token(token)
    database["acme"] = token.to_dict()

    store = MemoryTokenStore(OAuthToken.from_dict(database["acme"]))
    counter = Counter()
    auth = _auth(
        registered_app, store, counter, on_token_update=lambda t: database.__setitem__("acme", t.to_dict())
    )
    advance_clock(registered_app.base_url, HOUR + 5)
    with Pipedrive(auth=auth) as pd:
        assert pd.request("GET", "/v1/users/me")["success"] is True
    assert counter.calls == 1
    assert database["acme"]["access_token"] != token.access_token
    guard.add(database["acme"]["access_token"])
    assert "MemoryTokenStore(has_token=True)" in repr(auth)


def _revoke_from_outside(registered: RegisteredApp, refresh_token: str) -> None:
    """What uninstalling the app in Pipedrive does: the refresh token (and its access tokens) die."""
    response = httpx.post(
        f"{registered.base_url}/oauth/revoke",
        data={"token": refresh_token, "token_type_hint": "refresh_token"},
        auth=(registered.app.client_id, registered.app.client_secret),
    )
    assert response.status_code == 200


def test_a_revoked_refresh_token_raises_reauthorization_required(
    registered_app: RegisteredApp, guard: SecretGuard, config_dir: Path
) -> None:
    token = login_in_process(registered_app)
    guard.add_token(token)
    save_profile(
        Profile(
            name="acme",
            kind="oauth",
            client_id=registered_app.app.client_id,
            client_secret=registered_app.app.client_secret,
            oauth_base_url=registered_app.base_url,
        )
    )
    token_store_for("acme").save(token)
    assert token.refresh_token is not None
    _revoke_from_outside(registered_app, token.refresh_token)

    counter = Counter()
    auth = _auth(registered_app, token_store_for("acme"), counter, profile="acme")
    with Pipedrive(auth=auth) as pd, pytest.raises(ReauthorizationRequired) as caught:
        pd.request("GET", "/v1/users/me")
    error = caught.value
    assert counter.calls == 1
    assert error.command == f"pipedrive auth login --profile acme --oauth-base-url {registered_app.base_url}"
    assert "refresh_token is invalid" in str(error) and error.command in str(error)
    guard.assert_clean(str(error), repr(error))

    # The CLI turns it into one line on stderr with the command to run.
    status = CliRunner().invoke(app, ["auth", "status", "--profile", "acme", "--check"])
    guard.record(status.stdout, status.stderr)
    assert status.exit_code == 1
    err = status.stderr.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert "pipedrive auth login --profile acme" in err


def test_no_stored_token_asks_to_log_in(registered_app: RegisteredApp, tmp_path: Path) -> None:
    auth = OAuth2Auth(registered_app.app, FileTokenStore(tmp_path / "none.json"), profile="ghost")
    assert auth.api_domain is None
    with pytest.raises(ReauthorizationRequired) as caught:
        httpx.get(f"{registered_app.base_url}/v1/users/me", auth=auth)
    assert caught.value.command.startswith("pipedrive auth login --profile ghost")


def test_token_endpoint_calls_use_basic_client_auth_and_form_bodies(
    registered_app: RegisteredApp, token_file: Path, guard: SecretGuard
) -> None:
    sent: list[httpx.Request] = []
    client = OAuthTokenClient(registered_app.app, event_hooks={"request": [sent.append]})
    auth = OAuth2Auth(registered_app.app, FileTokenStore(token_file), token_client=client)
    new = auth.refresh()
    guard.add_token(new)
    assert [r.url.path for r in sent] == ["/oauth/token"]
    request = sent[0]
    assert request.headers["authorization"].startswith("Basic ")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    body = dict(parse_qsl(request.content.decode()))
    assert body["grant_type"] == "refresh_token" and "client_secret" not in body and "client_id" not in body
    assert new.api_domain == registered_app.base_url
