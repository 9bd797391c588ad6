"""The rate limiter shared through Redis (``limiter="redis://..."``): the Lua reservation semantics,
clients sharing the windows and the daily budget, and four processes at plan lite together near the
maximum with no error and no 429 raised."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from client_helpers import Served

from pipedrive_connector.client import AsyncPipedrive, DailyBudgetExhausted, Pipedrive, Usage, errors
from pipedrive_connector.client._ratelimit import (
    WINDOW_SECONDS,
    WINDOW_SLACK,
    SharedReservation,
    SharedUpdate,
    reset_limiters,
    use_shared_limiter,
)
from pipedrive_connector.client._ratelimit_redis import RedisLimiter
from pipedrive_connector.client.auth import credential_key

WORKER = Path(__file__).resolve().parents[2] / "benchmarks" / "redis_limiter_worker.py"
LITE_PER_SECOND = 20 / 2  # plan lite: 20 requests per 2-second window per API token
WINDOW = WINDOW_SECONDS + WINDOW_SLACK


@pytest.fixture
def limiter_url(redis_url: str) -> Iterator[str]:
    """The Redis URL with a key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test:limiter:{uuid.uuid4().hex[:12]}"
    yield f"{redis_url}?key_prefix={prefix}"
    client = redis.Redis.from_url(redis_url)
    keys = client.keys(f"{prefix}:*")
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def shared(limiter_url: str) -> Iterator[RedisLimiter]:
    limiter = RedisLimiter(limiter_url, "token:test")
    yield limiter
    limiter.close()


GENERAL = SharedReservation((("general", 0),))


def test_a_window_grants_its_limit_within_half_a_window_then_waits(shared: RedisLimiter) -> None:
    shared.learn([SharedUpdate("general", limit=4)])
    grants = [shared.reserve(GENERAL) for _ in range(5)]
    waits = [grant.wait for grant in grants if grant is not None]
    gap = WINDOW / 4 / 2  # no burst: at least half the average interval between slots
    assert waits[:4] == pytest.approx([0.0, gap, 2 * gap, 3 * gap], abs=0.05)
    assert waits[4] == pytest.approx(WINDOW, abs=0.05)  # the fifth: when the first leaves the window


def test_the_default_limit_applies_until_a_response_teaches_one(shared: RedisLimiter) -> None:
    grants = [shared.reserve(SharedReservation((("general", 2),))) for _ in range(3)]
    assert grants[2] is not None and grants[2].wait > WINDOW - 0.2
    unlimited = [shared.reserve(SharedReservation((("other", 0),))) for _ in range(30)]
    assert all(grant is not None and grant.wait == 0.0 for grant in unlimited)


def test_a_search_claims_both_windows_at_once(shared: RedisLimiter, redis_url: str) -> None:
    shared.learn([SharedUpdate("general", limit=5)])
    search = SharedReservation((("general", 0), ("search", 2)))
    grants = [shared.reserve(search) for _ in range(3)]
    assert grants[2] is not None and grants[2].wait > WINDOW - 0.2  # the search window is full
    # The three searches also took general slots (the third one later): 2 left now, then a wait.
    general = [shared.reserve(GENERAL) for _ in range(3)]
    assert general[0] is not None and general[0].wait >= grants[2].wait - 0.01  # ordered after it
    client = redis.Redis.from_url(redis_url)
    assert client.llen(shared.keys.window("search")[0]) == 3
    assert client.llen(shared.keys.window("general")[0]) == 6
    client.close()


def test_a_pause_learned_from_a_429_holds_every_reservation(shared: RedisLimiter) -> None:
    shared.learn([SharedUpdate("general", block=1.5)])
    grant = shared.reserve(GENERAL)
    assert grant is not None and 1.3 < grant.wait <= 1.5
    other = shared.reserve(SharedReservation((("search", 10),)))
    assert other is not None and other.wait == 0.0  # another window is not paused


