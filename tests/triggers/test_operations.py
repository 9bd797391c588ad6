"""Operating the receiver, over HTTP: /healthz, /readyz, Prometheus /metrics, JSON logs with the
event key, and a SIGTERM that finishes the deliveries in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from benchmarks.tcp_proxy import TcpProxy
from prometheus_client.parser import text_string_to_metric_families
from test_receiver import deal_created
from triggers_helpers import basic, free_port, postgres_schema_dsn, run_sql, wait_for

from pipedrive_connector.triggers import Event, TriggerApp
from pipedrive_connector.triggers.state import open_state


@pytest.fixture
def app(state: str) -> Iterator[TriggerApp]:
    trigger_app = TriggerApp(state_path=state, retry_delays=(0.01,))
    yield trigger_app
    trigger_app.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_health_readiness_and_metrics_count_what_happened(app: TriggerApp, serve: Any) -> None:
    def handler(event: Event) -> None:
        if event.entity_id == 2:
            raise RuntimeError("downstream refuses deal 2")

    app.add_handler("crm-sync", handler)
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    served = serve(app.asgi)
    url, auth = f"{served.url}/webhooks/{sub.id}", basic(sub.auth_user, password)
    assert httpx.get(f"{served.url}/healthz").json() == {"ok": True}
    assert httpx.get(f"{served.url}/readyz").json() == {"ok": True, "ready": True}
    for body in (deal_created(1, "m-1"), deal_created(1, "m-1"), deal_created(2, "m-2")):
        assert httpx.post(url, json=body, headers=auth).status_code == 200
    assert httpx.post(url, json=deal_created(3), headers=basic(sub.auth_user, "wrong")).status_code == 401
    assert httpx.post(url, content=b"{not json", headers=auth).status_code == 400
    wait_for(lambda: app.store.counts() == {"done": 1, "dead": 1})

    response = httpx.get(f"{served.url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    deliveries = {
        outcome: found.get(("pipedrive_triggers_deliveries_total", (("outcome", outcome),)))
        for outcome in ("stored", "duplicate", "unauthorized", "invalid")
    }
    assert deliveries == {"stored": 2, "duplicate": 1, "unauthorized": 1, "invalid": 1}
    assert found[("pipedrive_triggers_ack_seconds_count", ())] == 5
    assert found[("pipedrive_triggers_handler_runs_total", (("handler", "crm-sync"), ("outcome", "ok")))] == 1
    errors = found[("pipedrive_triggers_handler_runs_total", (("handler", "crm-sync"), ("outcome", "error")))]
    assert errors == 2  # the first try and its one retry
    assert found[("pipedrive_triggers_dead_lettered_total", ())] == 1
    assert found[("pipedrive_triggers_dead_letters", ())] == 1
    assert found[("pipedrive_triggers_queue_depth", ())] == 0
    assert found[("pipedrive_triggers_events", (("status", "done"),))] == 1


def test_readyz_is_503_while_the_database_is_away_or_its_schema_is_old(
    postgres_dsn: str, pg_state: str, serve: Any
) -> None:
    parts = urlsplit(postgres_dsn)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"
    proxied = postgres_schema_dsn(parts._replace(netloc=netloc).geturl(), pg_state.rsplit("%3D", 1)[1])
    app = TriggerApp(state_path=proxied + "&connect_timeout=2")
    served = serve(app.asgi)
    assert httpx.get(f"{served.url}/readyz").status_code == 200
    proxy.cut()
    down = httpx.get(f"{served.url}/readyz", timeout=10)
    assert down.status_code == 503 and down.json()["ready"] is False
    assert httpx.get(f"{served.url}/healthz").status_code == 200  # the process itself is fine
    assert httpx.get(f"{served.url}/metrics", timeout=10).status_code == 200  # counters still scrape
    proxy.restore()
    assert httpx.get(f"{served.url}/readyz", timeout=10).status_code == 200
    run_sql(pg_state, "UPDATE trigger_schema_version SET version = 0")
    old = httpx.get(f"{served.url}/readyz", timeout=10)
    assert old.status_code == 503 and "schema version 0" in old.json()["error"]
    app.close()
    proxy.cut()


def cli_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("PIPEDRIVE_")}


def start_serve(state: str, port: int, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pipedrive_connector.cli.main", "triggers", "serve", "--state", state]
    command += ["--port", str(port), "--no-catch-up", *args]
    process = subprocess.Popen(command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("serve did not start")


@pytest.mark.slow
def test_json_logs_carry_the_event_key(tmp_path: Path) -> None:
    state = str(tmp_path / "t.db")
    store = open_state(state)
    sub, password = store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    store.close()
    port = free_port()
    process = start_serve(state, port, "--log-format", "json", "--exec", "false", "--retry-delays", "0.05")
    url = f"http://127.0.0.1:{port}/webhooks/{sub.id}"
    assert (
        httpx.post(url, json=deal_created(9, "log-9"), headers=basic(sub.auth_user, password)).status_code
        == 200
    )
    check = open_state(state)
    wait_for(lambda: check.counts() == {"dead": 1})
    check.close()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    documents = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    about_event = [doc for doc in documents if doc.get("event_key") == "v2:log-9"]
    assert any("failed on event" in doc["message"] for doc in about_event), stderr.decode()
    assert any("dead-lettered" in doc["message"] for doc in about_event)
    assert all({"time", "level", "logger", "message"} <= doc.keys() for doc in documents)


@pytest.mark.slow
def test_sigterm_finishes_the_deliveries_in_flight(state: str) -> None:
    store = open_state(state)
    sub, password = store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    port = free_port()
    process = start_serve(state, port)
    auth = basic(sub.auth_user, password)

    def deliver(number: int) -> tuple[int, int | None]:
        try:
            response = httpx.post(
                f"http://127.0.0.1:{port}/webhooks/{sub.id}",
                json=deal_created(number, f"t-{number}"),
                headers=auth,
                timeout=20,
            )
        except httpx.HTTPError:
            return number, None  # refused after the listener closed: Pipedrive would retry it
        return number, response.status_code

    with ThreadPoolExecutor(24) as pool:
        futures = [pool.submit(deliver, number) for number in range(1, 401)]
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        answers = [future.result() for future in futures]
    # uvicorn re-raises the signal once it has shut down gracefully.
    assert process.wait(30) in (0, -signal.SIGTERM)
    assert b"Traceback" not in process.stderr.read() if process.stderr else True
    acknowledged = {f"v2:t-{number}" for number, status in answers if status == 200}
    assert acknowledged, "nothing was acknowledged before the signal"
    stored = {row.event_key for row in store.events(limit=1000)}
    assert acknowledged <= stored
    assert all(status in (200, None) for _, status in answers), answers
    store.close()


@pytest.mark.slow
def test_metrics_count_the_pipedrive_requests_of_serve(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    state = str(tmp_path / "t.db")
    store = open_state(state)
    store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")  # catch-up polls for it
    store.close()
    port = free_port()
    command = [sys.executable, "-m", "pipedrive_connector.cli.main", "triggers", "serve"]
    command += ["--state", state, "--port", str(port), "--catch-up-interval", "0.5"]
    env = {
        **cli_env(),
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
    }
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:

        def counted() -> float:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                return 0.0
            return samples(text).get(
                ("pipedrive_triggers_pipedrive_requests_total", (("status", "200"),)), 0.0
            )

        assert wait_for(counted, timeout=30, interval=0.2) >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
