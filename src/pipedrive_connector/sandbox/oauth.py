"""The sandbox's OAuth2 server: /oauth/authorize, /oauth/token, /oauth/revoke and its control plane.

Behaves like ``oauth.pipedrive.com``: authorization codes live 5 minutes and are single-use, access
tokens 60 minutes, refresh tokens 60 days counted from their last use (a refresh returns the same
refresh token with its window reset). Every lifetime is measured on ``state.clock`` so that tests can
move time through ``POST /_sandbox/clock``. Error messages are Pipedrive's documented ones.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.sandbox.contracts import Principal, SandboxStateLike
from pipedrive_connector.sandbox.oauth_consent import consent_page
from pipedrive_connector.sandbox.oauth_forms import (
    basic_credentials,
    is_form,
    is_loopback_url,
    is_valid_redirect_uri,
    normalize_scope,
    read_form,
    with_query,
)
from pipedrive_connector.sandbox.oauth_pkce import challenge_problem, verifier_matches
from pipedrive_connector.sandbox.oauth_store import (
    CODE_LIFETIME,
    Grant,
    OAuthClient,
    OAuthStore,
    digest,
    secrets_match,
)
from pipedrive_connector.sandbox.validation import load_json_object

# A pre-registered app so that `pipedrive auth login` works against a fresh sandbox. It accepts any
# loopback redirect URI (a sandbox convenience; registered apps must match their redirect_uri exactly).
DEMO_CLIENT_ID = "sandbox-client"
DEMO_CLIENT_SECRET = "sandbox-secret"
DEMO_REDIRECT_URI = "http://127.0.0.1:8910/callback"

ACCESS_EXPIRES_IN = 3599
SUPPORTED_GRANTS = ("authorization_code", "refresh_token", "exchange_api_token")


class OAuthError(Exception):
    """A 400 from the OAuth server with one of Pipedrive's messages."""

    def __init__(self, message: str, rfc_error: str = "invalid_request") -> None:
        super().__init__(message)
        self.message = message
        self.rfc_error = rfc_error


def _error_response(error: OAuthError) -> JSONResponse:
    # Pipedrive's message verbatim, plus the RFC 6749 fields generic OAuth clients look for.
    return JSONResponse(
        {
            "success": False,
            "message": error.message,
            "error": error.rfc_error,
            "error_description": error.message,
        },
        status_code=400,
        headers={"cache-control": "no-store"},
    )


def _redirect_error(redirect_uri: str, error: str, description: str, params: dict[str, str]) -> Response:
    """RFC 6749 §4.1.2.1: an authorize error sent back to the (already validated) redirect URI."""
    query = {"error": error, "error_description": description}
    if "state" in params:
        query["state"] = params["state"]
    return RedirectResponse(with_query(redirect_uri, query), 302)


def _redirect_allowed(client: OAuthClient, redirect_uri: str) -> bool:
    return redirect_uri == client.redirect_uri or (
        client.any_loopback_redirect and is_loopback_url(redirect_uri)
    )


def _cp_error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status)


