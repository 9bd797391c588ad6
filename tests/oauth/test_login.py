"""`pipedrive auth login` and the authorization-code flow against the sandbox's OAuth server."""

from __future__ import annotations

import json
import socket
import stat
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from oauth_helpers import (
    FakeBrowser,
    RegisteredApp,
    SecretGuard,
    cli_env,
    consent,
    login_in_process,
    read_authorize_url,
    start_cli,
    tokens_issued,
)
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app
from pipedrive_connector.client.oauth import (
    AuthorizationDenied,
    OAuthError,
    OAuthTokenClient,
    Pkce,
    StateMismatch,
)
from pipedrive_connector.client.profiles import client_from_profile, load_profile, token_store_for


def _with_state(location: str, state: str | None) -> str:
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "state"]
    if state is not None:
        query.append(("state", state))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, catch_exceptions=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_login_consents_stores_tokens_and_reports_the_user(
    registered_app: RegisteredApp, config_dir: Path, guard: SecretGuard, sandbox: Any
) -> None:
    admin = httpx.get(f"{sandbox.base_url}/v1/users/me", headers={"x-api-token": sandbox.api_token})
    me = admin.json()["data"]
    env = cli_env(config_dir, registered_app)
    process = start_cli(
        [
            "auth",
            "login",
            "--no-browser",
            "--redirect-port",
            str(registered_app.port),
            "--oauth-base-url",
            registered_app.base_url,
            "--profile",
            "work",
            "--scopes",
            "deals:full,contacts:read",
        ],
        env,
    )
    seen: list[str] = []
    authorize_url = read_authorize_url(process, seen)
    query = dict(parse_qsl(urlsplit(authorize_url).query))
    assert query["client_id"] == registered_app.app.client_id
    assert query["redirect_uri"] == registered_app.redirect_uri
    assert len(query["state"]) >= 32
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    location = consent(authorize_url, "allow")
    assert location.startswith(registered_app.redirect_uri + "?")
    callback = httpx.get(location)
    out, err = process.communicate(timeout=30)
    guard.record(out, err, *seen)
    assert callback.status_code == 200 and "close this window" in callback.text
    assert process.returncode == 0, err
    assert out.strip() == f"connected as {me['name']} (company {me['company_domain']})"

    # The stored files: private, and holding what the flow produced.
    store = token_store_for("work")
    token = store.load()
    assert token is not None
    guard.add_token(token)
    assert token.api_domain == registered_app.base_url
    assert "deals:full" in token.scopes and "base" in token.scopes
    assert _mode(store.path) == 0o600
    assert _mode(store.path.parent) == _mode(config_dir) == 0o700
    profile_file = config_dir / "profiles" / "work.json"
    assert _mode(profile_file) == 0o600
    profile = load_profile("work")
    assert profile.kind == "oauth" and profile.client_id == registered_app.app.client_id
    assert profile.client_secret == registered_app.app.client_secret
    assert profile.user.get("company_domain")
    assert registered_app.app.client_secret not in repr(profile)

    # status, profiles, then logout revokes at the sandbox and deletes locally (in-process from here).
    status = _invoke(["auth", "status", "--profile", "work", "--json", "--check"])
    guard.record(status.stdout, status.stderr)
    assert status.exit_code == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["kind"] == "oauth" and info["logged_in"] and info["verified"]
    assert info["user"]["company_domain"] == profile.user["company_domain"]
    assert "deals:full" in info["scopes"] and info["expired"] is False

    # Library use of the same profile: the base URL is the token's api_domain.
    with client_from_profile("work") as pd:
        assert pd.base_url == registered_app.base_url
        assert pd.request("GET", "/v1/users/me")["data"]["id"] == me["id"]

    human = _invoke(["auth", "status", "--profile", "work"])
    guard.record(human.stdout, human.stderr)
    assert "scopes: deals:full, contacts:read, base" in human.stdout and "expires" in human.stdout

    listing = _invoke(["auth", "profiles", "--json"])
    guard.record(listing.stdout, listing.stderr)
    assert [p["profile"] for p in json.loads(listing.stdout)] == ["work"]

    logout = _invoke(["auth", "logout", "--profile", "work"])
    guard.record(logout.stdout, logout.stderr)
    assert logout.exit_code == 0, logout.stderr
    assert "revoked" in logout.stdout
    assert not store.path.exists() and not profile_file.exists()
    # The refresh token is dead at the server: using it is an invalid grant.
    refused = httpx.post(
        f"{registered_app.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token.refresh_token},
        auth=(registered_app.app.client_id, registered_app.app.client_secret),
    )
    assert refused.status_code == 400
    me = httpx.get(
        f"{registered_app.base_url}/v1/users/me", headers={"Authorization": f"Bearer {token.access_token}"}
    )
    assert me.status_code == 401


