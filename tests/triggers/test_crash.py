"""Crash safety: the receiver process is SIGKILLed during a burst of deliveries and restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from triggers_helpers import deliveries, free_port

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.triggers import TriggerApp, parse_webhook


def start_receiver(state: Path, out: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "pipedrive_connector.cli.main",
        "triggers",
        "serve",
        "--state",
        str(state),
        "--port",
        str(port),
        "--out",
        str(out),
        "--no-catch-up",
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPEDRIVE_")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "receiver exited")
    process.kill()
    raise RuntimeError("receiver did not start")


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_and_duplicates_nothing(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    base = pipedrive_sandbox.base_url
    # Pipedrive retries 3 times; together the delays (8.5 s) must outlast the restart. The ban would
    # drop events on purpose, so it is off here.
    httpx.post(
        f"{base}/_sandbox/webhooks/settings",
        json={"retry_delays": [0.5, 2.0, 6.0], "ban_enabled": False, "timeout_seconds": 5},
    ).raise_for_status()
    state, out, port = tmp_path / "t.db", tmp_path / "events.jsonl", free_port()
    setup = TriggerApp(client=pd, state_path=state, public_url=f"http://127.0.0.1:{port}")
    setup.enable("newPerson")
    setup.close()

    receiver = start_receiver(state, out, port)
    killed = threading.Event()

    def burst() -> None:
        for index in range(30):
            pd.request("POST", "/api/v2/persons", json={"name": f"Burst {index}"})
            if index == 10:
                killed.wait(5)
            time.sleep(0.01)

    producer = threading.Thread(target=burst)
    producer.start()
    time.sleep(0.15)
    receiver.send_signal(signal.SIGKILL)
    receiver.wait(5)
    killed.set()
    receiver = start_receiver(state, out, port)
    try:
        producer.join(30)
        log = deliveries(base)
        acknowledged = {entry["event_id"] for entry in log if entry["acknowledged"]}
        retried = {entry["event_id"] for entry in log if entry["attempt"] > 1}
        failed_first = {
            entry["event_id"] for entry in log if entry["attempt"] == 1 and not entry["acknowledged"]
        }
        assert len({entry["event_id"] for entry in log}) == 30
        assert failed_first, "the kill should have made some first attempts fail"

        def handled() -> list[str]:
            if not out.exists():
                return []
            return [json.loads(line)["event_key"] for line in out.read_text().splitlines()]

        expected = {f"v2:{event_id}" for event_id in acknowledged}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not expected <= set(handled()):
            time.sleep(0.1)
        keys = handled()
        assert len(keys) == len(set(keys)), "an event was handled twice"
        assert expected <= set(keys), "an acknowledged event was never handled"
        assert {f"v2:{event_id}" for event_id in retried & acknowledged} <= set(keys)
        # Every handled event is a real delivery of this burst.
        bodies = {f"v2:{entry['event_id']}": entry["body"] for entry in log}
        assert set(keys) <= set(bodies)
        assert {parse_webhook(bodies[key]).object for key in keys} == {"person"}
    finally:
        receiver.send_signal(signal.SIGTERM)
        try:
            receiver.wait(10)
        except subprocess.TimeoutExpired:
            receiver.kill()
