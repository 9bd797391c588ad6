from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from component_helpers import CountingTransport

from pipedrive_connector.component import Connection


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
