"""Opt-in rate limits over a socket: headers, burst 429, search window, daily token budget, token costs."""

from __future__ import annotations

import base64
import importlib.util
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, _extras_server, extras  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
COSTS: dict[str, int] = json.loads(
    (REPO / "src/pipedrive_connector/sandbox/data/token_costs.json").read_text(encoding="utf-8")
)


def _plan(extras: ExtrasSandbox, **body: Any) -> dict[str, Any]:
    response = extras.cp.post("/_sandbox/rate-limit", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _burst(extras: ExtrasSandbox, path: str, count: int) -> list[int]:
    """``count`` requests sent at once (well inside one 2-second window); statuses sorted."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return sorted(pool.map(lambda _: extras.api.get(path).status_code, range(count)))


def _seats(extras: ExtrasSandbox) -> int:
    return sum(1 for u in extras.api.get("/v1/users").json()["data"] if u.get("active_flag", True))


def _now(extras: ExtrasSandbox) -> datetime:
    return datetime.fromisoformat(
        extras.cp.get("/_sandbox/state").json()["data"]["now"].replace("Z", "+00:00")
    )


def test_off_by_default_no_headers(extras: ExtrasSandbox) -> None:
    response = extras.api.get("/v1/users/me")
    assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers


def test_headers_then_429_once_the_lite_burst_is_used(extras: ExtrasSandbox) -> None:
    seats = _seats(extras)  # before the plan is on, so it costs nothing
    _plan(extras, plan="lite")
    first = extras.api.get("/v1/users/me")
    assert first.status_code == 200
    headers = first.headers
    assert headers["x-ratelimit-limit"] == "20" and headers["x-ratelimit-remaining"] == "19"
    assert headers["x-ratelimit-reset"] == "2"
    assert headers["x-daily-ratelimit-token-limit"] == str(30_000 * seats)
    spent = COSTS["GET /v1/users/me"]
    assert headers["x-daily-ratelimit-token-remaining"] == str(30_000 * seats - spent)
    assert headers["x-daily-requests-left"] == "10000"  # counts POST/PUT only
    statuses = _burst(extras, "/v1/users/me", 20)
    assert statuses == [200] * 19 + [429]
    limited = extras.api.get("/v1/users/me")
    assert limited.status_code == 429
    assert limited.json()["success"] is False and limited.json()["error"] == "Request over limit"
    assert 1 <= int(limited.headers["retry-after"]) <= 2 and limited.headers["x-ratelimit-remaining"] == "0"
    extras.advance(2.5)  # the 2-second window has passed
    assert extras.api.get("/v1/users/me").status_code == 200


def test_writes_count_down_daily_requests_left(extras: ExtrasSandbox) -> None:
    _plan(extras, plan="growth")
    first = extras.api.post("/api/v2/deals", json={"title": "counted"})
    assert first.status_code == 200 and first.headers["x-daily-requests-left"] == "9999"
    assert first.headers["x-ratelimit-limit"] == "40"


def test_search_is_limited_to_ten_per_two_seconds_on_every_plan(extras: ExtrasSandbox) -> None:
    _plan(extras, plan="ultimate")
    statuses = [
        extras.api.get("/api/v2/deals/search", params={"term": "deal"}).status_code for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]
    plain = extras.api.get("/api/v2/deals")
    assert plain.status_code == 200 and plain.headers["x-ratelimit-limit"] == "120"


def test_daily_budget_charges_spec_costs_then_429_until_midnight(extras: ExtrasSandbox) -> None:
    cost = COSTS["GET /api/v2/deals"]
    _plan(extras, plan="lite", daily_budget=cost * 2 + 1)
    remaining = [
        extras.api.get("/api/v2/deals").headers["x-daily-ratelimit-token-remaining"] for _ in range(3)
    ]
    assert remaining == [str(cost + 1), "1", "0"]
    exhausted = extras.api.get("/api/v2/deals")
    assert exhausted.status_code == 429
    assert exhausted.json()["error"] == "daily request budget exceeded"
    assert exhausted.headers["x-daily-ratelimit-token-remaining"] == "0"
    now = _now(extras)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    assert abs(int(exhausted.headers["retry-after"]) - (midnight - now).total_seconds()) <= 3
    extras.advance((midnight - now).total_seconds() + 1)
    assert extras.api.get("/api/v2/deals").status_code == 200


def test_budget_formula_uses_plan_multiplier_and_seats(extras: ExtrasSandbox) -> None:
    seats = _seats(extras)
    for plan, multiplier in (("lite", 1), ("growth", 2), ("premium", 5), ("ultimate", 7)):
        assert _plan(extras, plan=plan, daily_budget=None)["daily_budget"] == 30_000 * multiplier * seats
    assert _plan(extras, plan="premium", seats=3)["daily_budget"] == 30_000 * 5 * 3


def test_oauth_tokens_get_the_oauth_burst_and_no_daily_requests_header(extras: ExtrasSandbox) -> None:
    basic = "Basic " + base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    token = extras.cp.post(
        "/oauth/token",
        data={"grant_type": "exchange_api_token", "api_token": extras.api_token},
        headers={"authorization": basic},
    ).json()["access_token"]
    _plan(extras, plan="lite")
    response = extras.cp.get("/v1/users/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.headers["x-ratelimit-limit"] == "80"
    assert "x-daily-requests-left" not in response.headers


def test_control_plane_unauthenticated_and_oauth_paths_are_never_limited(extras: ExtrasSandbox) -> None:
    _plan(extras, plan="lite", daily_budget=0)
    assert extras.api.get("/v1/users/me").status_code == 429
    assert extras.cp.get("/_sandbox/state").status_code == 200
    assert "x-ratelimit-limit" not in extras.cp.get("/_sandbox/state").headers
    unauthenticated = extras.cp.get("/v1/users/me")
    assert unauthenticated.status_code == 401


def test_rate_limit_settings_are_validated(extras: ExtrasSandbox) -> None:
    for body, field in (
        ({"plan": "gold"}, "plan"),
        ({"daily_budget": -1}, "daily_budget"),
        ({"seats": 0}, "seats"),
        ({"speed": 1}, "speed"),
    ):
        response = extras.cp.post("/_sandbox/rate-limit", json=body)
        assert response.status_code == 400 and field in response.json()["error"]
    assert extras.cp.get("/_sandbox/rate-limit").json()["data"]["plan"] == "off"


def _load_extractor(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(REPO / "scripts"))  # the script imports its sibling spec_files
    spec = importlib.util.spec_from_file_location(
        "extract_token_costs", REPO / "scripts/extract_token_costs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_extractor_prefixes_paths_and_fills_legacy_costs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write(name: str, paths: dict[str, Any]) -> None:
        (tmp_path / name).write_text(json.dumps({"openapi": "3.0.1", "paths": paths}), encoding="utf-8")

    write(
        "openapi-v2.yaml",
        {"/deals": {"get": {"x-token-cost": 10}}, "/deals/{id}": {"patch": {"x-token-cost": 5}}},
    )
    write(
        "openapi-v1.yaml",
        {"/leads": {"get": {"x-token-cost": 20}}, "/oauth/token/": {"post": {"x-token-cost": 0}}},
    )
    write(
        "openapi-v1-2026-01-with-deprecated.yaml",
        {"/leads": {"get": {"x-token-cost": 99}}, "/deals": {"get": {"x-token-cost": 20}}},
    )
    table = _load_extractor(monkeypatch).extract(tmp_path)
    assert table == {
        "GET /api/v2/deals": 10,
        "PATCH /api/v2/deals/{id}": 5,
        "GET /v1/leads": 20,
        "GET /v1/deals": 20,
    }


@pytest.mark.slow
def test_committed_cost_table_matches_the_specs(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _load_extractor(monkeypatch).extract(shared_dir / "pipedrive") == COSTS


def test_rate_limited_sandbox_from_settings() -> None:
    from pipedrive_connector.sandbox import SandboxSettings, run_sandbox

    with run_sandbox(SandboxSettings(api_token="rl-token", rate_limit="premium", daily_budget=1000)) as sb:
        response = httpx.get(f"{sb.base_url}/api/v2/deals", headers={"x-api-token": "rl-token"})
        assert response.headers["x-ratelimit-limit"] == "100"
        assert response.headers["x-daily-ratelimit-token-limit"] == "1000"
