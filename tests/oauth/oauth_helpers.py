"""Helpers for the OAuth tests: the consent step driven like a browser, sandbox counters, the CLI in a
subprocess, and a guard that fails a test whose output or logs contain a token or a client secret."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

from pipedrive_connector.client.oauth import OAuthApp
from pipedrive_connector.client.oauth_login import redirect_uri_for, run_login
from pipedrive_connector.client.token_store import OAuthToken

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SecretGuard:
    """Collects secrets during a test and texts (subprocess output) to search for them at the end."""

    secrets: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)

    def add(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v)

    def add_token(self, token: OAuthToken | None) -> None:
        if token is not None:
            self.add(token.access_token, token.refresh_token)

    def record(self, *texts: str) -> None:
        self.texts.extend(texts)

    def assert_clean(self, *texts: str) -> None:
        for text in (*self.texts, *texts):
            for secret in self.secrets:
                assert secret not in text, "a token or client secret leaked into output or logs"


@dataclass
class RegisteredApp:
    app: OAuthApp
    port: int
    base_url: str

    @property
    def redirect_uri(self) -> str:
        return redirect_uri_for(self.port)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


def consent(authorize_url: str, decision: str) -> str:
    """What a user's browser does on the consent page: GET it, press a button; the redirect Location."""
    page = httpx.get(authorize_url)
    assert page.status_code == 200, page.text
    assert "text/html" in page.headers["content-type"]
    form = _FormParser()
    form.feed(page.text)
    assert form.action, "the consent page has no form"
    target = httpx.URL(authorize_url).join(form.action)
    answer = httpx.post(target, data={**form.fields, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def sandbox_stats(base_url: str) -> dict[str, int]:
    response = httpx.get(f"{base_url}/_sandbox/oauth/tokens")
    assert response.status_code == 200
    data: dict[str, int] = response.json()["data"]
    return data


def tokens_issued(base_url: str) -> int:
    """Access tokens the sandbox has issued so far (code exchanges + refreshes)."""
    return sandbox_stats(base_url)["access_tokens_issued"]


def advance_clock(base_url: str, seconds: float) -> None:
    response = httpx.post(f"{base_url}/_sandbox/clock", json={"advance_seconds": seconds})
    assert response.status_code == 200, response.text


def login_in_process(
    registered: RegisteredApp,
    *,
    decision: str = "allow",
    tamper: Callable[[str], str] | None = None,
    announced: list[str] | None = None,
) -> OAuthToken:
    """``run_login`` in a thread, the consent step driven over HTTP; the token or the login's error.

    ``announced`` receives the authorize URL the login printed.
    """
    urls: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["token"] = run_login(
                registered.app,
                redirect_port=registered.port,
                open_browser=False,
                announce=urls.put,
                timeout=15,
            )
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    authorize_url = urls.get(timeout=10)
    if announced is not None:
        announced.append(authorize_url)
    location = consent(authorize_url, decision)
    if tamper is not None:
        location = tamper(location)
    callback = httpx.get(location)
    thread.join(timeout=15)
    assert not thread.is_alive()
    if "error" in outcome:
        outcome["error"].callback_status = callback.status_code
        outcome["error"].callback_page = callback.text
        raise outcome["error"]
    assert callback.status_code == 200
    token: OAuthToken = outcome["token"]
    return token


def cli_env(config_dir: Path, registered: RegisteredApp | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env["PIPEDRIVE_CONFIG_DIR"] = str(config_dir)
    env["PYTHONUNBUFFERED"] = "1"
    if registered is not None:  # through the environment: a secret in argv is visible to `ps`
        env["PIPEDRIVE_CLIENT_ID"] = registered.app.client_id
        env["PIPEDRIVE_CLIENT_SECRET"] = registered.app.client_secret
    return env


def start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipedrive_connector.cli.main", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )


def read_authorize_url(process: subprocess.Popen[str], seen: list[str]) -> str:
    """Read the CLI's stderr until the authorization URL appears (the lines read are kept in ``seen``)."""
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if "/oauth/authorize?" in line:
            return line.strip()
    raise AssertionError("the CLI exited without printing an authorization URL: " + "".join(seen))


class FakeBrowser:
    """Stands in for ``webbrowser.open``: a user who presses a consent button, in a thread."""

    def __init__(
        self,
        decision: str = "allow",
        tamper: Callable[[str], str] | None = None,
        stray_request_first: bool = False,
    ) -> None:
        self.decision = decision
        self.tamper = tamper
        self.stray_request_first = stray_request_first
        self.stray: httpx.Response | None = None
        self.opened: list[str] = []
        self.callback: httpx.Response | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        self.opened.append(url)

        def act() -> None:
            try:
                location = consent(url, self.decision)
                if self.tamper is not None:
                    location = self.tamper(location)
                if self.stray_request_first:  # browsers also ask the callback server for a favicon
                    self.stray = httpx.get(httpx.URL(location).join("/favicon.ico"))
                self.callback = httpx.get(location)
            except BaseException as exc:
                self.error = exc

        self._thread = threading.Thread(target=act, daemon=True)
        self._thread.start()
        return True

    def finish(self) -> httpx.Response:
        assert self._thread is not None, "the browser was never opened"
        self._thread.join(timeout=15)
        if self.error is not None:
            raise self.error
        assert self.callback is not None
        return self.callback
