"""Sandbox test fixtures: an in-process client (Starlette TestClient over the ASGI app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_testkit import Api, make_api


@pytest.fixture
def api() -> Iterator[Api]:
    yield from make_api("demo")


@pytest.fixture
def empty_api() -> Iterator[Api]:
    yield from make_api("empty")