def test_the_daily_budget_is_reserved_with_the_slot_and_only_goes_down(shared: RedisLimiter) -> None:
    shared.learn([SharedUpdate("general", daily_left=2, daily_ttl=60)])
    shared.learn([SharedUpdate("general", daily_left=50, daily_ttl=60)])  # an older answer: ignored
    first, second, third = (shared.reserve(GENERAL) for _ in range(3))
    assert first is not None and first.daily_reset is None
    assert second is not None and second.daily_reset is None
    assert third is not None and third.daily_reset is not None and 58 < third.daily_reset <= 60
    assert third.wait == 0.0


def test_keys_name_a_hash_of_the_credential_never_the_token(sandbox: Served, limiter_url: str) -> None:
    with Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url, limiter=limiter_url) as pd:
        assert pd.request("GET", "/v1/users/me")["success"] is True
    prefix = limiter_url.split("key_prefix=")[1]
    client = redis.Redis.from_url(limiter_url.split("?")[0])
    keys = [key.decode() for key in client.keys(f"{prefix}:*")]
    client.close()
    assert keys, "the client reserved nothing in Redis"
    assert all(sandbox.api_token not in key for key in keys)
    assert all(credential_key(sandbox.api_token) in key for key in keys)


def test_an_unreachable_redis_is_a_clear_error_at_construction(sandbox: Served) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"shared rate limiter at redis://127\.0\.0\.1:1/0"):
        Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url, limiter="redis://127.0.0.1:1/0")
    with pytest.raises(errors.ConfigurationError, match="redis://"):
        Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url, limiter="http://127.0.0.1:6379")


def test_the_password_of_the_limiter_url_is_never_shown(sandbox: Served) -> None:
    with pytest.raises(errors.ConfigurationError) as raised:
        Pipedrive(
            api_token=sandbox.api_token, base_url=sandbox.base_url, limiter="redis://:hunter2@127.0.0.1:1/0"
        )
    assert "hunter2" not in str(raised.value)


@pytest.fixture
def own_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server this test may stop (the shared one serves other tests)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: cannot stop a Redis under a running client")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield url, server
    server.kill()
    server.wait()


