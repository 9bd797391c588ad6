"""``run_sandbox``: the sandbox on a loopback port in a background thread (``serving.serve_in_thread``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pipedrive_connector.sandbox.app import create_app
from pipedrive_connector.sandbox.settings import SandboxSettings
from pipedrive_connector.sandbox.state import SandboxState
from pipedrive_connector.serving import ServerLimits, serve_in_thread


@dataclass(frozen=True)
class RunningSandbox:
    base_url: str
    api_token: str
    state: SandboxState

    def __repr__(self) -> str:
        return f"RunningSandbox(base_url={self.base_url!r}, api_token='***')"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def run_sandbox(
    settings: SandboxSettings | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    limits: ServerLimits | None = None,
) -> Iterator[RunningSandbox]:
    """Serve a sandbox for the duration of the ``with`` block; yields base URL, token and state.

    ``limits`` bounds slow and idle clients (header, body and keep-alive timeouts, connection cap).
    """
    settings = settings or SandboxSettings()
    app = create_app(settings)
    with serve_in_thread(
        app, host=host, port=port, limits=limits, name="pipedrive-sandbox", startup_timeout=startup_timeout
    ) as base_url:
        yield RunningSandbox(base_url=base_url, api_token=settings.api_token, state=app.state.sandbox)
