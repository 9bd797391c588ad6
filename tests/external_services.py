"""The external services some tests use for real: PostgreSQL, Redis, NATS with JetStream.

Each is found at its usual local address, or at the URL in its environment variable. On a user's
machine without the service, the tests that need it are skipped with the reason printed (``-ra``);
with ``PIPEDRIVE_REQUIRE_SERVICES=1`` (CI sets it) an unreachable service fails those tests instead.

    def test_x(postgres_dsn: str) -> None: ...   # the fixtures in tests/conftest.py
    from external_services import postgres_dsn      # or call it (tests/ is on sys.path via its conftest)
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

DEFAULTS = {
    "postgres": ("PIPEDRIVE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test", 5432),
    "redis": ("PIPEDRIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
    "nats": ("PIPEDRIVE_TEST_NATS_URL", "nats://127.0.0.1:4222", 4222),
}


def _reachable(url: str, default_port: int) -> str | None:
    """None when a TCP connection to the URL's host and port succeeds, else the reason."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return None
    except OSError as exc:
        return f"{host}:{port} unreachable ({exc.strerror or exc})"


def service_url(name: str) -> str:
    """The service's URL, or skip (fail under PIPEDRIVE_REQUIRE_SERVICES=1) when it is unreachable."""
    env, default, port = DEFAULTS[name]
    url = os.environ.get(env) or default
    problem = _reachable(url, port)
    if problem is not None:
        message = f"{name} is needed for this test: {problem}; set {env} to point at one"
        if os.environ.get("PIPEDRIVE_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def postgres_dsn() -> str:
    return service_url("postgres")


def redis_url() -> str:
    return service_url("redis")


def nats_url() -> str:
    return service_url("nats")