def _browser_login(
    registered: RegisteredApp,
    browser: FakeBrowser,
    monkeypatch: pytest.MonkeyPatch,
    client_secret: str | None = None,
) -> Any:
    """`pipedrive auth login` in-process, with the browser step played by ``browser``."""
    monkeypatch.setattr(webbrowser, "open", browser.open)
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", registered.app.client_id)
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", client_secret or registered.app.client_secret)
    return _invoke(
        [
            "auth",
            "login",
            "--redirect-port",
            str(registered.port),
            "--oauth-base-url",
            registered.base_url,
            "--timeout",
            "15",
        ]
    )


@pytest.mark.parametrize("state", ["forged-state", None], ids=["wrong-state", "missing-state"])
def test_cli_login_rejects_a_callback_with_a_wrong_or_missing_state(
    registered_app: RegisteredApp,
    config_dir: Path,
    guard: SecretGuard,
    state: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued_before = tokens_issued(registered_app.base_url)
    browser = FakeBrowser(tamper=lambda location: _with_state(location, state))
    result = _browser_login(registered_app, browser, monkeypatch)
    callback = browser.finish()
    guard.record(result.stdout, result.stderr)
    assert callback.status_code == 400 and "state" in callback.text
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: The authorization callback")
    assert "state" in result.stderr and "No token was stored" in result.stderr
    assert tokens_issued(registered_app.base_url) == issued_before  # the code was never exchanged
    assert not token_store_for("default").path.exists()
    assert not (config_dir / "profiles" / "default.json").exists()


def test_cli_login_reports_user_denied(
    registered_app: RegisteredApp, config_dir: Path, guard: SecretGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = FakeBrowser(decision="deny")
    result = _browser_login(registered_app, browser, monkeypatch)
    callback = browser.finish()
    guard.record(result.stdout, result.stderr)
    assert "error=user_denied" in str(callback.request.url)
    assert callback.status_code == 400 and "denied" in callback.text
    assert result.exit_code == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: Authorization was denied in Pipedrive (user_denied)")
    assert not token_store_for("default").path.exists()


def test_cli_login_with_a_wrong_client_secret_fails_at_the_exchange(
    registered_app: RegisteredApp, config_dir: Path, guard: SecretGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard.add("wrong-secret-value-123")
    browser = FakeBrowser()
    result = _browser_login(registered_app, browser, monkeypatch, client_secret="wrong-secret-value-123")
    assert browser.finish().status_code == 200  # the callback itself was fine
    guard.record(result.stdout, result.stderr)
    assert result.exit_code == 1
    assert "Invalid client" in result.stderr and "--client-secret" in result.stderr
    assert not token_store_for("default").path.exists()


def test_cli_login_opens_the_browser_and_reuses_stored_app_credentials(
    registered_app: RegisteredApp, config_dir: Path, guard: SecretGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = FakeBrowser(stray_request_first=True)
    first = _browser_login(registered_app, browser, monkeypatch)
    browser.finish()
    assert first.exit_code == 0, first.stderr
    assert browser.stray is not None and browser.stray.status_code == 404  # ignored; the login went on
    assert browser.opened and browser.opened[0] in first.stderr
    token = token_store_for("default").load()
    guard.add_token(token)

    # Logging in again needs no app credentials: the profile has them.
    monkeypatch.delenv("PIPEDRIVE_CLIENT_ID")
    monkeypatch.delenv("PIPEDRIVE_CLIENT_SECRET")
    again = FakeBrowser()
    monkeypatch.setattr(webbrowser, "open", again.open)
    second = _invoke(["auth", "login", "--redirect-port", str(registered_app.port), "--timeout", "15"])
    again.finish()
    guard.record(first.stdout, first.stderr, second.stdout, second.stderr)
    assert second.exit_code == 0, second.stderr
    assert second.stdout == first.stdout
    renewed = token_store_for("default").load()
    guard.add_token(renewed)
    assert renewed is not None and token is not None and renewed.access_token != token.access_token


def test_login_flow_in_process_wrong_state_and_denial_raise_typed_errors(
    registered_app: RegisteredApp, guard: SecretGuard
) -> None:
    with pytest.raises(StateMismatch) as mismatch:
        login_in_process(registered_app, tamper=lambda loc: _with_state(loc, "not-the-state"))
    assert "state" in str(mismatch.value)
    with pytest.raises(AuthorizationDenied):
        login_in_process(registered_app, decision="deny")
    token = login_in_process(registered_app)
    guard.add_token(token)
    assert token.refresh_token and token.api_domain == registered_app.base_url
    assert token.access_token not in repr(token) and token.refresh_token not in str(token)


def test_cli_login_without_app_credentials_is_a_clear_error(config_dir: Path, sandbox: Any) -> None:
    result = _invoke(["auth", "login", "--no-browser", "--oauth-base-url", sandbox.base_url])
    assert result.exit_code == 2  # a usage error
    assert "--client-id and --client-secret are required" in result.stderr


def test_cli_login_reports_a_busy_port_and_a_missing_callback(
    registered_app: RegisteredApp, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", registered_app.app.client_id)
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", registered_app.app.client_secret)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _invoke(
            [
                "auth",
                "login",
                "--no-browser",
                "--redirect-port",
                str(port),
                "--oauth-base-url",
                registered_app.base_url,
            ]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--redirect-port" in result.stderr

    waited = _invoke(
        [
            "auth",
            "login",
            "--no-browser",
            "--redirect-port",
            str(registered_app.port),
            "--oauth-base-url",
            registered_app.base_url,
            "--timeout",
            "1",
        ]
    )
    assert waited.exit_code == 1
    assert "No authorization callback arrived within 1 s" in waited.stderr
    assert not token_store_for("default").path.exists()


def test_login_sends_a_fresh_pkce_challenge_and_proves_it_at_the_exchange(
    registered_app: RegisteredApp, guard: SecretGuard
) -> None:
    announced: list[str] = []
    for _ in range(2):
        token = login_in_process(registered_app, announced=announced)
        guard.add_token(token)
        assert token.access_token
    challenges = [dict(parse_qsl(urlsplit(url).query)) for url in announced]
    assert all(q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43 for q in challenges)
    assert challenges[0]["code_challenge"] != challenges[1]["code_challenge"]  # one proof key per login
    assert "code_verifier" not in announced[0]


def _code_from_consent(registered: RegisteredApp, pkce: Pkce | None) -> str:
    url = registered.app.authorize_url(redirect_uri=registered.redirect_uri, state="s" * 32, pkce=pkce)
    location = consent(url, "allow")
    return dict(parse_qsl(urlsplit(location).query))["code"]


def test_an_intercepted_code_is_useless_without_the_verifier(
    registered_app: RegisteredApp, guard: SecretGuard
) -> None:
    client = OAuthTokenClient(registered_app.app)
    pkce = Pkce.generate()
    guard.add(pkce.verifier)
    assert pkce.verifier not in repr(pkce)
    stolen = _code_from_consent(registered_app, pkce)
    with pytest.raises(OAuthError) as refused:
        client.exchange_code(stolen, registered_app.redirect_uri)  # the thief has no verifier
    assert refused.value.error == "invalid_grant" and "code_verifier" in str(refused.value)
    code = _code_from_consent(registered_app, pkce)
    with pytest.raises(OAuthError) as wrong:
        client.exchange_code(code, registered_app.redirect_uri, pkce=Pkce.generate())
    assert wrong.value.error == "invalid_grant"

    token = client.exchange_code(
        _code_from_consent(registered_app, pkce), registered_app.redirect_uri, pkce=pkce
    )
    guard.add_token(token)
    assert token.access_token


def test_pkce_challenge_is_rfc_7636_s256() -> None:
    # RFC 7636 Appendix B's example pair.
    pkce = Pkce("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    assert pkce.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    generated = Pkce.generate()
    assert 43 <= len(generated.verifier) <= 128
    assert set(generated.verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