def test_redis_lost_later_leaves_each_process_pacing_alone(
    sandbox: Served, own_redis: tuple[str, subprocess.Popen[bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    url, server = own_redis
    settings = {"api_token": sandbox.api_token, "base_url": sandbox.base_url, "limiter": url}
    with Pipedrive(**settings) as pd:  # type: ignore[arg-type]
        assert pd.request("GET", "/v1/users/me")["success"] is True
        server.terminate()
        server.wait()
        with caplog.at_level(logging.WARNING, logger="pipedrive_connector.client._ratelimit_redis"):
            assert pd.request("GET", "/v1/users/me")["success"] is True
            assert pd.request("GET", "/v1/users/me")["success"] is True
    unavailable = [r for r in caplog.records if "pacing this process alone" in r.getMessage()]
    assert len(unavailable) == 1  # said once, not on every request


@pytest.mark.slow
def test_two_clients_in_one_process_share_the_window_through_redis(sandbox: Served, limiter_url: str) -> None:
    sandbox.control("rate-limit", {"plan": "lite", "reset_counters": True})
    usages: list[Usage] = []
    settings = {"api_token": sandbox.api_token, "base_url": sandbox.base_url, "limiter": limiter_url}
    with Pipedrive(**settings, on_usage=usages.append) as first:  # type: ignore[arg-type]
        for _ in range(20):
            first.request("GET", "/v1/users/me")
    # A new client that shares nothing in this process (as if it were another one) still waits
    # for the slots the first took: the window lives in Redis.
    reset_limiters()
    second_usages: list[Usage] = []
    with Pipedrive(**settings, on_usage=second_usages.append) as second:  # type: ignore[arg-type]
        second.request("GET", "/v1/users/me")
    assert [u.status_code for u in usages + second_usages] == [200] * 21
    assert second_usages[0].waited_seconds > 0.5


@pytest.mark.anyio
async def test_a_daily_429_stops_every_client_of_the_credential(sandbox: Served, limiter_url: str) -> None:
    sandbox.control("rate-limit", {"plan": "lite", "daily_budget": 3, "reset_counters": True})
    settings = {"api_token": sandbox.api_token, "base_url": sandbox.base_url, "limiter": limiter_url}
    with Pipedrive(**settings) as first, pytest.raises(DailyBudgetExhausted):  # type: ignore[arg-type]
        for _ in range(10):
            first.request("GET", "/v1/users/me")
    reset_limiters()
    sent: list[Usage] = []
    async with AsyncPipedrive(**settings, on_usage=sent.append) as second:  # type: ignore[arg-type]
        with pytest.raises(DailyBudgetExhausted) as raised:
            await second.request("GET", "/v1/users/me")
    assert sent == []  # refused before sending: another client learned the budget is gone
    assert raised.value.retry_after is not None and raised.value.retry_after > 0


def run_four_workers(sandbox: Served, limiter: str, per_process: int) -> list[dict[str, float]]:
    """Four processes with a sync client each, all starting at one agreed time."""
    start_at = time.time() + 4.0  # after every worker has imported the package and warmed up
    argv = [sandbox.base_url, sandbox.api_token, limiter, str(per_process), str(start_at)]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


@pytest.mark.slow
def test_four_processes_at_plan_lite_share_one_window(sandbox: Served, limiter_url: str) -> None:
    sandbox.control("rate-limit", {"plan": "lite", "reset_counters": True})
    per_process = 15
    results = run_four_workers(sandbox, limiter_url, per_process)
    ok = sum(result["ok"] for result in results)
    elapsed = max(result["end"] for result in results) - min(result["first"] for result in results)
    share = ok / elapsed / LITE_PER_SECOND
    absorbed = sum(result["absorbed_429"] for result in results)
    late = max(result["first"] for result in results) - min(result["first"] for result in results)
    print(f"\n4 processes, lite: {ok} ok in {elapsed:.1f} s = {share:.0%} of max, {absorbed} 429s absorbed")
    print(f"the last process started {late:.2f} s after the first")
    assert sum(result["errors"] for result in results) == 0
    assert sum(result["surfaced_429"] for result in results) == 0
    assert ok == per_process * 4
    assert share >= 0.9
    # Sharing the window, a 429 could only come from a process starved of CPU between its slot and
    # its send (each pacing alone, the four meet a few every window: see drill-redis-limiter).
    assert absorbed <= 4


def keys_under(limiter_url: str) -> list[str]:
    prefix = limiter_url.split("key_prefix=")[1]
    client = redis.Redis.from_url(limiter_url.split("?")[0])
    keys = [key.decode() for key in client.keys(f"{prefix}:*")]
    client.close()
    return keys


def test_the_limiter_comes_from_the_option_then_use_shared_limiter_then_the_environment(
    sandbox: Served, limiter_url: str
) -> None:
    common = {"api_token": sandbox.api_token, "base_url": sandbox.base_url}
    env = {"PIPEDRIVE_LIMITER_URL": limiter_url}

    def one_request(**options: object) -> None:
        with Pipedrive(**common, **options) as pd:  # type: ignore[arg-type]
            assert pd.request("GET", "/v1/users/me")["success"] is True

    one_request(environ=env, limiter="local")
    one_request(environ={})
    assert keys_under(limiter_url) == []  # "local" wins over the variable; no variable: no Redis
    use_shared_limiter(limiter_url)
    try:
        one_request(environ={})
    finally:
        use_shared_limiter(None)
    assert keys_under(limiter_url) != []
    with pytest.raises(errors.ConfigurationError, match="PIPEDRIVE_LIMITER_URL must be a redis://"):
        Pipedrive(**common, environ={"PIPEDRIVE_LIMITER_URL": "http://127.0.0.1:6379"})  # type: ignore[arg-type]


def test_the_cli_limiter_option_shares_the_window(sandbox: Served, limiter_url: str) -> None:
    from typer.testing import CliRunner

    from pipedrive_connector.cli.main import app

    runner = CliRunner()
    common = ["--api-token", sandbox.api_token, "--base-url", sandbox.base_url]
    done = runner.invoke(app, ["request", "GET", "/v1/users/me", *common, "--limiter", limiter_url])
    assert done.exit_code == 0, done.output
    assert keys_under(limiter_url) != []
    bad = runner.invoke(
        app, ["request", "GET", "/v1/users/me", *common, "--limiter", "http://127.0.0.1:6379"]
    )
    assert bad.exit_code == 2
    assert "--limiter must be a redis://" in bad.output
