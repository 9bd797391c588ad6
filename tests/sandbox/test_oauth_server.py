"""The sandbox OAuth server over a socket: consent, code exchange, refresh, revoke, lifetimes, errors."""

from __future__ import annotations

import base64
import sqlite3
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, _extras_server, extras  # noqa: F401

from pipedrive_connector.sandbox.oauth_store import Grant, OAuthStore

CLIENT_ID = "test-app"
CLIENT_SECRET = "app-secret-123"
REDIRECT_URI = "http://127.0.0.1:5555/callback"


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.method = ""
        self.hidden: dict[str, str] = {}
        self.decisions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action, self.method = values.get("action", ""), values.get("method", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.hidden[values["name"]] = values.get("value", "")
        elif tag == "button" and values.get("name") == "decision":
            self.decisions.append(values.get("value", ""))


def _basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture
def app_registered(extras: ExtrasSandbox) -> ExtrasSandbox:
    response = extras.cp.post(
        "/_sandbox/oauth/clients",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT_URI},
    )
    assert response.status_code == 201 and CLIENT_SECRET not in response.text
    return extras


def _consent(
    extras: ExtrasSandbox,
    decision: str,
    state: str = "xyz",
    scope: str = "deals:full",
    **extra: str | None,
) -> httpx.Response:
    """The consent page answered with ``decision``; ``extra`` adds query parameters (None drops one)."""
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": state, "scope": scope, **extra}
    page = extras.cp.get("/oauth/authorize", params={k: v for k, v in params.items() if v is not None})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    form = _FormParser()
    form.feed(page.text)
    assert form.method.lower() == "post" and form.decisions == ["allow", "deny"]
    return extras.cp.post(form.action, data={**form.hidden, "decision": decision}, follow_redirects=False)


def _authorize(extras: ExtrasSandbox, state: str = "xyz", **extra: str | None) -> str:
    answer = _consent(extras, "allow", state, **extra)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == [state] and "error" not in query
    return query["code"][0]


