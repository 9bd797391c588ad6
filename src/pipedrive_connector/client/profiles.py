"""Named connection profiles (API token or OAuth app) and the credential resolver the CLI uses.

A profile is ``<config dir>/profiles/<name>.json`` (mode 0600: it holds the API token or the app's
client secret); an OAuth profile's tokens live in ``<config dir>/tokens/<name>.json``.

Resolution order for every command: flags > environment > profile. ``--profile`` (or
``PIPEDRIVE_PROFILE``) selects a profile; without any, the profile named "default" is used if it
exists.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipedrive_connector.client.oauth import DEFAULT_OAUTH_BASE_URL, OAuth2Auth, OAuthApp
from pipedrive_connector.client.token_store import (
    FileTokenStore,
    TokenStoreError,
    config_dir,
    read_json,
    write_private_json,
)

if TYPE_CHECKING:
    from pipedrive_connector.client import Pipedrive

DEFAULT_PROFILE = "default"
PROFILE_ENV = "PIPEDRIVE_PROFILE"
API_TOKEN_ENV = "PIPEDRIVE_API_TOKEN"
BASE_URL_ENV = "PIPEDRIVE_BASE_URL"
COMPANY_DOMAIN_ENV = "PIPEDRIVE_COMPANY_DOMAIN"

ProfileKind = Literal["oauth", "api_token"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REDACTED = "***"


class ProfileError(Exception):
    """A profile that is missing, malformed or cannot be used; the message says what to do."""


def validate_profile_name(name: str) -> str:
    if not _NAME.match(name) or name.endswith((".json", ".lock")):
        raise ProfileError(
            f"invalid profile name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return name


@dataclass
class Profile:
    """One account: an API token, or an OAuth app whose tokens are in the profile's token file."""

    name: str
    kind: ProfileKind
    api_token: str | None = None
    base_url: str | None = None
    company_domain: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    oauth_base_url: str = DEFAULT_OAUTH_BASE_URL
    # Who the credentials belong to, from GET /v1/users/me at login (for `auth status`).
    user: dict[str, Any] = field(default_factory=dict)
    updated_at: str = ""

    def __repr__(self) -> str:
        return (
            f"Profile(name={self.name!r}, kind={self.kind!r}, "
            f"api_token={_REDACTED if self.api_token else None!r}, base_url={self.base_url!r}, "
            f"company_domain={self.company_domain!r}, client_id={self.client_id!r}, "
            f"client_secret={_REDACTED if self.client_secret else None!r}, "
            f"oauth_base_url={self.oauth_base_url!r}, user={self.user!r})"
        )

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", {})}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str) -> Profile:
        kind = data.get("kind")
        if kind not in ("oauth", "api_token"):
            raise ProfileError(f"profile {name!r} has an unknown kind {kind!r}; log in again")
        profile = cls(
            name=name,
            kind=kind,
            api_token=data.get("api_token"),
            base_url=data.get("base_url"),
            company_domain=data.get("company_domain"),
            client_id=data.get("client_id"),
            client_secret=data.get("client_secret"),
            oauth_base_url=data.get("oauth_base_url") or DEFAULT_OAUTH_BASE_URL,
            user=dict(data.get("user") or {}),
            updated_at=str(data.get("updated_at") or ""),
        )
        if kind == "api_token" and not profile.api_token:
            raise ProfileError(
                f"profile {name!r} has no API token; run `pipedrive auth token --profile {name}`"
            )
        if kind == "oauth" and not (profile.client_id and profile.client_secret):
            raise ProfileError(
                f"profile {name!r} has no OAuth app credentials; run `pipedrive auth login --profile "
                f"{name} --client-id ... --client-secret ...`"
            )
        return profile

    def oauth_app(self) -> OAuthApp:
        if self.kind != "oauth" or not self.client_id or not self.client_secret:
            raise ProfileError(f"profile {self.name!r} is not an OAuth profile")
        return OAuthApp(self.client_id, self.client_secret, self.oauth_base_url)


def profiles_dir(directory: Path | None = None) -> Path:
    return (directory if directory is not None else config_dir()) / "profiles"


def profile_path(name: str, directory: Path | None = None) -> Path:
    return profiles_dir(directory) / f"{validate_profile_name(name)}.json"


def token_store_for(name: str, directory: Path | None = None) -> FileTokenStore:
    return FileTokenStore.for_profile(validate_profile_name(name), directory)


def profile_exists(name: str, directory: Path | None = None) -> bool:
    return profile_path(name, directory).is_file()


def load_profile(name: str, directory: Path | None = None) -> Profile:
    path = profile_path(name, directory)
    try:
        data = read_json(path)
    except TokenStoreError as exc:
        raise ProfileError(str(exc)) from None
    if data is None:
        known = [p.name for p in list_profiles(directory)]
        hint = f" (profiles: {', '.join(known)})" if known else ""
        raise ProfileError(
            f"no profile named {name!r}{hint}; create it with `pipedrive auth login --profile {name}` "
            f"or `pipedrive auth token --profile {name}`"
        )
    return Profile.from_dict(data, name=name)


