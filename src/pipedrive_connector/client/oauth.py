"""OAuth2 for Pipedrive apps: the authorize URL, code exchange, refresh, revoke, and ``OAuth2Auth``.

``OAuth2Auth`` is an ``httpx.Auth`` for the ``Pipedrive`` client. It signs requests with the stored
access token, refreshes it shortly before expiry and once on a 401 that rejects the token, and makes
sure only one refresh runs at a time across threads, asyncio tasks and processes sharing a token
store: whoever waits re-reads the store after getting the lock and reuses the new token.

authlib's httpx integration was considered: its ``OAuth2Client`` is itself an ``httpx.Client`` whose
refresh is coordinated only inside one client instance (no store re-read, no cross-process lock), and
it does not map Pipedrive's ``Invalid grant: refresh_token is invalid`` answers, so the few
token-endpoint calls are written here with httpx directly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import shlex
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from secrets import token_urlsafe
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
import httpx

from pipedrive_connector.client._tls import default_ssl_context
from pipedrive_connector.client.errors import PipedriveError
from pipedrive_connector.client.token_store import OAuthToken, TokenStore

logger = logging.getLogger(__name__)

DEFAULT_OAUTH_BASE_URL = "https://oauth.pipedrive.com"
DEFAULT_REFRESH_SKEW_SECONDS = 60.0
_REDACTED = "***"

TokenUpdateCallback = Callable[[OAuthToken], None]
EventHooks = Mapping[str, list[Callable[..., Any]]]


class OAuthError(PipedriveError):
    """An OAuth step failed. The message says what and what to do; it never contains a secret.

    A ``PipedriveError``, so that code (and CLI commands) handling client errors also handle these.
    """

    def __init__(self, message: str, *, status_code: int | None = None, error: str | None = None) -> None:
        super().__init__(message, status_code=status_code, error=error)


class ReauthorizationRequired(OAuthError):
    """The stored authorization cannot be used any more (refresh token rejected, revoked or missing).

    ``command`` is the command that authorizes again, e.g. ``pipedrive auth login --profile work``.
    """

    def __init__(
        self, message: str, *, command: str, status_code: int | None = None, error: str | None = None
    ) -> None:
        super().__init__(f"{message} Authorize again: {command}", status_code=status_code, error=error)
        self.command = command


class AuthorizationDenied(OAuthError):
    """The user pressed Cancel on Pipedrive's consent page (``error=user_denied``)."""


class StateMismatch(OAuthError):
    """The callback's ``state`` is missing or is not the one this login sent (possible forgery)."""


def login_command(profile: str | None, oauth_base_url: str = DEFAULT_OAUTH_BASE_URL) -> str:
    """The CLI command that re-runs the authorization for ``profile``."""
    parts = ["pipedrive", "auth", "login", "--profile", shlex.quote(profile or "default")]
    if oauth_base_url.rstrip("/") != DEFAULT_OAUTH_BASE_URL:
        parts += ["--oauth-base-url", shlex.quote(oauth_base_url)]
    return " ".join(parts)


@dataclass(frozen=True)
class Pkce:
    """A PKCE proof key (RFC 7636): the S256 challenge goes in the authorize URL, the verifier in the
    code exchange, so a code intercepted on its way back to the redirect URI is useless to others.

    Pipedrive's OAuth documentation does not mention PKCE; servers ignore parameters they do not know,
    so sending it costs nothing there, and the sandbox's OAuth server checks it.
    """

    verifier: str = field(repr=False)
    method: str = "S256"

    @classmethod
    def generate(cls) -> Pkce:
        return cls(token_urlsafe(64))  # 86 characters of [A-Za-z0-9_-]: within RFC 7636's 43..128

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class OAuthApp:
    """A Pipedrive app's credentials and the OAuth server that issues its tokens."""

    client_id: str
    client_secret: str
    oauth_base_url: str = DEFAULT_OAUTH_BASE_URL

    def __post_init__(self) -> None:
        if not self.client_id.strip():
            raise ValueError("client_id is empty")
        if not self.client_secret.strip():
            raise ValueError("client_secret is empty")
        base = self.oauth_base_url.strip().rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"oauth_base_url must start with https:// or http:// (got {base!r})")
        object.__setattr__(self, "oauth_base_url", base)

    def __repr__(self) -> str:
        return (
            f"OAuthApp(client_id={self.client_id!r}, client_secret={_REDACTED!r}, "
            f"oauth_base_url={self.oauth_base_url!r})"
        )

    @property
    def token_url(self) -> str:
        return f"{self.oauth_base_url}/oauth/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.oauth_base_url}/oauth/revoke"

    def authorize_url(
        self, *, redirect_uri: str, state: str, scopes: Iterable[str] = (), pkce: Pkce | None = None
    ) -> str:
        """The URL of Pipedrive's consent page for this app (with ``pkce``'s challenge if given)."""
        params = {"client_id": self.client_id, "redirect_uri": redirect_uri, "state": state}
        scope = " ".join(s for s in scopes if s)
        if scope:
            params["scope"] = scope
        if pkce is not None:
            params["code_challenge"] = pkce.challenge
            params["code_challenge_method"] = pkce.method
        return f"{self.oauth_base_url}/oauth/authorize?{urlencode(params)}"


