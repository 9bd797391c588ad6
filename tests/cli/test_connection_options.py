"""The connection options every command that talks to Pipedrive shares, and retries shown as they happen.

The sandbox runs over a socket; its fault injection (``POST /_sandbox/faults``) makes the server fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import typer
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app

runner = CliRunner()
SHARED = (
    "--api-token",
    "--base-url",
    "--company-domain",
    "--add-to",
    "--connection",
    "--timeout",
    "--max-retries",
)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def _option_names(command: click.Command) -> set[str]:
    return {name for param in command.params for name in getattr(param, "opts", [])}


TALKS_TO_PIPEDRIVE = [
    "run",
    "request",
    "actions options",
    *(
        f"{r} {v}"
        for r in ("deals", "leads", "organizations", "persons")
        for v in ("list", "get", "add", "update", "delete", "search")
    ),
    *(f"activities {v}" for v in ("list", "get", "add", "update", "delete")),
]


def test_every_command_that_talks_to_pipedrive_has_the_shared_options() -> None:
    commands = dict(_commands(typer.main.get_command(app)))  # type: ignore[arg-type]
    for name in TALKS_TO_PIPEDRIVE:
        missing = [flag for flag in SHARED if flag not in _option_names(commands[name])]
        assert not missing, f"pipedrive {name} lacks {missing}"
        assert "--profile" in _option_names(commands[name])


@pytest.fixture
def env(pipedrive_sandbox: Any, tmp_path: Path) -> dict[str, str]:
    return {
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_PROFILE": "",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
    }


def _faults(sandbox: Any, **body: Any) -> None:
    response = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json=body, timeout=10)
    assert response.status_code == 200, response.text


def test_retries_are_shown_on_stderr_as_they_happen(pipedrive_sandbox: Any, env: dict[str, str]) -> None:
    _faults(pipedrive_sandbox, error_rate=1.0, statuses=[503], seed=1, paths=["/api/v2/deals"])
    result = runner.invoke(app, ["deals", "list", "--max-retries", "2", "--json"], env=env)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    retries = [line for line in lines if line.startswith("retrying ")]
    assert len(retries) == 2, result.stderr
    pattern = r"retrying GET /api/v2/deals in \d+\.\d s \(attempt {}/3\): 503"
    assert re.fullmatch(pattern.format(2), retries[0]) and re.fullmatch(pattern.format(3), retries[1])
    assert lines[-1].startswith("error:") and "503" in lines[-1]


def test_max_retries_zero_fails_at_once_and_recovery_prints_nothing(
    pipedrive_sandbox: Any, env: dict[str, str]
) -> None:
    _faults(pipedrive_sandbox, error_rate=1.0, statuses=[502], paths=["/api/v2/deals"])
    result = runner.invoke(app, ["deals", "list", "--max-retries", "0"], env=env)
    assert result.exit_code == 1 and "retrying" not in result.stderr and "502" in result.stderr
    _faults(pipedrive_sandbox)
    result = runner.invoke(app, ["deals", "list", "--json", "--max-retries", "3"], env=env)
    assert result.exit_code == 0 and result.stderr == ""


def test_timeout_applies_to_each_attempt(pipedrive_sandbox: Any, env: dict[str, str]) -> None:
    _faults(pipedrive_sandbox, latency_ms=1500, paths=["/api/v2/deals"])
    result = runner.invoke(
        app, ["run", "getDeals", "--timeout", "0.3", "--max-retries", "1", "--input", "{}"], env=env
    )
    assert result.exit_code == 1, result.output
    assert re.search(r"retrying GET /api/v2/deals in \d+\.\d s \(attempt 2/2\): ReadTimeout", result.stderr)
    assert "timed out" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--timeout", "0"], "--timeout must be a number of seconds above 0"),
        (["--timeout", "nan"], "--timeout must be a number of seconds above 0"),
        (["--max-retries", "-1"], "--max-retries"),
        (["--add-to", "body"], "--add-to must be header or query"),
        (["--api-version", "v3"], "--api-version must be v1 or v2"),
    ],
)
def test_bad_connection_options_are_usage_errors(env: dict[str, str], flags: list[str], message: str) -> None:
    result = runner.invoke(app, ["deals", "list", *flags], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_profile_from_the_environment_is_honoured(pipedrive_sandbox: Any, env: dict[str, str]) -> None:
    saved = runner.invoke(
        app,
        [
            "auth",
            "token",
            "--api-token",
            pipedrive_sandbox.api_token,
            "--base-url",
            pipedrive_sandbox.base_url,
            "--profile",
            "work",
        ],
        env=env,
    )
    assert saved.exit_code == 0, saved.output
    without_token = {**env, "PIPEDRIVE_API_TOKEN": "", "PIPEDRIVE_BASE_URL": "", "PIPEDRIVE_PROFILE": "work"}
    result = runner.invoke(app, ["deals", "list", "--limit", "1", "--json"], env=without_token)
    assert result.exit_code == 0, result.output
    missing = runner.invoke(app, ["deals", "list"], env={**without_token, "PIPEDRIVE_PROFILE": "nope"})
    assert missing.exit_code == 2 and "nope" in missing.stderr


def test_auth_commands_that_call_pipedrive_take_timeout_and_retries(
    pipedrive_sandbox: Any, env: dict[str, str]
) -> None:
    commands = dict(_commands(typer.main.get_command(app)))  # type: ignore[arg-type]
    for name in ("auth token", "auth status"):
        assert {"--timeout", "--max-retries"} <= _option_names(commands[name]), name
    _faults(pipedrive_sandbox, error_rate=1.0, statuses=[503], paths=["/v1/users/me"])
    args = [
        "auth",
        "token",
        "--api-token",
        pipedrive_sandbox.api_token,
        "--base-url",
        pipedrive_sandbox.base_url,
    ]
    result = runner.invoke(app, [*args, "--max-retries", "1"], env=env)
    assert result.exit_code == 1
    assert re.search(r"retrying GET /v1/users/me in \d+\.\d s \(attempt 2/2\): 503", result.stderr)


def test_the_same_mistake_gets_the_same_exit_code_in_every_group(env: dict[str, str]) -> None:
    for args in (["deals", "list", "--profile", "ghost"], ["auth", "status", "--profile", "ghost"]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "ghost" in result.stderr
    both = runner.invoke(
        app,
        ["auth", "token", "--api-token", "x", "--base-url", "http://127.0.0.1:1", "--company-domain", "a"],
        env=env,
    )
    assert both.exit_code == 2 and "not both" in both.stderr


def test_retries_during_a_paged_listing_show_and_the_listing_completes(
    pipedrive_sandbox: Any, env: dict[str, str]
) -> None:
    expected = runner.invoke(app, ["deals", "list", "--all", "--json"], env=env)
    assert expected.exit_code == 0, expected.output
    _faults(pipedrive_sandbox, error_rate=0.5, statuses=[500], seed=11, paths=["/api/v2/deals"])
    result = runner.invoke(app, ["deals", "list", "--all", "--json", "--max-retries", "10"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(expected.stdout)
    assert re.search(r"^retrying GET /api/v2/deals in \d+\.\d s \(attempt 2/11\): 500$", result.stderr, re.M)
