"""``pipedrive auth``: log in with an OAuth app or an API token, see who you are, log out, list profiles.

Secrets (tokens, client secrets) are never printed: every message below is built from names, ids,
scopes and times only.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from pipedrive_connector.cli._connect import MAX_RETRIES, TIMEOUT, ConnectionFlags
from pipedrive_connector.cli._output import InputError
from pipedrive_connector.client._redact import redact_url
from pipedrive_connector.client.oauth import (
    DEFAULT_OAUTH_BASE_URL,
    OAuth2Auth,
    OAuthApp,
    OAuthError,
)
from pipedrive_connector.client.oauth_login import (
    DEFAULT_LOGIN_TIMEOUT_SECONDS,
    DEFAULT_REDIRECT_PORT,
    run_login,
)
from pipedrive_connector.client.profiles import (
    DEFAULT_PROFILE,
    PROFILE_ENV,
    Profile,
    ProfileError,
    delete_profile,
    list_profiles,
    load_profile,
    oauth_auth_for,
    profile_exists,
    profile_path,
    save_profile,
    token_store_for,
    validate_profile_name,
)
from pipedrive_connector.client.token_store import OAuthToken, TokenStoreError

auth_app = typer.Typer(
    name="auth",
    help="Connect to Pipedrive (OAuth app or API token), check the connection, manage profiles.",
    no_args_is_help=True,
)

ProfileOption = typer.Option(
    DEFAULT_PROFILE, "--profile", "-p", envvar=PROFILE_ENV, help="Profile name (one per account)."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


class CommandFailed(Exception):
    """An expected failure: printed as one line on stderr, exit code 1."""


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    from pipedrive_connector.client.errors import PipedriveError

    try:
        yield
    except ProfileError as exc:  # no such profile, a bad name: the user's input, as everywhere else
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except (CommandFailed, OAuthError, TokenStoreError, PipedriveError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:  # bad option values (OAuthApp validation and the like): a usage error
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def _split_scopes(values: list[str] | None) -> list[str]:
    scopes: list[str] = []
    for value in values or []:
        scopes += [s for s in re.split(r"[,\s]+", value) if s]
    return list(dict.fromkeys(scopes))


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch is not None else None


def _expiry_text(token: OAuthToken) -> str:
    if token.expires_at is None:
        return "no expiry given"
    left = int(token.expires_at - time.time())
    when = _iso(token.expires_at)
    if left <= 0:
        return f"expired at {when} (refreshed automatically on next use)"
    return f"expires {when} (in {left // 60} min {left % 60} s)"


def _who(user: dict[str, Any]) -> str:
    name = user.get("name") or user.get("email") or f"user {user.get('id', '?')}"
    domain = user.get("company_domain") or user.get("company_name") or "?"
    return f"{name} (company {domain})"


def _user_summary(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "email", "company_id", "company_name", "company_domain")
    return {k: data.get(k) for k in keys if data.get(k) is not None}


def _fetch_me(client: Any) -> dict[str, Any]:
    """GET /v1/users/me through a ``Pipedrive`` client; the user summary."""
    with client:
        envelope = client.request("GET", "/v1/users/me")
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if not isinstance(data, dict):
        raise CommandFailed("GET /v1/users/me answered without a user object")
    return _user_summary(data)


def _oauth_client(auth: OAuth2Auth, **options: Any) -> Any:
    from pipedrive_connector.client import Pipedrive

    return Pipedrive(auth=auth, **options)


# -- login ----------------------------------------------------------------------------------------


def _previous_oauth_profile(name: str) -> Profile | None:
    """The OAuth profile a new login replaces (its app credentials are reused); None if unusable."""
    if not profile_exists(name):
        return None
    try:
        previous = load_profile(name)
    except ProfileError:  # a damaged profile is simply replaced by this login
        return None
    return previous if previous.kind == "oauth" else None


@auth_app.command("login")
def login(
    client_id: str | None = typer.Option(
        None,
        "--client-id",
        envvar="PIPEDRIVE_CLIENT_ID",
        help="The app's client ID (Developer Hub). Default: the one stored in the profile.",
    ),
    client_secret: str | None = typer.Option(
        None,
        "--client-secret",
        envvar="PIPEDRIVE_CLIENT_SECRET",
        show_default=False,
        help="The app's client secret (stored in the profile file, mode 0600; never printed). "
        "Prefer the PIPEDRIVE_CLIENT_SECRET variable to keep it out of shell history.",
    ),
    redirect_port: int = typer.Option(
        DEFAULT_REDIRECT_PORT,
        "--redirect-port",
        min=0,
        max=65535,
        help="Local port of the callback; register http://127.0.0.1:PORT/callback as the app's callback URL.",
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Print the authorization URL only."),
    scopes: list[str] | None = typer.Option(
        None,
        "--scopes",
        help="Scopes to request (comma or space separated, repeatable). "
        "Default: the scopes configured for the app.",
    ),
    profile: str = ProfileOption,
    oauth_base_url: str | None = typer.Option(
        None,
        "--oauth-base-url",
        help=f"OAuth server base URL (default {DEFAULT_OAUTH_BASE_URL}; a sandbox's own URL for tests).",
    ),
    timeout: float = typer.Option(
        DEFAULT_LOGIN_TIMEOUT_SECONDS,
        "--timeout",
        min=1,
        help="Seconds to wait for the browser to come back.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Authorize an OAuth app in the browser and store its tokens in a profile."""
    with _errors_as_messages():
        validate_profile_name(profile)
        previous = _previous_oauth_profile(profile)
        client_id = client_id or (previous.client_id if previous else None)
        client_secret = client_secret or (previous.client_secret if previous else None)
        if not client_id or not client_secret:
            raise InputError(
                "--client-id and --client-secret are required (or PIPEDRIVE_CLIENT_ID / "
                "PIPEDRIVE_CLIENT_SECRET); find them in Developer Hub > your app > OAuth & "
                "access scopes"
            )
        base = oauth_base_url or (previous.oauth_base_url if previous else DEFAULT_OAUTH_BASE_URL)
        app = OAuthApp(client_id, client_secret, base)

        def announce(url: str) -> None:
            what = "Open this URL" if no_browser else "Opening your browser; if it does not open, visit"
            typer.echo(f"{what} to authorize the app:\n{url}", err=True)
            typer.echo(
                f"Waiting for Pipedrive to redirect to 127.0.0.1 (up to {int(timeout)} s)...", err=True
            )

        token = run_login(
            app,
            redirect_port=redirect_port,
            scopes=_split_scopes(scopes),
            open_browser=not no_browser,
            announce=announce,
            timeout=timeout,
        )

        token_store_for(profile).save(token)
        record = Profile(
            name=profile,
            kind="oauth",
            client_id=client_id,
            client_secret=client_secret,
            oauth_base_url=app.oauth_base_url,
        )
        save_profile(record)
        try:
            user = _fetch_me(_oauth_client(oauth_auth_for(record)))
        except Exception as exc:
            raise CommandFailed(
                f"authorized and stored in profile {profile!r}, but GET /v1/users/me failed: {exc}"
            ) from None
        record.user = user
        save_profile(record)

        if as_json:
            _print_json(
                {
                    "profile": profile,
                    "kind": "oauth",
                    "user": user,
                    "scopes": token.scopes,
                    "api_domain": token.api_domain,
                    "expires_at": _iso(token.expires_at),
                }
            )
        else:
            typer.echo(f"connected as {_who(user)}")
            scope_text = ", ".join(token.scopes) or "base"
            typer.echo(f"saved as profile {profile!r} (scopes: {scope_text})", err=True)


