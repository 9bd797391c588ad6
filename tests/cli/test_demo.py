"""``pipedrive demo`` end to end, in a subprocess: no account, no network beyond loopback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipedrive_connector.component import Component
from pipedrive_connector.triggers import TRIGGERS


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipedrive_connector.cli.main", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_demo_runs_every_action_and_fires_every_trigger() -> None:
    done = _demo("--json", "--legacy")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["failed"] == []
    assert report["seconds"] < 60
    actions = [s for s in report["steps"] if s["kind"] == "action"]
    seed_actions = {a.name for a in Component().actions if not a.extra}
    for version in ("v2", "v1"):
        ran = {s["name"] for s in actions if s["api_version"] == version and s["ok"]}
        assert seed_actions <= ran, seed_actions - ran
    triggers = {s["name"]: s for s in report["steps"] if s["kind"] == "trigger"}
    assert set(triggers) == set(TRIGGERS)
    assert all(s["ok"] for s in triggers.values())
    assert "api_token" not in done.stdout and "sandbox-token" not in done.stdout + done.stderr


@pytest.mark.slow
def test_demo_table_output_and_loopback_receiver() -> None:
    done = _demo("--receiver", "loopback", "--quiet")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "PASSED" in done.stdout and "Triggers: 7/7 passed" in done.stdout
    assert done.stderr == ""
