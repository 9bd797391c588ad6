"""One dispatching process per state file: a second `serve` is refused and names the holder's PID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipedrive_connector.triggers import TriggerApp, parse_webhook
from pipedrive_connector.triggers.state_lock import StateInUse


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    return {**env, "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"), "PYTHONUNBUFFERED": "1"}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipedrive_connector.cli.main", "triggers", *args]


def start_serve(state: Path, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("serve", "--state", str(state), "--port", "0", "--no-catch-up"),
        env=cli_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_receiving(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        if "receiving on" in line:
            return
    raise AssertionError(f"serve exited with {process.wait()} before it was receiving")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_second_serve_is_refused_while_readers_still_work(tmp_path: Path) -> None:
    state = tmp_path / "t.db"
    first = start_serve(state, tmp_path)
    try:
        wait_until_receiving(first)
        second = subprocess.run(
            cli("serve", "--state", str(state), "--port", "0", "--no-catch-up"),
            env=cli_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1, second.stderr
        assert f"in use by process {first.pid}" in second.stderr and "Traceback" not in second.stderr
        # Read-only commands do not need the lock.
        for args in (("events", "--json"), ("list", "--json")):
            reader = subprocess.run(
                cli(*args, "--state", str(state)), env=cli_env(tmp_path), capture_output=True, text=True
            )
            assert reader.returncode == 0, reader.stderr
            json.loads(reader.stdout)
        # The kernel drops the lock of a killed holder: the next serve starts.
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        third = start_serve(state, tmp_path)
        try:
            wait_until_receiving(third)
            third.send_signal(signal.SIGINT)  # Ctrl-C
            assert third.wait(20) == 130
        finally:
            stop(third)
    finally:
        stop(first)


_SECOND_DISPATCHER = """
import sys
from pipedrive_connector.triggers import TriggerApp
from pipedrive_connector.triggers.state_lock import StateInUse
app = TriggerApp(state_path=sys.argv[1])
try:
    app.dispatcher.start()
except StateInUse as exc:
    print(exc.pid)
    sys.exit(3)
app.close()
"""


def test_a_refused_dispatcher_leaves_the_in_flight_event_alone(tmp_path: Path) -> None:
    app = TriggerApp(state_path=tmp_path / "t.db")
    sub, _ = app.store.create_subscription("newPerson", {}, "2.0", "")
    body: dict[str, Any] = {
        "meta": {"action": "create", "entity": "person", "entity_id": "5", "id": "e-5", "version": "2.0"},
        "data": {"id": 5, "name": "In flight"},
        "previous": None,
    }
    app.store.insert_event(sub, parse_webhook(body), None)
    app.claim_state()
    claimed = app.store.claim_next(lease_seconds=300)
    assert claimed is not None
    second = subprocess.run(
        [sys.executable, "-c", _SECOND_DISPATCHER, str(tmp_path / "t.db")], capture_output=True, text=True
    )
    assert (second.returncode, second.stdout.strip()) == (3, str(os.getpid())), second.stderr
    # Before the lock, the second dispatcher's start re-queued the event the first was running.
    row = app.store.event(claimed.seq)
    assert row is not None and row.status == "running"
    # In one process the lock is shared: start() and drain() work as before.
    app.dispatcher.start()
    app.close()
    reopened = TriggerApp(state_path=tmp_path / "t.db")
    reopened.claim_state()  # closing released it
    try:
        other = TriggerApp(state_path=tmp_path / "t.db")
        try:
            other.claim_state()
            raise AssertionError("a second claim in another store must fail")
        except StateInUse as exc:
            assert exc.pid == os.getpid()
        finally:
            other.close()
    finally:
        reopened.close()