# -- token (API token profiles) -------------------------------------------------------------------


@auth_app.command("token")
def token(
    api_token: str | None = typer.Option(
        None,
        "--api-token",
        envvar="PIPEDRIVE_API_TOKEN",
        show_default=False,
        help="Your personal API token (Settings > Personal preferences > API). Prompted for when omitted.",
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="API base URL (e.g. a sandbox's URL)."),
    company_domain: str | None = typer.Option(
        None, "--company-domain", help="Your company subdomain (the 'acme' in acme.pipedrive.com)."
    ),
    profile: str = ProfileOption,
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check the token with GET /v1/users/me."),
    as_json: bool = JsonOption,
    timeout: float | None = TIMEOUT,
    max_retries: int | None = MAX_RETRIES,
) -> None:
    """Store an API token in a profile (checked against Pipedrive first)."""
    options = ConnectionFlags(base_url=base_url, timeout=timeout, max_retries=max_retries).client_options()
    with _errors_as_messages():
        validate_profile_name(profile)
        if base_url and company_domain:
            raise InputError("give either --base-url or --company-domain, not both")
        if not api_token:
            api_token = typer.prompt("Pipedrive API token", hide_input=True)
        api_token = (api_token or "").strip()
        if not api_token:
            raise InputError("the API token is empty")
        user: dict[str, Any] = {}
        if verify:
            from pipedrive_connector.client import Pipedrive

            user = _fetch_me(
                Pipedrive(
                    api_token=api_token,
                    base_url=base_url,
                    company_domain=company_domain,
                    environ={},
                    **options,
                )
            )
        record = Profile(
            name=profile,
            kind="api_token",
            api_token=api_token,
            base_url=base_url,
            company_domain=company_domain,
            user=user,
        )
        token_store_for(profile).delete()  # a former OAuth profile of that name leaves no tokens behind
        save_profile(record)
        if as_json:
            _print_json({"profile": profile, "kind": "api_token", "user": user, "verified": verify})
        elif user:
            typer.echo(f"connected as {_who(user)}")
            typer.echo(f"saved as profile {profile!r}", err=True)
        else:
            typer.echo(f"saved as profile {profile!r} (not verified)")


# -- status ---------------------------------------------------------------------------------------


