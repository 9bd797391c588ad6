from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pipedrive_connector.component import Connection


class CountingTransport(httpx.HTTPTransport):
    """Counts the requests that really leave for the sandbox (the proof that validation sends none)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)


class AsyncCountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await super().handle_async_request(request)


@pytest.fixture
def counter() -> CountingTransport:
    return CountingTransport()


@pytest.fixture(params=["v2", "v1"])
def api_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connection(pipedrive_sandbox: Any, counter: CountingTransport, api_version: str) -> Iterator[Connection]:
    yield Connection.api_key(
        pipedrive_sandbox.api_token,
        base_url=pipedrive_sandbox.base_url,
        api_version=api_version,  # type: ignore[arg-type]
        transport=counter,
    )
