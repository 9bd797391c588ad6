"""``run_sandbox``: uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from pipedrive_connector.sandbox.app import create_app
from pipedrive_connector.sandbox.settings import SandboxSettings
from pipedrive_connector.sandbox.state import SandboxState


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
) -> Iterator[RunningSandbox]:
    """Serve a sandbox for the duration of the ``with`` block; yields base URL, token and state."""
    settings = settings or SandboxSettings()
    app = create_app(settings)
    # Naming IPPROTO_TCP matters: asyncio enables TCP_NODELAY only on sockets whose proto is TCP, and
    # with Nagle left on every request on a kept-alive connection waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="pipedrive-sandbox", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield RunningSandbox(
            base_url=f"http://{host}:{bound_port}", api_token=settings.api_token, state=app.state.sandbox
        )
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