def _redact(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def _error_of(response: httpx.Response) -> tuple[str | None, str]:
    """(error code, human message) of an OAuth error answer, whatever shape the server used."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        message = body.get("message") or body.get("error_description") or error
        if isinstance(error, dict):  # {"error": {"message": ...}} variants
            message = message if isinstance(message, str) else error.get("message")
            error = error.get("code")
        return (str(error) if error else None, str(message) if message else f"HTTP {response.status_code}")
    text = response.text.strip()
    return None, (text[:200] if text else f"HTTP {response.status_code}")


def _is_invalid_grant(error: str | None, message: str) -> bool:
    lowered = message.lower()
    return error == "invalid_grant" or "invalid grant" in lowered


def _is_invalid_client(error: str | None, message: str) -> bool:
    lowered = message.lower()
    return error == "invalid_client" or "invalid client" in lowered


class OAuthTokenClient:
    """The token endpoint calls (HTTP Basic client authentication, form-encoded bodies)."""

    def __init__(
        self,
        app: OAuthApp,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        event_hooks: EventHooks | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self._timeout = timeout
        self._transport = transport
        self._event_hooks = {k: list(v) for k, v in (event_hooks or {}).items()}
        self._clock = clock

    def __repr__(self) -> str:
        return f"OAuthTokenClient(app={self.app!r})"

    def _http(self) -> httpx.Client:
        return httpx.Client(
            timeout=self._timeout,
            transport=self._transport,
            event_hooks=self._event_hooks,
            auth=httpx.BasicAuth(self.app.client_id, self.app.client_secret),
            headers={"Accept": "application/json"},
            verify=default_ssl_context(),
        )

    def _post(self, url: str, form: dict[str, str], what: str) -> httpx.Response:
        try:
            with self._http() as http:
                response = http.post(url, data=form)
                response.read()
                return response
        except httpx.HTTPError as exc:
            # httpx messages name the URL (no secrets: they travel in the body and the Basic header).
            raise OAuthError(f"{what} failed: cannot reach {url} ({type(exc).__name__}: {exc})") from None

    def _token_from(
        self,
        response: httpx.Response,
        *,
        previous: OAuthToken | None,
        what: str,
        secrets: Iterable[str | None],
    ) -> OAuthToken:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise OAuthError(
                f"{what} failed: the OAuth server answered HTTP {response.status_code} without a JSON token",
                status_code=response.status_code,
            )
        try:
            return OAuthToken.from_response(payload, now=self._clock(), previous=previous)
        except ValueError as exc:
            raise OAuthError(
                f"{what} failed: {_redact(str(exc), secrets)}", status_code=response.status_code
            ) from None

    def exchange_code(self, code: str, redirect_uri: str, *, pkce: Pkce | None = None) -> OAuthToken:
        """Trade an authorization code for tokens (``grant_type=authorization_code``).

        ``pkce`` is the proof key whose challenge was in the authorize URL; its verifier is sent.
        """
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if pkce is not None:
            form["code_verifier"] = pkce.verifier
        response = self._post(self.app.token_url, form, "exchanging the authorization code")
        secrets = (code, self.app.client_secret, pkce.verifier if pkce else None)
        if response.status_code != 200:
            error, message = _error_of(response)
            message = _redact(message, secrets)
            hint = ""
            if _is_invalid_client(error, message) or response.status_code == 401:
                hint = " Check --client-id and --client-secret."
            raise OAuthError(
                f"exchanging the authorization code failed (HTTP {response.status_code}): {message}.{hint}",
                status_code=response.status_code,
                error=error,
            )
        return self._token_from(
            response, previous=None, what="exchanging the authorization code", secrets=secrets
        )

    def refresh(self, token: OAuthToken, *, profile: str | None = None) -> OAuthToken:
        """A new access token for ``token``'s refresh token; ``ReauthorizationRequired`` if rejected."""
        command = login_command(profile, self.app.oauth_base_url)
        if not token.refresh_token:
            raise ReauthorizationRequired("The stored OAuth token has no refresh token.", command=command)
        form = {"grant_type": "refresh_token", "refresh_token": token.refresh_token}
        response = self._post(self.app.token_url, form, "refreshing the access token")
        secrets = (token.refresh_token, token.access_token, self.app.client_secret)
        if response.status_code != 200:
            error, message = _error_of(response)
            message = _redact(message, secrets)
            if _is_invalid_grant(error, message):
                raise ReauthorizationRequired(
                    f"Pipedrive rejected the refresh token ({message}): it was revoked, the app was "
                    "uninstalled, or it was unused for 60 days.",
                    command=command,
                    status_code=response.status_code,
                    error=error,
                )
            if _is_invalid_client(error, message):
                raise ReauthorizationRequired(
                    f"Pipedrive rejected the app's client credentials ({message}).",
                    command=command,
                    status_code=response.status_code,
                    error=error,
                )
            raise OAuthError(
                f"refreshing the access token failed (HTTP {response.status_code}): {message}",
                status_code=response.status_code,
                error=error,
            )
        return self._token_from(response, previous=token, what="refreshing the access token", secrets=secrets)

    def revoke(self, token_value: str, token_type_hint: str = "refresh_token") -> None:
        """Revoke a token (RFC 7009). Revoking the refresh token uninstalls the app for that user."""
        form = {"token": token_value, "token_type_hint": token_type_hint}
        response = self._post(self.app.revoke_url, form, "revoking the token")
        if response.status_code >= 400:
            error, message = _error_of(response)
            message = _redact(message, (token_value, self.app.client_secret))
            raise OAuthError(
                f"revoking the token failed (HTTP {response.status_code}): {message}",
                status_code=response.status_code,
                error=error,
            )


def _rejects_token(response: httpx.Response) -> bool:
    """A 401 whose body says the access token is invalid or expired (body already read)."""
    if response.status_code != 401:
        return False
    text = response.text.lower()
    return not text or any(word in text for word in ("token", "expired", "invalid", "unauthorized"))


class OAuth2Auth(httpx.Auth):
    """Bearer authentication with coordinated refresh, for ``httpx`` clients and ``Pipedrive``.

    >>> auth = OAuth2Auth(OAuthApp("id", "secret"), FileTokenStore.for_profile("work"), profile="work")
    >>> pd = Pipedrive(auth=auth)          # base URL = auth.api_domain
    """

    def __init__(
        self,
        app: OAuthApp,
        store: TokenStore,
        *,
        profile: str | None = None,
        on_token_update: TokenUpdateCallback | None = None,
        refresh_skew: float = DEFAULT_REFRESH_SKEW_SECONDS,
        clock: Callable[[], float] = time.time,
        token_client: OAuthTokenClient | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.profile = profile
        self.on_token_update = on_token_update
        self.refresh_skew = refresh_skew
        self._clock = clock
        self.token_client = token_client or OAuthTokenClient(app, clock=clock)
        self._token: OAuthToken | None = None
        self._thread_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._async_locks_guard = threading.Lock()
        # Identifies this authorization for the client's rate limiter without revealing a secret.
        self.rate_limit_key = (
            "oauth:"
            + hashlib.sha256(
                f"{app.oauth_base_url}|{app.client_id}|{store!r}|{id(store)}".encode()
            ).hexdigest()[:16]
        )

    def __repr__(self) -> str:
        return f"OAuth2Auth(app={self.app!r}, store={self.store!r}, profile={self.profile!r})"

    # -- the current token ------------------------------------------------------------------------

    def _reauthorize(self, message: str) -> ReauthorizationRequired:
        return ReauthorizationRequired(message, command=login_command(self.profile, self.app.oauth_base_url))

    def current_token(self) -> OAuthToken:
        """The token in use (loaded from the store on first use). No refresh happens here."""
        token = self._token
        if token is None:
            token = self.store.load()
            if token is None:
                raise self._reauthorize("No OAuth token is stored for this profile.")
            self._token = token
        return token

    @property
    def api_domain(self) -> str | None:
        """The company's API base URL from the token response (e.g. ``https://acme.pipedrive.com``)."""
        try:
            return self.current_token().api_domain
        except ReauthorizationRequired:
            return None

    # -- refresh (one at a time) ------------------------------------------------------------------

    def refresh(self) -> OAuthToken:
        """Refresh now, whatever the expiry (still coordinated with every other holder of the store)."""
        return self._refresh_coordinated(stale=None)

    def _refresh_coordinated(self, stale: OAuthToken | None) -> OAuthToken:
        """Refresh unless someone else already replaced ``stale`` with a token that is still fresh."""
        with self._thread_lock, self.store.lock():
            current = self.store.load()
            if current is None:
                raise self._reauthorize("No OAuth token is stored for this profile.")
            fresh = not current.expires_within(self.refresh_skew, self._clock())
            if stale is not None and current.access_token != stale.access_token and fresh:
                logger.debug("reusing the access token another holder refreshed (profile %s)", self.profile)
                self._token = current
                return current
            logger.info("refreshing the OAuth access token (profile %s)", self.profile)
            new = self.token_client.refresh(current, profile=self.profile)
            self.store.save(new)
            self._token = new
            if new.expires_at is not None:
                logger.info(
                    "OAuth access token refreshed; valid for %d s (profile %s)",
                    int(new.expires_at - self._clock()),
                    self.profile,
                )
            self._notify(new)
            return new

    def _notify(self, token: OAuthToken) -> None:
        if self.on_token_update is None:
            return
        try:
            self.on_token_update(token)
        except Exception as exc:  # the refresh itself succeeded and is stored; do not fail the request
            logger.warning(
                "on_token_update callback raised %s; the new token is still in the store", type(exc).__name__
            )

    def _async_lock(self) -> AbstractAsyncContextManager[Any]:
        """An asyncio lock for the running loop (one per loop: asyncio locks are bound to their loop).

        Under trio there is none: the worker threads then queue on the thread lock instead.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio)
            return contextlib.nullcontext()
        with self._async_locks_guard:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
            return lock

    async def _refresh_coordinated_async(self, stale: OAuthToken) -> OAuthToken:
        async with self._async_lock():
            current = self._token
            if (
                current is not None
                and current.access_token != stale.access_token
                and not current.expires_within(self.refresh_skew, self._clock())
            ):
                return current
            # The thread and file locks block, so the refresh runs in a worker thread.
            return await anyio.to_thread.run_sync(self._refresh_coordinated, stale)

    def _needs_refresh(self, token: OAuthToken) -> bool:
        return token.expires_within(self.refresh_skew, self._clock())

    @staticmethod
    def _sign(request: httpx.Request, token: OAuthToken) -> None:
        request.headers["Authorization"] = f"Bearer {token.access_token}"

    # -- httpx.Auth -------------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.current_token()
        if self._needs_refresh(token):
            token = self._refresh_coordinated(stale=token)
        self._sign(request, token)
        response = yield request
        if response.status_code == 401:
            response.read()
            if _rejects_token(response):
                token = self._refresh_coordinated(stale=token)
                self._sign(request, token)
                yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self.current_token()
        if self._needs_refresh(token):
            token = await self._refresh_coordinated_async(token)
        self._sign(request, token)
        response = yield request
        if response.status_code == 401:
            await response.aread()
            if _rejects_token(response):
                token = await self._refresh_coordinated_async(token)
                self._sign(request, token)
                yield request

    # -- logout -----------------------------------------------------------------------------------

    def revoke(self) -> None:
        """Revoke the refresh token at Pipedrive (uninstalling the app for this user), then forget it."""
        with self._thread_lock, self.store.lock():
            token = self.store.load()
            if token is not None:
                self.token_client.revoke(
                    token.refresh_token or token.access_token,
                    "refresh_token" if token.refresh_token else "access_token",
                )
            self.store.delete()
            self._token = None


# The name docs/architecture.md uses for the client's ``oauth=`` argument.
OAuth2Credentials = OAuth2Auth