def _status(record: Profile, check: bool, options: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {
        "profile": record.name,
        "kind": record.kind,
        "user": record.user,
        "profile_file": str(profile_path(record.name)),
    }
    if record.kind == "api_token":
        status["base_url"] = redact_url(record.base_url) if record.base_url else None
        status["company_domain"] = record.company_domain
    else:
        status["client_id"] = record.client_id
        status["oauth_base_url"] = redact_url(record.oauth_base_url) if record.oauth_base_url else None
        store = token_store_for(record.name)
        status["token_file"] = str(store.path)
        stored = store.load()
        status["logged_in"] = stored is not None
        if stored is not None:
            status["scopes"] = stored.scopes
            status["api_domain"] = stored.api_domain
            status["expires_at"] = _iso(stored.expires_at)
            status["expired"] = stored.expires_within(0)
            status["has_refresh_token"] = bool(stored.refresh_token)
    if check:
        from pipedrive_connector.client import Pipedrive

        client = (
            _oauth_client(oauth_auth_for(record), **options)
            if record.kind == "oauth"
            else Pipedrive(
                api_token=record.api_token,
                base_url=record.base_url,
                company_domain=record.company_domain,
                environ={},
                **options,
            )
        )
        status["user"] = _fetch_me(client)
        status["verified"] = True
        record.user = status["user"]
        save_profile(record)
        if record.kind == "oauth":  # the check may have refreshed the token
            refreshed = token_store_for(record.name).load()
            if refreshed is not None:
                status["expires_at"] = _iso(refreshed.expires_at)
                status["expired"] = refreshed.expires_within(0)
    return status


@auth_app.command("status")
def status(
    profile: str = ProfileOption,
    check: bool = typer.Option(False, "--check", help="Also call GET /v1/users/me (refreshes if needed)."),
    as_json: bool = JsonOption,
    timeout: float | None = TIMEOUT,
    max_retries: int | None = MAX_RETRIES,
) -> None:
    """Who a profile is connected as, its scopes and token expiry (never the token)."""
    options = ConnectionFlags(timeout=timeout, max_retries=max_retries).client_options()
    with _errors_as_messages():
        record = load_profile(profile)
        info = _status(record, check, options)
        if as_json:
            _print_json(info)
            return
        typer.echo(f"profile {record.name} ({'OAuth app' if record.kind == 'oauth' else 'API token'})")
        if record.user:
            typer.echo(f"  connected as {_who(record.user)}")
        if record.kind == "api_token":
            shown = redact_url(record.base_url) if record.base_url else None
            typer.echo(f"  API: {shown or record.company_domain or 'https://api.pipedrive.com'}")
        else:
            typer.echo(f"  client id: {record.client_id}")
            stored = token_store_for(record.name).load()
            if stored is None:
                typer.echo(f"  not logged in: run pipedrive auth login --profile {record.name}")
            else:
                typer.echo(f"  API: {stored.api_domain or '?'}")
                typer.echo(f"  scopes: {', '.join(stored.scopes) or 'base'}")
                typer.echo(f"  access token {_expiry_text(stored)}")
        if check:
            typer.echo("  connection checked: OK")


# -- logout ---------------------------------------------------------------------------------------


@auth_app.command("logout")
def logout(profile: str = ProfileOption, as_json: bool = JsonOption) -> None:
    """Revoke the profile's refresh token at Pipedrive and delete the profile locally."""
    with _errors_as_messages():
        record = load_profile(profile)
        revoke_error: str | None = None
        revoked = False
        if record.kind == "oauth":
            auth = oauth_auth_for(record)
            if auth.store.load() is not None:
                try:
                    auth.revoke()
                    revoked = True
                except OAuthError as exc:
                    revoke_error = str(exc)
        delete_profile(profile)
        if as_json:
            _print_json({"profile": profile, "revoked": revoked, "deleted": True, "error": revoke_error})
        else:
            note = " (refresh token revoked)" if revoked else ""
            typer.echo(f"logged out of profile {profile!r}{note}")
        if revoke_error:
            typer.echo(
                f"error: the local copy is deleted, but revoking at Pipedrive failed: {revoke_error}",
                err=True,
            )
            raise typer.Exit(1)


# -- profiles -------------------------------------------------------------------------------------


@auth_app.command("profiles")
def profiles(as_json: bool = JsonOption) -> None:
    """List the stored profiles."""
    with _errors_as_messages():
        rows = list_profiles()
        if as_json:
            _print_json(
                [{"profile": p.name, "kind": p.kind, "user": p.user, "client_id": p.client_id} for p in rows]
            )
            return
        if not rows:
            typer.echo("no profiles: run `pipedrive auth login` or `pipedrive auth token`")
            return
        table = Table("profile", "kind", "user", "company")
        for p in rows:
            table.add_row(
                p.name + (" *" if p.name == DEFAULT_PROFILE else ""),
                "OAuth app" if p.kind == "oauth" else "API token",
                str(p.user.get("name") or p.user.get("email") or "-"),
                str(p.user.get("company_domain") or p.user.get("company_name") or "-"),
            )
        Console().print(table)


def register(app: typer.Typer) -> None:
    """Attach ``pipedrive auth ...`` to the root app."""
    app.add_typer(auth_app, name="auth")
