"""Fixtures for the client tests: one socket-served sandbox per session, reset before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from client_helpers import Either, Served, serve_sandbox

from pipedrive_connector.client import AsyncPipedrive, Pipedrive
from pipedrive_connector.client._ratelimit import reset_limiters
from pipedrive_connector.client.custom_fields import FIELD_CACHE
from pipedrive_connector.sandbox import SandboxSettings
from pipedrive_connector.sandbox.control import reset_state

FAST_RETRIES = {"backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Served]:
    with serve_sandbox(SandboxSettings(seed="demo")) as served:
        yield served


@pytest.fixture
def sandbox(sandbox_server: Served) -> Served:
    reset_state(sandbox_server.state, "demo")
    reset_limiters()
    FIELD_CACHE.clear()
    return sandbox_server


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_client(kind: str, sandbox: Served) -> AsyncIterator[Callable[..., Either]]:
    """Build a client of the parametrised kind against the sandbox (closed after the test)."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Either:
        settings: dict[str, Any] = {"api_token": sandbox.api_token, "base_url": sandbox.base_url}
        settings.update(FAST_RETRIES)
        settings.update(kwargs)
        client = Pipedrive(**settings) if kind == "sync" else AsyncPipedrive(**settings)
        made.append(client)
        return Either(client)

    yield make
    for client in made:
        if isinstance(client, AsyncPipedrive):
            await client.aclose()
        else:
            client.close()


@pytest.fixture
def pd(make_client: Callable[..., Either]) -> Either:
    return make_client()
