"""Fault injection over a socket: seeded 5xx, dropped connections, latency, slow replies, after-faults."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, _extras_server, extras  # noqa: F401


def _faults(extras: ExtrasSandbox, **body: Any) -> dict[str, Any]:
    response = extras.cp.post("/_sandbox/faults", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _deal_titles(extras: ExtrasSandbox) -> list[str]:
    _faults(extras)  # off, so that counting is not itself faulted
    return [d["title"] for d in extras.api.get("/api/v2/deals", params={"limit": 500}).json()["data"]]


def _statuses(extras: ExtrasSandbox, count: int) -> list[int]:
    return [extras.api.get("/v1/users/me").status_code for _ in range(count)]


def test_same_seed_same_faults(extras: ExtrasSandbox) -> None:
    _faults(extras, error_rate=0.4, seed=7, statuses=[500, 502, 503])
    first = _statuses(extras, 25)
    _faults(extras, error_rate=0.4, seed=7, statuses=[500, 502, 503])
    second = _statuses(extras, 25)
    assert first == second
    assert 200 in first and set(first) - {200} and set(first) <= {200, 500, 502, 503}
    _faults(extras, error_rate=0.4, seed=8)
    assert _statuses(extras, 25) != first
    described = extras.cp.get("/_sandbox/faults").json()["data"]
    assert described["seed"] == 8 and described["injected"]["errors_before"] >= 1


def test_error_replies_use_pipedrive_envelope(extras: ExtrasSandbox) -> None:
    _faults(extras, error_rate=1, statuses=[503], seed=1)
    response = extras.api.get("/api/v2/deals")
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False and body["error"] and body["data"] is None and "error_info" in body


def test_error_before_the_handler_means_nothing_was_written(extras: ExtrasSandbox) -> None:
    _faults(extras, error_rate=1, seed=1)
    response = extras.api.post("/api/v2/deals", json={"title": "never written"})
    assert response.status_code in (500, 502, 503)
    assert "never written" not in _deal_titles(extras)


def test_error_after_the_handler_means_the_write_happened(extras: ExtrasSandbox) -> None:
    _faults(extras, after_rate=1, statuses=[502], seed=1)
    response = extras.api.post("/api/v2/deals", json={"title": "written but reply lost"})
    assert response.status_code == 502 and response.headers["x-sandbox-fault"] == "error-after"
    assert _deal_titles(extras).count("written but reply lost") == 1


def test_dropped_connection_is_a_protocol_error_for_a_real_client(extras: ExtrasSandbox) -> None:
    _faults(extras, drop_rate=1, seed=1)
    with (
        httpx.Client(base_url=extras.base_url, headers={"x-api-token": extras.api_token}) as client,
        pytest.raises(httpx.RemoteProtocolError, match="without sending a response"),
    ):
        client.post("/api/v2/deals", json={"title": "dropped before"})
    assert "dropped before" not in _deal_titles(extras)


def test_dropped_after_the_handler_keeps_the_write(extras: ExtrasSandbox) -> None:
    _faults(extras, after_drop_rate=1, seed=1)
    with (
        httpx.Client(base_url=extras.base_url, headers={"x-api-token": extras.api_token}) as client,
        pytest.raises(httpx.RemoteProtocolError, match="without sending a response"),
    ):
        client.post("/api/v2/deals", json={"title": "dropped after"})
    assert _deal_titles(extras).count("dropped after") == 1


def test_latency_and_slow_replies_trip_client_timeouts(extras: ExtrasSandbox) -> None:
    _faults(extras, latency_ms=150, seed=1)
    started = time.perf_counter()
    assert extras.api.get("/v1/users/me").status_code == 200
    assert time.perf_counter() - started >= 0.15
    _faults(extras, slow_rate=1, slow_ms=800, seed=1)
    with pytest.raises(httpx.ReadTimeout):
        extras.api.get("/v1/users/me", timeout=0.3)


def test_control_plane_is_never_faulted_and_empty_body_turns_faults_off(extras: ExtrasSandbox) -> None:
    _faults(extras, error_rate=1, drop_rate=0, seed=1)
    assert extras.cp.get("/_sandbox/state").status_code == 200
    assert extras.api.get("/v1/users/me").status_code >= 500
    assert _faults(extras)["active"] is False
    assert extras.api.get("/v1/users/me").status_code == 200


def test_paths_limit_faults_to_a_prefix(extras: ExtrasSandbox) -> None:
    _faults(extras, error_rate=1, seed=1, paths=["/api/v2/"])
    assert extras.api.get("/api/v2/deals").status_code >= 500
    assert extras.api.get("/v1/users/me").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"error_rate": 2}, "error_rate"),
        ({"error_rate": 0.7, "drop_rate": 0.7}, "drop_rate"),
        ({"statuses": [404]}, "statuses"),
        ({"latency_ms": -5}, "latency_ms"),
        ({"seed": "abc"}, "seed"),
        ({"chaos": True}, "chaos"),
    ],
)
def test_invalid_fault_settings_are_400(extras: ExtrasSandbox, body: dict[str, Any], field: str) -> None:
    response = extras.cp.post("/_sandbox/faults", json=body)
    assert response.status_code == 400 and field in response.json()["error"]


def test_reset_turns_faults_off(extras: ExtrasSandbox) -> None:
    _faults(extras, error_rate=1, seed=1)
    extras.cp.post("/_sandbox/reset", json={"seed": "demo"})
    assert extras.api.get("/v1/users/me").status_code == 200


def test_settings_fault_seed_is_the_default_seed() -> None:
    from pipedrive_connector.sandbox import SandboxSettings, run_sandbox

    with run_sandbox(SandboxSettings(api_token="f-token", fault_seed=3)) as sb:
        runs = []
        for _ in range(2):
            assert (
                httpx.post(f"{sb.base_url}/_sandbox/faults", json={"error_rate": 0.5}).json()["data"]["seed"]
                == 3
            )
            with httpx.Client(base_url=sb.base_url, headers={"x-api-token": "f-token"}) as client:
                runs.append([client.get("/v1/users/me").status_code for _ in range(12)])
        assert runs[0] == runs[1] and len(set(runs[0])) > 1