class OAuthServer:
    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state
        self.store = OAuthStore(getattr(state, "db", None), getattr(state, "db_lock", None))
        self._exchanged_api_tokens: set[str] = set()
        self._register_demo_client()

    # -- public surface used by app.py -------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """/oauth/* and /_sandbox/oauth/* routes."""
        return [
            Route("/oauth/authorize", self._authorize_page, methods=["GET"]),
            Route("/oauth/authorize", self._authorize_decision, methods=["POST"]),
            Route("/oauth/token", self._token, methods=["POST"]),
            Route("/oauth/token/", self._token, methods=["POST"]),
            Route("/oauth/revoke", self._revoke, methods=["POST"]),
            Route("/_sandbox/oauth/clients", self._cp_register_client, methods=["POST"]),
            Route("/_sandbox/oauth/clients", self._cp_list_clients, methods=["GET"]),
            Route("/_sandbox/oauth/tokens", self._cp_tokens, methods=["GET"]),
        ]

    def authenticate_bearer(self, token: str) -> Principal | None:
        """The principal for a valid, unexpired access token; None otherwise."""
        if not token:
            return None
        grant = self.store.get_access(token)
        if grant is None or grant.expires_at <= self.state.clock.now():
            return None
        return Principal(
            user_id=grant.user_id,
            company_id=grant.company_id,
            auth_kind="oauth",
            # Stable across refreshes of one installation, and not the secret itself.
            credential_id="oauth:" + grant.refresh_digest[:16],
            scopes=frozenset(grant.scope.split(",")),
        )

    def reset(self) -> None:
        """Forget clients, codes and tokens (control-plane reset); the demo app is registered again."""
        self.store.clear()
        self._exchanged_api_tokens.clear()
        self._register_demo_client()

    def describe(self) -> dict[str, Any]:
        return {"clients": self.store.list_clients(), "tokens": self.store.count_live(self.state.clock.now())}

    # -- authorize -----------------------------------------------------------------------------------

    def _register_demo_client(self) -> None:
        self.store.register_client(
            DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, any_loopback_redirect=True
        )

    def _user_exists(self, user_id: int) -> bool:
        store = getattr(self.state, "store", None)
        if store is None:  # no entity store (unit use): any user
            return True
        user = store.get("user", user_id)
        return isinstance(user, dict) and bool(user.get("active_flag", True))

    def _check_authorize_params(self, params: dict[str, str]) -> tuple[OAuthClient, str]:
        client = self.store.get_client(params.get("client_id", ""))
        if client is None:
            raise OAuthError("Invalid client: client is invalid", "invalid_client")
        redirect_uri = params.get("redirect_uri") or client.redirect_uri
        if not is_valid_redirect_uri(redirect_uri):
            raise OAuthError("Invalid request: redirect_uri is not a valid URI")
        if not _redirect_allowed(client, redirect_uri):
            raise OAuthError("Invalid request: redirect_uri is invalid")
        return client, redirect_uri

    async def _authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        try:
            client, redirect_uri = self._check_authorize_params(params)
        except OAuthError as error:
            return _error_response(error)
        user_id = params.get("user_id", "1")
        if not user_id.isdigit() or not self._user_exists(int(user_id)):
            return _error_response(OAuthError("Invalid request: user_id is not an active sandbox user"))
        pkce_problem = challenge_problem(params.get("code_challenge"), params.get("code_challenge_method"))
        if pkce_problem:  # RFC 7636 §4.4.1: told to the client through the redirect, as invalid_request
            return _redirect_error(redirect_uri, "invalid_request", pkce_problem, params)
        fields = {
            "client_id": client.client_id,
            "scope": normalize_scope(params.get("scope")),
            "user_id": user_id,
        }
        # Posted back only when sent, so that the token exchange knows whether to require it.
        for name in ("redirect_uri", "state", "code_challenge", "code_challenge_method"):
            if name in params:
                fields[name] = params[name]
        return HTMLResponse(consent_page(fields), headers={"cache-control": "no-store"})

    async def _authorize_decision(self, request: Request) -> Response:
        if not is_form(request):
            return _error_response(
                OAuthError("Invalid request: content must be application/x-www-form-urlencoded")
            )
        form = await read_form(request)
        try:
            client, redirect_uri = self._check_authorize_params(form)
        except OAuthError as error:
            return _error_response(error)
        decision = form.get("decision", "")
        if decision not in ("allow", "deny"):
            return _error_response(OAuthError("Invalid request: decision must be allow or deny"))
        state_param = {"state": form["state"]} if "state" in form else {}
        if decision == "deny":
            return RedirectResponse(with_query(redirect_uri, {"error": "user_denied", **state_param}), 302)
        user_id = form.get("user_id", "1")
        if not user_id.isdigit() or not self._user_exists(int(user_id)):
            return _error_response(OAuthError("Invalid request: user_id is not an active sandbox user"))
        pkce_problem = challenge_problem(form.get("code_challenge"), form.get("code_challenge_method"))
        if pkce_problem:
            return _redirect_error(redirect_uri, "invalid_request", pkce_problem, form)
        grant = Grant(
            client_id=client.client_id,
            user_id=int(user_id),
            company_id=int(getattr(self.state.settings, "company_id", 1)),
            scope=normalize_scope(form.get("scope")),
            expires_at=self.state.clock.now() + CODE_LIFETIME,
            redirect_uri=form.get("redirect_uri", ""),
            code_challenge=form.get("code_challenge", ""),
        )
        code = self.store.issue_code(grant)
        return RedirectResponse(with_query(redirect_uri, {"code": code, **state_param}), 302)

    # -- token ---------------------------------------------------------------------------------------

    def _authenticate_client(self, request: Request, form: dict[str, str]) -> OAuthClient:
        credentials = basic_credentials(request)
        if credentials is None and "client_id" in form:
            credentials = (form["client_id"], form.get("client_secret", ""))
        if credentials is None:
            raise OAuthError("Invalid client: cannot retrieve client credentials", "invalid_client")
        client = self.store.get_client(credentials[0])
        if client is None or not secrets_match(credentials[1], client.secret_digest):
            raise OAuthError("Invalid client: client is invalid", "invalid_client")
        return client

    async def _token(self, request: Request) -> Response:
        try:
            if not is_form(request):
                raise OAuthError("Invalid request: content must be application/x-www-form-urlencoded")
            form = await read_form(request)
            grant_type = form.get("grant_type", "")
            if not grant_type:
                raise OAuthError("Missing parameter: grant_type")
            if grant_type not in SUPPORTED_GRANTS:
                raise OAuthError("Unsupported grant type: grant_type is invalid", "unsupported_grant_type")
            client = self._authenticate_client(request, form)
            if grant_type == "authorization_code":
                body = self._grant_authorization_code(client, form)
            elif grant_type == "refresh_token":
                body = self._grant_refresh_token(client, form)
            else:
                body = self._grant_exchange_api_token(client, form)
        except OAuthError as error:
            return _error_response(error)
        body["api_domain"] = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(body, headers={"cache-control": "no-store", "pragma": "no-cache"})

    def _token_body(self, grant: Grant, refresh_token: str | None = None) -> dict[str, Any]:
        issued = self.store.issue_tokens(grant, self.state.clock.now(), refresh_token)
        return {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_EXPIRES_IN,
            "refresh_token": issued.refresh_token,
            "scope": issued.scope,
        }

    def _grant_authorization_code(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        code = form.get("code", "")
        if not code:
            raise OAuthError("Missing parameter: code")
        grant = self.store.take_code(code)
        if grant is None or grant.client_id != client.client_id:
            raise OAuthError("Invalid grant: authorization_code is invalid", "invalid_grant")
        if grant.expires_at <= self.state.clock.now():
            raise OAuthError("Invalid grant: authorization_code has expired", "invalid_grant")
        self._check_code_redirect_uri(client, grant, form.get("redirect_uri"))
        self._check_code_verifier(grant, form.get("code_verifier"))
        return self._token_body(grant)

    @staticmethod
    def _check_code_redirect_uri(client: OAuthClient, grant: Grant, sent: str | None) -> None:
        """RFC 6749 §4.1.3: required, and identical, when the authorize request carried one."""
        if grant.redirect_uri:
            if not sent:
                raise OAuthError("Missing parameter: redirect_uri")
            if sent != grant.redirect_uri:
                raise OAuthError("Invalid request: redirect_uri is invalid", "invalid_grant")
        elif sent and not _redirect_allowed(client, sent):
            raise OAuthError("Invalid request: redirect_uri is invalid", "invalid_grant")

    @staticmethod
    def _check_code_verifier(grant: Grant, verifier: str | None) -> None:
        """RFC 7636 §4.6; a verifier for a code issued without a challenge is refused too (downgrade)."""
        if grant.code_challenge:
            if not verifier:
                raise OAuthError("Invalid grant: code_verifier is missing", "invalid_grant")
            if not verifier_matches(verifier, grant.code_challenge):
                raise OAuthError("Invalid grant: code_verifier is invalid", "invalid_grant")
        elif verifier:
            raise OAuthError(
                "Invalid grant: code_verifier was sent but the authorization had no code_challenge",
                "invalid_grant",
            )

    def _grant_refresh_token(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        refresh_token = form.get("refresh_token", "")
        if not refresh_token:
            raise OAuthError("Missing parameter: refresh_token")
        grant = self.store.get_refresh(refresh_token)
        if grant is None or grant.client_id != client.client_id or grant.expires_at <= self.state.clock.now():
            raise OAuthError("Invalid grant: refresh_token is invalid", "invalid_grant")
        return self._token_body(grant, refresh_token=refresh_token)

    def _grant_exchange_api_token(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        api_token = form.get("api_token", "")
        if not api_token:
            raise OAuthError("Missing parameter: api_token")
        user_id = self._user_of_api_token(api_token)
        # Each token can be exchanged only once, as on Pipedrive.
        if user_id is None or digest(api_token) in self._exchanged_api_tokens:
            raise OAuthError("Invalid grant: api_token is invalid", "invalid_grant")
        self._exchanged_api_tokens.add(digest(api_token))
        grant = Grant(
            client_id=client.client_id,
            user_id=user_id,
            company_id=int(getattr(self.state.settings, "company_id", 1)),
            scope=normalize_scope(form.get("scope")),
            expires_at=self.state.clock.now(),
        )
        return self._token_body(grant)

    def _user_of_api_token(self, api_token: str) -> int | None:
        """The active user whose API token this is (the admin's is ``settings.api_token``)."""
        candidates: dict[int, str] = {1: str(getattr(self.state.settings, "api_token", ""))}
        store = getattr(self.state, "store", None)
        token_of = getattr(self.state, "user_token", None)
        if store is not None and callable(token_of):
            candidates = {
                int(u["id"]): str(token_of(int(u["id"])))
                for u in store.all("user")
                if u.get("active_flag", True)
            }
        matched = None
        for user_id, expected in candidates.items():
            if expected and secrets.compare_digest(api_token.encode(), expected.encode()):
                matched = user_id
        return matched

    # -- revoke --------------------------------------------------------------------------------------

    async def _revoke(self, request: Request) -> Response:
        try:
            if not is_form(request):
                raise OAuthError("Invalid request: content must be application/x-www-form-urlencoded")
            form = await read_form(request)
            client = self._authenticate_client(request, form)
            token = form.get("token", "")
            if not token:
                raise OAuthError("Missing parameter: token")
        except OAuthError as error:
            return _error_response(error)
        self.store.revoke(token, client.client_id, form.get("token_type_hint"))
        return Response(status_code=200, headers={"cache-control": "no-store"})

    # -- control plane -------------------------------------------------------------------------------

    async def _cp_register_client(self, request: Request) -> Response:
        try:
            payload = load_json_object(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _cp_error("body must be a JSON object")
        if not isinstance(payload, dict):
            return _cp_error("body must be a JSON object")
        for name in ("client_id", "client_secret", "redirect_uri"):
            value = payload.get(name)
            if not isinstance(value, str) or not value:
                return _cp_error(f"{name} is required (a non-empty string)")
        if not is_valid_redirect_uri(payload["redirect_uri"]):
            return _cp_error("redirect_uri must be an absolute http(s) URL without a fragment")
        self.store.register_client(payload["client_id"], payload["client_secret"], payload["redirect_uri"])
        return JSONResponse(
            {
                "success": True,
                "data": {"client_id": payload["client_id"], "redirect_uri": payload["redirect_uri"]},
            },
            status_code=201,
        )

    async def _cp_list_clients(self, request: Request) -> Response:
        return JSONResponse({"success": True, "data": self.store.list_clients()})

    async def _cp_tokens(self, request: Request) -> Response:
        return JSONResponse({"success": True, "data": self.store.count_live(self.state.clock.now())})
