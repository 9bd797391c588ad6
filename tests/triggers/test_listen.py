"""`triggers listen` without a sink prints each event as it arrives (a real process, real webhooks)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest
from triggers_helpers import free_port

from pipedrive_connector.client import Pipedrive


def lines_of(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def next_line(lines: queue.Queue[str], containing: str, timeout: float = 30) -> str:
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line with {containing!r} in {timeout} s") from None
        if containing in line:
            return line


@pytest.mark.parametrize("as_json", [False, True])
def test_listen_prints_each_event(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, as_json: bool
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env.update(
        PIPEDRIVE_API_TOKEN=pipedrive_sandbox.api_token,
        PIPEDRIVE_BASE_URL=pipedrive_sandbox.base_url,
        PIPEDRIVE_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONUNBUFFERED="1",
    )
    args = ["listen", "newPerson", "--public-url", f"http://127.0.0.1:{port}", "--port", str(port)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipedrive_connector.cli.main",
            "triggers",
            *args,
            "--state",
            str(tmp_path / "t.db"),
        ]
        + (["--json"] if as_json else []),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = lines_of(process.stdout), lines_of(process.stderr)
    try:
        next_line(err, "newPerson: webhook")
        person = pd.request("POST", "/api/v2/persons", json={"name": "Printed"})["data"]
        line = next_line(out, str(person["id"]))
        if as_json:
            document = json.loads(line)
            assert (document["trigger"], document["entity_id"]) == ("newPerson", person["id"])
            assert document["output"]["name"] == "Printed"
        else:
            assert line.startswith(f"newPerson added.person {person['id']} ")
        process.send_signal(signal.SIGINT)
        next_line(err, "newPerson: disabled")
        assert process.wait(20) == 130, "Ctrl-C must exit 130"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert pd.request("GET", "/v1/webhooks")["data"] == []


def test_poll_stops_on_ctrl_c_with_exit_130(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env.update(
        PIPEDRIVE_API_TOKEN=pipedrive_sandbox.api_token,
        PIPEDRIVE_BASE_URL=pipedrive_sandbox.base_url,
        PIPEDRIVE_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONUNBUFFERED="1",
    )
    args = ["poll", "newPerson", "--interval", "1", "--state", str(tmp_path / "t.db")]
    process = subprocess.Popen(
        [sys.executable, "-m", "pipedrive_connector.cli.main", "triggers", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    err = lines_of(process.stderr)
    try:
        next_line(err, "polling newPerson every 1 s")
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