def save_profile(profile: Profile, directory: Path | None = None) -> Path:
    path = profile_path(profile.name, directory)
    profile.updated_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        write_private_json(path, profile.to_dict())
    except TokenStoreError as exc:
        raise ProfileError(str(exc)) from None
    return path


def delete_profile(name: str, directory: Path | None = None) -> bool:
    """Remove the profile and its tokens; True when something was removed."""
    removed = False
    for path in (profile_path(name, directory), token_store_for(name, directory).path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed = True
    return removed


def list_profiles(directory: Path | None = None) -> list[Profile]:
    """Every readable profile, sorted by name (unreadable files are skipped)."""
    folder = profiles_dir(directory)
    if not folder.is_dir():
        return []
    profiles = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = read_json(path)
            if data is not None and _NAME.match(path.stem):
                profiles.append(Profile.from_dict(data, name=path.stem))
        except (TokenStoreError, ProfileError):
            continue
    return profiles


def oauth_auth_for(profile: Profile, directory: Path | None = None, **auth_kwargs: Any) -> OAuth2Auth:
    """The ``OAuth2Auth`` of an OAuth profile (tokens in the profile's token file)."""
    return OAuth2Auth(
        profile.oauth_app(), token_store_for(profile.name, directory), profile=profile.name, **auth_kwargs
    )


@dataclass
class ResolvedCredentials:
    """The credentials and base URL a command should use, and where they came from."""

    source: str
    api_token: str | None = None
    auth: OAuth2Auth | None = None
    base_url: str | None = None
    company_domain: str | None = None
    profile: Profile | None = None

    def __repr__(self) -> str:
        return (
            f"ResolvedCredentials(source={self.source!r}, "
            f"api_token={_REDACTED if self.api_token else None!r}, auth={self.auth!r}, "
            f"base_url={self.base_url!r}, company_domain={self.company_domain!r})"
        )

    def client(self, **client_kwargs: Any) -> Pipedrive:
        from pipedrive_connector.client import Pipedrive

        kwargs: dict[str, Any] = dict(client_kwargs)
        if self.base_url:
            kwargs.setdefault("base_url", self.base_url)
        elif self.company_domain:
            kwargs.setdefault("company_domain", self.company_domain)
        if self.auth is not None:
            return Pipedrive(auth=self.auth, **kwargs)
        return Pipedrive(api_token=self.api_token, **kwargs)


def resolve_credentials(
    *,
    profile: str | None = None,
    api_token: str | None = None,
    base_url: str | None = None,
    company_domain: str | None = None,
    environ: Mapping[str, str] | None = None,
    directory: Path | None = None,
) -> ResolvedCredentials:
    """Pick credentials and base URL: flags > environment > profile (see the module docstring)."""
    env = os.environ if environ is None else environ
    if profile and api_token:
        raise ProfileError("give either --api-token or --profile, not both")

    chosen: Profile | None = None
    if profile:
        chosen = load_profile(profile, directory)
        resolved = ResolvedCredentials(source=f"profile {profile}")
    elif api_token:
        resolved = ResolvedCredentials(source="--api-token", api_token=api_token)
    elif env.get(API_TOKEN_ENV):
        resolved = ResolvedCredentials(source=API_TOKEN_ENV, api_token=env[API_TOKEN_ENV])
    else:
        name = env.get(PROFILE_ENV) or DEFAULT_PROFILE
        if env.get(PROFILE_ENV) or profile_exists(name, directory):
            chosen = load_profile(name, directory)
            resolved = ResolvedCredentials(source=f"profile {name}")
        else:
            raise ProfileError(
                "no Pipedrive credentials: pass --api-token or --profile, set PIPEDRIVE_API_TOKEN, or run "
                "`pipedrive auth login` (OAuth app) or `pipedrive auth token` (API token)"
            )
    if chosen is not None:
        resolved.profile = chosen
        if chosen.kind == "oauth":
            resolved.auth = oauth_auth_for(chosen, directory)
        else:
            resolved.api_token = chosen.api_token

    # The base URL: the first layer that sets either a base URL or a company domain wins.
    if base_url or company_domain:
        resolved.base_url, resolved.company_domain = base_url, company_domain
    elif env.get(BASE_URL_ENV) or env.get(COMPANY_DOMAIN_ENV):
        resolved.base_url = env.get(BASE_URL_ENV) or None
        resolved.company_domain = env.get(COMPANY_DOMAIN_ENV) or None
    elif chosen is not None and chosen.kind == "api_token":
        resolved.base_url, resolved.company_domain = chosen.base_url, chosen.company_domain
    # An OAuth profile's base URL is the token's api_domain, which the client reads from the auth.
    return resolved


def client_from_profile(
    name: str = DEFAULT_PROFILE, directory: Path | None = None, **client_kwargs: Any
) -> Pipedrive:
    """A ``Pipedrive`` client for a stored profile (API token or OAuth with automatic refresh)."""
    return resolve_credentials(profile=name, directory=directory, environ={}).client(**client_kwargs)


def resolve_client(**options: Any) -> Pipedrive:
    """``resolve_credentials(**options).client()``: what CLI commands call with their flags."""
    return resolve_credentials(**options).client()
