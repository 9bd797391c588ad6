"""Token files, profiles, the flags > env > profile resolver, and `pipedrive auth token/status/profiles`."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from oauth_helpers import SecretGuard
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app
from pipedrive_connector.client.oauth import OAuthApp
from pipedrive_connector.client.profiles import (
    Profile,
    ProfileError,
    client_from_profile,
    list_profiles,
    load_profile,
    resolve_credentials,
    save_profile,
)
from pipedrive_connector.client.token_store import FileTokenStore, OAuthToken, TokenStoreError

TOKEN = OAuthToken(
    access_token="v1u:ACCESS-abc123",
    refresh_token="1:1:REFRESH-def456",
    expires_at=2_000_000_000.0,
    scope="deals:full,base",
    api_domain="https://acme.pipedrive.com",
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_store_writes_private_files_atomically(tmp_path: Path, guard: SecretGuard) -> None:
    guard.add(TOKEN.access_token, TOKEN.refresh_token)
    old_umask = os.umask(0)  # even a permissive umask must not widen the modes
    try:
        store = FileTokenStore(tmp_path / "cfg" / "tokens" / "work.json")
        store.save(TOKEN)
    finally:
        os.umask(old_umask)
    assert _mode(store.path) == 0o600
    assert _mode(store.path.parent) == _mode(tmp_path / "cfg") == 0o700
    assert store.load() == TOKEN
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []

    # Concurrent writers never leave a torn file behind: every read sees one whole token.
    tokens = [TOKEN.with_updates(access_token=f"v1u:ACCESS-{i:04d}" + "x" * 500) for i in range(40)]
    guard.add(*(t.access_token for t in tokens))
    seen: list[OAuthToken | None] = []

    def write(token: OAuthToken) -> None:
        FileTokenStore(store.path).save(token)
        seen.append(FileTokenStore(store.path).load())

    threads = [threading.Thread(target=write, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(t in tokens for t in seen)
    assert store.load() in tokens
    store.delete()
    assert store.load() is None


def test_a_corrupt_token_file_is_a_clear_error_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"access_token": "v1u:SECRET-ZZZ", "expires_at": "soon"', encoding="utf-8")
    with pytest.raises(TokenStoreError) as caught:
        FileTokenStore(path).load()
    assert str(path) in str(caught.value) and "SECRET" not in str(caught.value)


def test_reprs_never_show_secrets() -> None:
    app_ = OAuthApp("client-1", "client-secret-XYZ", "http://127.0.0.1:1")
    profile = Profile(name="p", kind="api_token", api_token="api-token-QQQ")
    oauth_profile = Profile(name="o", kind="oauth", client_id="client-1", client_secret="client-secret-XYZ")
    texts = [repr(TOKEN), str(TOKEN), repr(app_), repr(profile), str(oauth_profile)]
    for text in texts:
        for secret in ("ACCESS-abc123", "REFRESH-def456", "client-secret-XYZ", "api-token-QQQ"):
            assert secret not in text
    assert "client-1" in repr(app_) and "acme.pipedrive.com" in repr(TOKEN)


def test_profile_names_are_validated(guard: SecretGuard) -> None:
    for bad in ("../etc", "", "a/b", "x" * 65, ".hidden"):
        with pytest.raises(ProfileError, match="invalid profile name"):
            load_profile(bad)
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        load_profile("nope")


def test_resolver_prefers_flags_then_environment_then_profile(config_dir: Path) -> None:
    save_profile(
        Profile(name="default", kind="api_token", api_token="profile-token", base_url="http://127.0.0.1:9")
    )
    save_profile(Profile(name="other", kind="api_token", api_token="other-token", company_domain="other"))

    from_profile = resolve_credentials(environ={})
    assert (from_profile.source, from_profile.api_token, from_profile.base_url) == (
        "profile default",
        "profile-token",
        "http://127.0.0.1:9",
    )

    env = {"PIPEDRIVE_API_TOKEN": "env-token", "PIPEDRIVE_COMPANY_DOMAIN": "envco"}
    from_env = resolve_credentials(environ=env)
    assert (from_env.api_token, from_env.base_url, from_env.company_domain) == ("env-token", None, "envco")

    from_flags = resolve_credentials(api_token="flag-token", base_url="http://127.0.0.1:8", environ=env)
    assert (from_flags.api_token, from_flags.base_url) == ("flag-token", "http://127.0.0.1:8")

    chosen = resolve_credentials(profile="other", environ=env)  # an explicit --profile beats the env token
    assert chosen.api_token == "other-token" and chosen.company_domain == "envco"  # env beats profile URL
    by_env_profile = resolve_credentials(environ={"PIPEDRIVE_PROFILE": "other"})
    assert by_env_profile.api_token == "other-token" and by_env_profile.company_domain == "other"
    assert "other-token" not in repr(by_env_profile)

    with pytest.raises(ProfileError, match="not both"):
        resolve_credentials(profile="other", api_token="x", environ={})


def test_resolver_without_any_credentials_says_how_to_log_in(config_dir: Path) -> None:
    with pytest.raises(ProfileError, match="pipedrive auth login"):
        resolve_credentials(environ={})


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, catch_exceptions=False)


def test_auth_token_stores_a_verified_api_token_profile(
    sandbox: Any, config_dir: Path, guard: SecretGuard
) -> None:
    guard.add(sandbox.api_token)
    result = _invoke(
        [
            "auth",
            "token",
            "--api-token",
            sandbox.api_token,
            "--base-url",
            sandbox.base_url,
            "--profile",
            "sbx",
        ]
    )
    assert result.exit_code == 0, result.stderr
    with client_from_profile("sbx") as pd:
        me = pd.request("GET", "/v1/users/me")["data"]
    assert result.stdout.strip() == f"connected as {me['name']} (company {me['company_domain']})"
    assert _mode(config_dir / "profiles" / "sbx.json") == 0o600
    assert [p.name for p in list_profiles()] == ["sbx"]

    status = _invoke(["auth", "status", "--profile", "sbx", "--json", "--check"])
    assert status.exit_code == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["kind"] == "api_token" and info["verified"] is True
    assert info["user"]["company_domain"] == me["company_domain"]

    table = _invoke(["auth", "profiles"])
    assert "sbx" in table.stdout and "API token" in table.stdout
    guard.record(result.stdout, result.stderr, status.stdout, table.stdout)

    logout = _invoke(["auth", "logout", "--profile", "sbx"])
    assert logout.exit_code == 0 and list_profiles() == []


def test_auth_token_rejects_a_wrong_token_and_stores_nothing(
    sandbox: Any, config_dir: Path, guard: SecretGuard
) -> None:
    guard.add("not-a-real-token-123")
    result = _invoke(["auth", "token", "--api-token", "not-a-real-token-123", "--base-url", sandbox.base_url])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "401" in result.stderr
    assert list_profiles() == []
    guard.record(result.stdout, result.stderr)


def test_auth_status_for_a_missing_profile_is_one_line(config_dir: Path) -> None:
    result = _invoke(["auth", "status", "--profile", "ghost"])
    assert result.exit_code == 2  # a usage error, as in every command
    assert result.stderr.strip().splitlines() == [
        "error: no profile named 'ghost'; create it with `pipedrive auth login --profile ghost` "
        "or `pipedrive auth token --profile ghost`"
    ]


def test_auth_status_never_prints_a_base_url_password(config_dir: Path) -> None:
    save_profile(
        Profile(
            name="withauth",
            kind="api_token",
            api_token="profile-token",
            base_url="http://proxyuser:proxy-secret-77@127.0.0.1:9",
        )
    )
    for args in (
        ["auth", "status", "--profile", "withauth"],
        ["auth", "status", "--profile", "withauth", "--json"],
    ):
        result = _invoke(args)
        assert result.exit_code == 0, result.output
        assert "proxy-secret-77" not in result.output and "127.0.0.1:9" in result.output
