"""Fixtures for the trigger tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from triggers_helpers import ServedApp


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
