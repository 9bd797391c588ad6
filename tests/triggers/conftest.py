"""Fixtures for the trigger tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from triggers_helpers import ServedApp, postgres_schema_dsn

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


@pytest.fixture
def pg_state(postgres_dsn: str) -> Iterator[str]:
    """A DSN whose tables live in a fresh schema, dropped after the test."""
    import psycopg

    schema = f"pdt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield postgres_schema_dsn(postgres_dsn, schema)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The trigger state for a test that every backend must pass: a SQLite file or a PostgreSQL DSN."""
    if request.param == "sqlite":
        return str(tmp_path / "triggers.db")
    return str(request.getfixturevalue("pg_state"))
