"""``sandbox serve`` and ``triggers serve`` in a subprocess: they bind first, then print the real
address (``--port 0`` included); a taken port is one clear line and exit 1, with the state untouched."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from pipedrive_connector.triggers import TriggerApp

URL = re.compile(rb"http://127\.0\.0\.1:(\d+)")


def clean_env(config_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPEDRIVE_")}
    env["PIPEDRIVE_CONFIG_DIR"] = str(config_dir)  # no saved profile can supply credentials
    env["PYTHONUNBUFFERED"] = "1"
    return env


def pipedrive(config_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "pipedrive_connector.cli.main", *args]
    return subprocess.run(command, env=clean_env(config_dir), capture_output=True, timeout=60)


def spawn(config_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pipedrive_connector.cli.main", *args]
    env = clean_env(config_dir)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def first_url(stream: IO[bytes], seconds: float = 20) -> tuple[int, bytes]:
    """The port of the first ``http://127.0.0.1:PORT`` the process prints, and the line it is on."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    buffer = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            for line in buffer.splitlines():
                if match := URL.search(line):
                    return int(match.group(1)), line
    finally:
        selector.close()
    raise AssertionError(f"no address printed; output so far: {buffer!r}")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def test_sandbox_serve_on_port_0_prints_a_port_that_answers(tmp_path: Path) -> None:
    process = spawn(tmp_path, "sandbox", "serve", "--port", "0", "--api-token", "bind-token")
    try:
        assert process.stdout is not None
        port, line = first_url(process.stdout)
        assert port != 0 and line.startswith(b"Pipedrive sandbox listening on")
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/v2/deals", headers={"x-api-token": "bind-token"}, timeout=10
        )
        assert answer.status_code == 200 and answer.json()["success"] is True
    finally:
        stop(process)


def test_sandbox_serve_on_a_taken_port_is_one_clear_error(tmp_path: Path, taken_port: int) -> None:
    db = tmp_path / "sandbox.db"
    done = pipedrive(tmp_path, "sandbox", "serve", "--port", str(taken_port), "--db", str(db))
    assert done.returncode == 1
    assert done.stdout == b""  # nothing claims to be listening
    assert done.stderr.decode().strip() == (
        f"error: cannot listen on 127.0.0.1:{taken_port}: address already in use"
    )
    assert not db.exists()  # the store was not even opened


def test_triggers_serve_on_port_0_prints_a_port_that_answers(tmp_path: Path) -> None:
    state = str(tmp_path / "t.db")
    process = spawn(tmp_path, "triggers", "serve", "--port", "0", "--state", state, "--no-catch-up")
    try:
        assert process.stderr is not None
        port, line = first_url(process.stderr)
        assert port != 0 and line.startswith(b"receiving on")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        stop(process)


def test_triggers_serve_on_a_taken_port_leaves_the_state_untouched(tmp_path: Path, taken_port: int) -> None:
    state = tmp_path / "state" / "t.db"
    state.parent.mkdir()
    setup = TriggerApp(state_path=state)
    setup.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    setup.close()
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in state.parent.iterdir()}

    done = pipedrive(tmp_path, "triggers", "serve", "--port", str(taken_port), "--state", str(state))

    assert done.returncode == 1
    assert done.stderr.decode().strip() == (
        f"error: cannot listen on 127.0.0.1:{taken_port}: address already in use"
    )
    after = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in state.parent.iterdir()}
    assert after == before


@pytest.mark.parametrize("command", [["sandbox", "serve"], ["triggers", "serve", "--no-catch-up"]])
@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--header-timeout", "0"),
        ("--body-timeout", "-1"),
        ("--keep-alive-timeout", "nan"),
        ("--max-connections", "0"),
    ],
)
def test_nonsense_limits_are_usage_errors_naming_the_flag(
    tmp_path: Path, command: list[str], flag: str, value: str
) -> None:
    from typer.testing import CliRunner

    from pipedrive_connector.cli.main import app

    state = ["--state", str(tmp_path / "t.db")] if command[0] == "triggers" else []
    result = CliRunner().invoke(app, [*command, *state, "--port", "0", flag, value], env=clean_env(tmp_path))
    assert result.exit_code == 2
    assert flag in result.output
    assert "listening" not in result.output and "receiving" not in result.output
    assert not (tmp_path / "t.db").exists()
