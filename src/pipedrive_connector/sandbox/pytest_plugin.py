"""pytest plugin (registered through the ``pytest11`` entry point): sandbox fixtures for any test suite.

``pipedrive_sandbox``: a sandbox served over a socket (one per session), seeded ``demo`` and reset
before each test. Yields a ``RunningSandbox`` with ``base_url``, ``api_token`` and ``state``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def _pipedrive_sandbox_server() -> Iterator[object]:
    from pipedrive_connector.sandbox.server import run_sandbox
    from pipedrive_connector.sandbox.settings import SandboxSettings

    with run_sandbox(SandboxSettings(seed="demo")) as running:
        yield running


@pytest.fixture
def pipedrive_sandbox(_pipedrive_sandbox_server: object) -> Iterator[object]:
    """A running demo-seeded sandbox; data, plug-ins and the clock are reset before each test."""
    from pipedrive_connector.sandbox.control import reset_state
    from pipedrive_connector.sandbox.server import RunningSandbox

    assert isinstance(_pipedrive_sandbox_server, RunningSandbox)
    _pipedrive_sandbox_server.state.clock.reset()
    reset_state(_pipedrive_sandbox_server.state, "demo")
    yield _pipedrive_sandbox_server
