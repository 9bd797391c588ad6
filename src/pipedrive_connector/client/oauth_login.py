"""The interactive authorization-code login: a one-shot local callback server and the flow around it.

The browser goes to Pipedrive's consent page; Pipedrive redirects it to
``http://127.0.0.1:<port>/callback?code=...&state=...``, which the server below answers once. The
``state`` is checked before anything else, the code is exchanged with HTTP Basic client auth, and the
caller stores the tokens.
"""

from __future__ import annotations

import contextlib
import html
import secrets
import threading
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipedrive_connector.client.oauth import (
    AuthorizationDenied,
    OAuthApp,
    OAuthError,
    OAuthTokenClient,
    Pkce,
    StateMismatch,
)
from pipedrive_connector.client.token_store import OAuthToken

DEFAULT_REDIRECT_PORT = 8976
CALLBACK_PATH = "/callback"
DEFAULT_LOGIN_TIMEOUT_SECONDS = 300.0  # Pipedrive's authorization codes live 5 minutes


def redirect_uri_for(port: int) -> str:
    """The redirect URI to register in the app settings for a given local port."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


@dataclass(frozen=True)
class CallbackResult:
    """What the browser brought back. ``code`` is a secret and stays out of reprs."""

    code: str | None
    state: str | None
    error: str | None
    error_description: str | None

    def __repr__(self) -> str:
        code = "***" if self.code else None
        return f"CallbackResult(code={code!r}, state_present={self.state is not None}, error={self.error!r})"


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{body}</p></body></html>"""


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackHTTPServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._answer(404, "Not found", "This local server only answers the Pipedrive login callback.")
            return
        query = parse_qs(parts.query, keep_blank_values=True)

        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        result = CallbackResult(first("code"), first("state"), first("error"), first("error_description"))
        problem = self.server.problem_with(result)
        if problem is None:
            self._answer(
                200,
                "Pipedrive authorization received",
                "You can close this window and return to the terminal.",
            )
        else:
            self._answer(400, "Pipedrive authorization failed", problem.message)
        self.server.deliver(result)

    def _answer(self, status: int, title: str, body: str) -> None:
        page = _PAGE.format(title=html.escape(title), body=html.escape(body)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the default access log would print the request line, authorization code included."""


class _CallbackHTTPServer(HTTPServer):
    def __init__(self, port: int, expected_state: str) -> None:
        self.expected_state = expected_state
        self.result: CallbackResult | None = None
        self.received = threading.Event()
        super().__init__(("127.0.0.1", port), _CallbackHandler)

    def problem_with(self, result: CallbackResult) -> OAuthError | None:
        return check_callback(result, self.expected_state)

    def deliver(self, result: CallbackResult) -> None:
        if not self.received.is_set():
            self.result = result
            self.received.set()


def check_callback(result: CallbackResult, expected_state: str) -> OAuthError | None:
    """The error a callback must be rejected with, or None when it carries a usable code."""
    if result.state is None or result.state == "":
        return StateMismatch(
            "The authorization callback has no state parameter, so it cannot be "
            "trusted (possible forged request). No token was stored; run the login again."
        )
    if not secrets.compare_digest(result.state, expected_state):
        return StateMismatch(
            "The authorization callback's state does not match the one this login sent "
            "(possible forged or stale request). No token was stored; run the login again."
        )
    if result.error:
        if result.error == "user_denied":
            return AuthorizationDenied(
                "Authorization was denied in Pipedrive (user_denied). No token was stored.",
                error=result.error,
            )
        detail = f": {result.error_description}" if result.error_description else ""
        return OAuthError(
            f"Pipedrive returned the authorization error {result.error!r}{detail}. No token was stored.",
            error=result.error,
        )
    if not result.code:
        return OAuthError(
            "The authorization callback carries neither a code nor an error. "
            "No token was stored; run the login again."
        )
    return None


class CallbackServer:
    """A one-shot HTTP server on 127.0.0.1 that waits for the OAuth redirect (a context manager)."""

    def __init__(self, port: int = DEFAULT_REDIRECT_PORT, *, expected_state: str) -> None:
        try:
            self._server = _CallbackHTTPServer(port, expected_state)
        except OSError as exc:
            raise OAuthError(
                f"cannot listen on 127.0.0.1:{port} for the login callback ({exc.strerror}); "
                "choose another --redirect-port (and register its redirect URI in the app)."
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="pipedrive-oauth-callback",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return redirect_uri_for(self.port)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, timeout: float) -> CallbackResult:
        if not self._server.received.wait(timeout):
            raise OAuthError(
                f"No authorization callback arrived within {int(timeout)} s. "
                "No token was stored; run the login again."
            )
        assert self._server.result is not None
        return self._server.result


def run_login(
    app: OAuthApp,
    *,
    redirect_port: int = DEFAULT_REDIRECT_PORT,
    scopes: Iterable[str] = (),
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
    timeout: float = DEFAULT_LOGIN_TIMEOUT_SECONDS,
    token_client: OAuthTokenClient | None = None,
) -> OAuthToken:
    """Run the browser consent flow and return the tokens (the caller stores them).

    ``announce`` receives the authorize URL (no secret in it: client id, redirect URI, state and the
    PKCE challenge; the verifier travels only in the code exchange).
    Raises ``StateMismatch``, ``AuthorizationDenied`` or ``OAuthError``.
    """
    state = secrets.token_urlsafe(32)
    pkce = Pkce.generate()
    with CallbackServer(redirect_port, expected_state=state) as server:
        url = app.authorize_url(redirect_uri=server.redirect_uri, state=state, scopes=scopes, pkce=pkce)
        announce(url)
        if open_browser:
            with contextlib.suppress(webbrowser.Error):  # the URL was announced; it can be opened by hand
                webbrowser.open(url)
        result = server.wait(timeout)
        redirect_uri = server.redirect_uri
    problem = check_callback(result, state)
    if problem is not None:
        raise problem
    assert result.code is not None
    client = token_client or OAuthTokenClient(app)
    return client.exchange_code(result.code, redirect_uri, pkce=pkce)
