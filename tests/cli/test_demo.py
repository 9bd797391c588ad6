"""``pipedrive demo`` end to end, in a subprocess: no account, no network beyond loopback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipedrive_connector.cli._demo_receivers import DEMO_TRIGGERS
from pipedrive_connector.component import Component
from pipedrive_connector.triggers import TRIGGERS

# The demo's actions beyond the seed's 20: updateDeal, updateOrganization, updatePerson, addActivity,
# then a note, a product, a file (up and down) and a stage change on the deal.
DEMO_EXTRAS = (
    "addNote",
    "getNotes",
    "addProduct",
    "addProductToDeal",
    "getDealProducts",
    "uploadFile",
    "downloadFile",
    "getStages",
    "moveDealToStage",
)
EXTRAS = 4 + len(DEMO_EXTRAS)


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
    assert (report["seed_actions"], report["extra_actions"]) == (2 * 20, 2 * EXTRAS)  # v2 and v1
    assert report["seconds"] < 60
    actions = [s for s in report["steps"] if s["kind"] == "action"]
    seed_actions = {a.name for a in Component().actions if not a.extra}
    for version in ("v2", "v1"):
        ran = {s["name"] for s in actions if s["api_version"] == version and s["ok"]}
        assert seed_actions <= ran, seed_actions - ran
        assert set(DEMO_EXTRAS) <= ran, set(DEMO_EXTRAS) - ran
    triggers = {s["name"]: s for s in report["steps"] if s["kind"] == "trigger"}
    assert set(triggers) == set(DEMO_TRIGGERS) == {*TRIGGERS, "newNote", "newProduct", "dealStageChanged"}
    assert (
        triggers["dealStageChanged"]["detail"].startswith("deal ")
        and "updated" in triggers["dealStageChanged"]["detail"]
    )
    assert all(s["ok"] for s in triggers.values())
    assert "api_token" not in done.stdout and "sandbox-token" not in done.stdout + done.stderr


@pytest.mark.slow
def test_demo_table_output_and_loopback_receiver() -> None:
    done = _demo("--receiver", "loopback", "--quiet")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (
        "PASSED" in done.stdout
        and f"Triggers: {len(DEMO_TRIGGERS)}/{len(DEMO_TRIGGERS)} passed" in done.stdout
    )
    assert done.stderr == ""


def _demo_in_a_terminal(*args: str) -> tuple[int, str]:
    """Run the demo with stdout and stderr on one pseudo-terminal, as a user's shell does."""
    import os
    import pty

    main_fd, terminal_fd = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipedrive_connector.cli.main", "demo", *args],
        stdin=terminal_fd,
        stdout=terminal_fd,
        stderr=terminal_fd,
        env=env,
        close_fds=True,
    )
    os.close(terminal_fd)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the terminal's last writer has gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_demo_in_a_terminal_prints_each_step_once_with_honest_counts() -> None:
    code, screen = _demo_in_a_terminal()
    assert code == 0, screen[-3000:]
    for step in ("searchOrganizations", "getLeadDetails", "updatedPerson", "deleteOrganization"):
        assert screen.count(step) == 1, (step, screen.count(step))
    seed = sum(1 for a in Component().actions if not a.extra)
    assert seed == 20
    extras = f"{EXTRAS}/{EXTRAS} extras"
    assert screen.count(f"Actions: {seed}/{seed} seed actions + {extras} passed") == 1
    n = len(DEMO_TRIGGERS)
    assert f"PASSED: {seed}/{seed} seed actions + {extras}, {n}/{n} triggers" in _plain(screen)


def test_demo_counts_seed_actions_and_extras_apart() -> None:
    from pipedrive_connector.cli._demo import DemoReport, Step

    report = DemoReport(
        steps=[
            Step("action", "getDeals", "", True, 0.0, "", "v2"),
            Step("action", "addDeal", "", False, 0.0, "", "v2"),
            Step("action", "updateDeal", "", True, 0.0, "", "v2", extra=True),
            Step("action", "getDeals", "", True, 0.0, "", "v1"),
            Step("trigger", "newDeal", "", True, 0.0, ""),
        ]
    )
    assert report.actions_passed() == "1/2 seed actions + 1/1 extras (v2), 1/1 seed actions (v1)"
    data = report.to_dict()
    assert (data["actions"], data["seed_actions"], data["extra_actions"]) == (4, 3, 1)


def _plain(text: str) -> str:
    """Terminal output without colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
