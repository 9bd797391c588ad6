"""Fixtures for the trigger tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from triggers_helpers import ServedApp

from pipedrive_connector.client import Pipedrive


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[ServedApp] = []

    def start(app: Any) -> ServedApp:
        served = ServedApp(app).__enter__()
        started.append(served)
        return served

    yield start
    for served in reversed(started):
        served.__exit__()


@pytest.fixture
def pd(pipedrive_sandbox: Any) -> Iterator[Pipedrive]:
    # Deliveries retry fast in tests; the ban stays on unless a test turns it off.
    httpx.post(
        f"{pipedrive_sandbox.base_url}/_sandbox/webhooks/settings",
        json={"retry_delays": [0.1, 0.2, 0.3], "timeout_seconds": 5},
    ).raise_for_status()
    client = Pipedrive(api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    yield client
    client.close()