def _token(
    extras: ExtrasSandbox, data: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {**(_basic() if headers is None else headers), "content-type": "application/x-www-form-urlencoded"}
    return extras.cp.post("/oauth/token", content=urlencode(data), headers=sent)


def _exchange(extras: ExtrasSandbox, code: str) -> dict[str, Any]:
    response = _token(
        extras, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _me(extras: ExtrasSandbox, access_token: str) -> httpx.Response:
    return extras.cp.get("/v1/users/me", headers={"authorization": f"Bearer {access_token}"})


def _live_tokens(extras: ExtrasSandbox) -> dict[str, int]:
    data: dict[str, int] = extras.cp.get("/_sandbox/oauth/tokens").json()["data"]
    return data


def test_full_flow_consent_code_token_refresh_revoke(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    tokens = _exchange(extras, _authorize(extras))
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "scope", "api_domain"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3599
    assert tokens["api_domain"] == extras.base_url  # scheme://host:port, no path
    assert set(tokens["scope"].split(",")) == {"deals:full", "base"}
    me = _me(extras, tokens["access_token"])
    assert me.status_code == 200 and me.json()["data"]["id"] == 1
    assert _live_tokens(extras)["access_tokens"] == 1

    refreshed = _token(extras, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] == tokens["refresh_token"]  # Pipedrive keeps the refresh token
    assert refreshed.json()["access_token"] != tokens["access_token"]
    assert _live_tokens(extras)["access_tokens"] == 2 and _live_tokens(extras)["refresh_tokens"] == 1
    assert _me(extras, refreshed.json()["access_token"]).status_code == 200

    revoked = extras.cp.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        headers=_basic(),
    )
    assert revoked.status_code == 200
    for access_token in (tokens["access_token"], refreshed.json()["access_token"]):
        gone = _me(extras, access_token)
        assert gone.status_code == 401 and gone.json()["error"] == "Invalid token: access_token is invalid"
    again = _token(extras, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert again.status_code == 400 and again.json()["message"] == "Invalid grant: refresh_token is invalid"
    assert _live_tokens(extras) == {**_live_tokens(extras), "access_tokens": 0, "refresh_tokens": 0}


def test_deny_redirects_with_user_denied_and_state(app_registered: ExtrasSandbox) -> None:
    answer = _consent(app_registered, "deny", state="s-42")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query == {"error": ["user_denied"], "state": ["s-42"]}


def test_code_is_single_use_and_expires_after_five_minutes(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    code = _authorize(extras)
    _exchange(extras, code)
    reused = _token(extras, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI})
    assert (
        reused.status_code == 400
        and reused.json()["message"] == "Invalid grant: authorization_code is invalid"
    )

    late = _authorize(extras)
    extras.advance(6 * 60)
    expired = _token(extras, {"grant_type": "authorization_code", "code": late, "redirect_uri": REDIRECT_URI})
    assert expired.status_code == 400
    assert expired.json()["message"] == "Invalid grant: authorization_code has expired"


def test_access_token_lasts_an_hour_and_refresh_sixty_idle_days(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    tokens = _exchange(extras, _authorize(extras))
    extras.advance(59 * 60)
    assert _me(extras, tokens["access_token"]).status_code == 200
    extras.advance(2 * 60)
    assert _me(extras, tokens["access_token"]).status_code == 401

    extras.advance(59 * 86400)  # used 61 minutes ago; 59 days idle is still fine
    refreshed = _token(extras, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    extras.advance(59 * 86400)  # the window restarted at the last use
    assert (
        _token(extras, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).status_code
        == 200
    )
    extras.advance(61 * 86400)
    stale = _token(extras, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert stale.status_code == 400 and stale.json()["message"] == "Invalid grant: refresh_token is invalid"


def test_client_credentials_in_the_body_are_accepted(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    code = _authorize(extras)
    response = _token(
        extras,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        headers={},
    )
    assert response.status_code == 200 and response.json()["access_token"]


@pytest.mark.parametrize(
    ("data", "headers", "message"),
    [
        ({}, None, "Missing parameter: grant_type"),
        ({"grant_type": "password"}, None, "Unsupported grant type: grant_type is invalid"),
        ({"grant_type": "refresh_token"}, {}, "Invalid client: cannot retrieve client credentials"),
        (
            {"grant_type": "refresh_token", "refresh_token": "x"},
            _basic(secret="wrong"),
            "Invalid client: client is invalid",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "x"},
            _basic("nobody"),
            "Invalid client: client is invalid",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "nope"},
            None,
            "Invalid grant: refresh_token is invalid",
        ),
        (
            {"grant_type": "authorization_code", "code": "nope"},
            None,
            "Invalid grant: authorization_code is invalid",
        ),
    ],
)
def test_token_errors_use_pipedrive_messages(
    app_registered: ExtrasSandbox, data: dict[str, str], headers: dict[str, str] | None, message: str
) -> None:
    response = _token(app_registered, data, headers)
    assert response.status_code == 400
    assert response.json()["success"] is False and response.json()["message"] == message
    assert CLIENT_SECRET not in response.text


def test_token_endpoint_requires_form_encoding(app_registered: ExtrasSandbox) -> None:
    response = app_registered.cp.post("/oauth/token", json={"grant_type": "refresh_token"}, headers=_basic())
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request: content must be application/x-www-form-urlencoded"


def test_authorize_rejects_unknown_clients_and_foreign_redirects(app_registered: ExtrasSandbox) -> None:
    cp = app_registered.cp
    unknown = cp.get("/oauth/authorize", params={"client_id": "ghost", "redirect_uri": REDIRECT_URI})
    assert unknown.status_code == 400 and unknown.json()["message"] == "Invalid client: client is invalid"
    foreign = cp.get(
        "/oauth/authorize", params={"client_id": CLIENT_ID, "redirect_uri": "https://evil.example/cb"}
    )
    assert (
        foreign.status_code == 400 and foreign.json()["message"] == "Invalid request: redirect_uri is invalid"
    )
    broken = cp.get("/oauth/authorize", params={"client_id": CLIENT_ID, "redirect_uri": "not a uri"})
    assert (
        broken.status_code == 400
        and broken.json()["message"] == "Invalid request: redirect_uri is not a valid URI"
    )
    tampered = cp.post(
        "/oauth/authorize",
        data={"client_id": CLIENT_ID, "redirect_uri": "https://evil.example/cb", "decision": "allow"},
        follow_redirects=False,
    )
    assert tampered.status_code == 400


def test_revoke_answers_200_for_unknown_tokens_and_access_token_revocation(
    app_registered: ExtrasSandbox,
) -> None:
    extras = app_registered
    assert (
        extras.cp.post("/oauth/revoke", data={"token": "never-issued"}, headers=_basic()).status_code == 200
    )
    tokens = _exchange(extras, _authorize(extras))
    revoked = extras.cp.post(
        "/oauth/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        headers=_basic(),
    )
    assert revoked.status_code == 200
    assert _me(extras, tokens["access_token"]).status_code == 401
    still = _token(extras, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert still.status_code == 200  # revoking an access token leaves the refresh token alone
    no_client = extras.cp.post("/oauth/revoke", data={"token": tokens["refresh_token"]})
    assert no_client.status_code == 400


def test_demo_app_is_preregistered_for_loopback_redirects(extras: ExtrasSandbox) -> None:
    page = extras.cp.get(
        "/oauth/authorize",
        params={"client_id": "sandbox-client", "redirect_uri": "http://localhost:41234/cb", "state": "s"},
    )
    assert page.status_code == 200
    clients = extras.cp.get("/_sandbox/oauth/clients").json()["data"]
    assert "sandbox-client" in {c["client_id"] for c in clients}
    assert all(
        set(c) == {"client_id", "redirect_uri", "any_loopback_redirect"} for c in clients
    )  # no secrets


def test_control_plane_registration_is_validated(extras: ExtrasSandbox) -> None:
    missing = extras.cp.post("/_sandbox/oauth/clients", json={"client_id": "a", "client_secret": "b"})
    assert missing.status_code == 400 and "redirect_uri" in missing.json()["error"]
    bad_uri = extras.cp.post(
        "/_sandbox/oauth/clients", json={"client_id": "a", "client_secret": "b", "redirect_uri": "nope"}
    )
    assert bad_uri.status_code == 400 and "redirect_uri" in bad_uri.json()["error"]
    not_json = extras.cp.post(
        "/_sandbox/oauth/clients", content=b"[1,", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400


def test_exchange_api_token_grant_once(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    first = _token(extras, {"grant_type": "exchange_api_token", "api_token": extras.api_token})
    assert first.status_code == 200 and _me(extras, first.json()["access_token"]).status_code == 200
    second = _token(extras, {"grant_type": "exchange_api_token", "api_token": extras.api_token})
    assert second.status_code == 400 and second.json()["message"] == "Invalid grant: api_token is invalid"
    other = _token(extras, {"grant_type": "exchange_api_token", "api_token": extras.state.user_token(2)})
    assert other.status_code == 200 and _me(extras, other.json()["access_token"]).json()["data"]["id"] == 2
    wrong = _token(extras, {"grant_type": "exchange_api_token", "api_token": "not-a-token"})
    assert wrong.status_code == 400


def test_consent_as_another_user_and_unknown_users_are_refused(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "u2", "user_id": "2"}
    page = extras.cp.get("/oauth/authorize", params=params)
    form = _FormParser()
    form.feed(page.text)
    answer = extras.cp.post(form.action, data={**form.hidden, "decision": "allow"}, follow_redirects=False)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    tokens = _exchange(extras, code)
    assert _me(extras, tokens["access_token"]).json()["data"]["id"] == 2
    unknown = extras.cp.get("/oauth/authorize", params={**params, "user_id": "999"})
    assert unknown.status_code == 400 and "user_id" in unknown.json()["message"]


# RFC 7636 Appendix B: a verifier and its S256 challenge, computed by the RFC's authors.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
PKCE = {"code_challenge": RFC_CHALLENGE, "code_challenge_method": "S256"}


def _code_grant(extras: ExtrasSandbox, code: str, **extra: str) -> httpx.Response:
    return _token(extras, {"grant_type": "authorization_code", "code": code, **extra})


def test_exchange_without_the_redirect_uri_sent_to_authorize_is_refused(
    app_registered: ExtrasSandbox,
) -> None:
    extras = app_registered
    code = _authorize(extras)
    missing = _code_grant(extras, code)
    assert missing.status_code == 400
    assert missing.json()["message"] == "Missing parameter: redirect_uri"
    assert missing.json()["error"] == "invalid_request"
    assert _live_tokens(extras)["access_tokens"] == 0
    # The code was used up by the failed attempt, as a code is single-use whatever happens.
    retried = _code_grant(extras, code, redirect_uri=REDIRECT_URI)
    assert retried.json()["message"] == "Invalid grant: authorization_code is invalid"

    other = _code_grant(extras, _authorize(extras), redirect_uri="http://127.0.0.1:5555/other")
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    assert other.json()["message"] == "Invalid request: redirect_uri is invalid"


def test_authorize_without_redirect_uri_does_not_require_it_at_exchange(
    app_registered: ExtrasSandbox,
) -> None:
    extras = app_registered
    assert _code_grant(extras, _authorize(extras, redirect_uri=None)).status_code == 200
    same = _code_grant(extras, _authorize(extras, redirect_uri=None), redirect_uri=REDIRECT_URI)
    assert same.status_code == 200
    foreign = _code_grant(
        extras, _authorize(extras, redirect_uri=None), redirect_uri="https://evil.example/cb"
    )
    assert foreign.status_code == 400 and foreign.json()["error"] == "invalid_grant"


def test_pkce_s256_flow_and_its_refusals(app_registered: ExtrasSandbox) -> None:
    extras = app_registered
    ok = _code_grant(
        extras, _authorize(extras, **PKCE), redirect_uri=REDIRECT_URI, code_verifier=RFC_VERIFIER
    )
    assert ok.status_code == 200 and _me(extras, ok.json()["access_token"]).status_code == 200

    cases = [
        ({}, "Invalid grant: code_verifier is missing"),
        ({"code_verifier": RFC_VERIFIER[:-1] + "l"}, "Invalid grant: code_verifier is invalid"),
        ({"code_verifier": "short"}, "Invalid grant: code_verifier is invalid"),
        ({"code_verifier": RFC_CHALLENGE}, "Invalid grant: code_verifier is invalid"),  # the challenge itself
    ]
    for extra, message in cases:
        refused = _code_grant(extras, _authorize(extras, **PKCE), redirect_uri=REDIRECT_URI, **extra)
        assert refused.status_code == 400, extra
        assert refused.json()["error"] == "invalid_grant" and refused.json()["message"] == message
        assert RFC_VERIFIER not in refused.text

    downgrade = _code_grant(extras, _authorize(extras), redirect_uri=REDIRECT_URI, code_verifier=RFC_VERIFIER)
    assert downgrade.status_code == 400 and downgrade.json()["error"] == "invalid_grant"
    assert _live_tokens(extras)["access_tokens"] == 1


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"code_challenge": RFC_VERIFIER, "code_challenge_method": "plain"}, "must be S256"),
        ({"code_challenge": RFC_CHALLENGE}, "must be S256"),  # no method means plain (RFC 7636 §4.3)
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "not an S256 challenge"),
        ({"code_challenge_method": "S256"}, "without code_challenge"),
    ],
)
def test_authorize_refuses_unusable_pkce_through_the_redirect(
    app_registered: ExtrasSandbox, params: dict[str, str], reason: str
) -> None:
    query = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "p1", **params}
    answer = app_registered.cp.get("/oauth/authorize", params=query, follow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    sent_back = parse_qs(location.query)
    assert sent_back["error"] == ["invalid_request"] and sent_back["state"] == ["p1"]
    assert reason in sent_back["error_description"][0] and "code" not in sent_back


def test_a_database_from_before_pkce_gains_the_challenge_column(tmp_path: Any) -> None:
    db = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    db.execute(
        "CREATE TABLE sandbox_oauth_codes (digest TEXT PRIMARY KEY, client_id TEXT NOT NULL, "
        "redirect_uri TEXT NOT NULL, user_id INTEGER NOT NULL, company_id INTEGER NOT NULL, "
        "scope TEXT NOT NULL, expires_at TEXT NOT NULL)"
    )
    store = OAuthStore(db, None)
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    code = store.issue_code(Grant("app", 1, 1, "base", moment, REDIRECT_URI, code_challenge=RFC_CHALLENGE))
    taken = store.take_code(code)
    assert taken is not None and taken.code_challenge == RFC_CHALLENGE and taken.redirect_uri == REDIRECT_URI
