"""Fixtures shared by every test package. Area-specific fixtures live in each sub-folder's conftest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def find_shared_dir() -> Path | None:
    """The reference material folder (specs, seed): $PIPEDRIVE_SHARED_DIR, else ../shared beside the repo."""
    candidates = [os.environ.get("PIPEDRIVE_SHARED_DIR"), str(REPO_ROOT.parent / "shared")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "pipedrive" / "openapi-v2.yaml").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    found = find_shared_dir()
    if found is None:
        message = "Pipedrive's OpenAPI specs not found: set PIPEDRIVE_SHARED_DIR to the shared/ folder"
        if os.environ.get("PIPEDRIVE_REQUIRE_SPECS") == "1":
            pytest.fail(message)  # CI: the conformance tests must run, never skip quietly
        pytest.skip(message)
    return found


@pytest.fixture(name="postgres_dsn")
def postgres_dsn_fixture() -> str:
    """A reachable PostgreSQL DSN (skips, or fails in CI, when there is none): see external_services.py."""
    from external_services import postgres_dsn

    return postgres_dsn()


@pytest.fixture(name="redis_url")
def redis_url_fixture() -> str:
    from external_services import redis_url

    return redis_url()


@pytest.fixture(name="nats_url")
def nats_url_fixture() -> str:
    from external_services import nats_url

    return nats_url()


@pytest.fixture(params=["h11", "httptools"])
def http_protocol(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The guarded protocol the test's servers use (``serving.make_server`` reads ``PIPEDRIVE_HTTP``):
    a test that asks for it runs on both."""
    from pipedrive_connector.serving import HTTP_ENV, http_stack

    protocol: str = request.param
    monkeypatch.setenv(HTTP_ENV, protocol)
    assert http_stack()[0] == protocol
    return protocol
