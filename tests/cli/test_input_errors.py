"""Odd inputs end as one line on stderr naming the problem: exit 2 for usage errors, 130 for Ctrl-C.

And ``--set``/``--param`` values are typed by the property the action declares, never guessed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(pipedrive_sandbox: Any, tmp_path: Path) -> dict[str, str]:
    return {
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_PROFILE": "",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
        "COLUMNS": "200",
    }


def _one_line_error(result: Any, code: int, *needles: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output and "Error:" not in lines[0].removeprefix("error:")
    return str(lines[0])


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--input", "[" * 5000 + "]" * 5000], ["--input", "nested too deeply"]),
        (["--input", "null"], ["--input must be a JSON object, got null"]),
        (["--input", "[1, 2]"], ["--input must be a JSON object, got an array"]),
        (["--input", '{"limit": NaN}'], ["--input is not valid JSON", "NaN"]),
        (["--input", '{"limit": -Infinity}'], ["-Infinity"]),
        (["--input", "{"], ["--input is not valid JSON"]),
        (["--base-url", "http://[::1"], ["--base-url", "Invalid IPv6 URL"]),
        (["--base-url", "http://exa mple.com"], ["--base-url", "host name"]),
        (["--base-url", "http://127.0.0.1:99999"], ["--base-url", "Port out of range"]),
        (["--base-url", "ftp://example.com"], ["--base-url must be an http:// or https:// URL"]),
    ],
)
def test_odd_inputs_to_run_are_usage_errors(env: dict[str, str], args: list[str], needles: list[str]) -> None:
    _one_line_error(runner.invoke(app, ["run", "getDeals", *args], env=env), 2, *needles)


def test_deep_input_is_refused_whatever_the_recursion_limit(env: dict[str, str]) -> None:
    """mypy, for one, raises the interpreter's limit to 2**14 when run in-process: 5,000 levels then
    decode, and must still be refused (they were read as an array once)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        deep = ["--input", "[" * 5000 + "]" * 5000]
        _one_line_error(runner.invoke(app, ["run", "getDeals", *deep], env=env), 2, "nested too deeply")
    finally:
        sys.setrecursionlimit(before)


def test_a_bad_base_url_is_named_without_its_password(env: dict[str, str]) -> None:
    for url in ("http://ada:pa55word@[::1", "ftp://ada:pa55word@example.com", "http://ada:pa55word@h:99999"):
        line = _one_line_error(
            runner.invoke(app, ["deals", "list", "--base-url", url], env=env), 2, "--base-url"
        )
        assert "pa55word" not in line and "***@" in line


def test_input_files_that_are_not_utf8_or_too_deep(env: dict[str, str], tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"term": "caf\xe9"}')
    line = _one_line_error(runner.invoke(app, ["run", "searchDeals", "--input", f"@{latin1}"], env=env), 2)
    assert "is not UTF-8 text (byte 0xe9 at offset 13)" in line
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    _one_line_error(runner.invoke(app, ["run", "getDeals", "--input", f"@{deep}"], env=env), 2, "too deeply")
    missing = runner.invoke(app, ["run", "getDeals", "--input", f"@{tmp_path / 'nope.json'}"], env=env)
    _one_line_error(missing, 2, "cannot read", "nope.json")
    stdin = runner.invoke(app, ["run", "getDeals", "--input", "@-"], env=env, input=b"\xff\xfe")
    _one_line_error(stdin, 2, "stdin is not UTF-8")


def test_data_must_be_an_object(env: dict[str, str]) -> None:
    _one_line_error(runner.invoke(app, ["deals", "add", "--data", "null"], env=env), 2, "--data must be")
    _one_line_error(runner.invoke(app, ["deals", "add", "--data", '"x"'], env=env), 2, "got a string")


@pytest.mark.parametrize(
    "args",
    [
        ["deals", "list", "--bogus"],
        ["deals", "list", "--limit", "0"],
        ["run"],
        ["nosuchcommand"],
        ["auth", "status", "--bogus"],
        ["sandbox", "serve", "--bogus"],
        ["triggers", "list", "--bogus"],
        ["actions", "show"],
    ],
)
def test_usage_errors_exit_2_with_one_line_in_every_group(env: dict[str, str], args: list[str]) -> None:
    line = _one_line_error(runner.invoke(app, args, env=env), 2)
    assert "--help" in line  # where to look next


def test_set_values_are_typed_by_the_declared_property(env: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        ["deals", "add", "--set", "title=123", "--set", "value=1500.5", "--set", "currency=007", "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    deal = json.loads(result.stdout)
    assert deal["title"] == "123" and deal["value"] == 1500.5 and deal["currency"] == "007"
    renamed = runner.invoke(
        app,
        ["deals", "update", str(deal["id"]), "--set", "title=true", "--set", "probability=null", "--json"],
        env=env,
    )
    assert renamed.exit_code == 0, renamed.output
    assert json.loads(renamed.stdout)["title"] == "true"
    person = runner.invoke(app, ["persons", "add", "--set", "name=0042", "--json"], env=env)
    assert person.exit_code == 0 and json.loads(person.stdout)["name"] == "0042", person.output


@pytest.mark.parametrize(
    ("pair", "needles"),
    [
        ("user_id=abc", ["--set user_id: expected an integer, got 'abc'"]),
        ("value=lots", ["--set value: expected a number, got 'lots'"]),
        ("value=NaN", ["--set value: expected a number"]),
        ("custom_fields=[1]", ["--set custom_fields: expected a JSON object, got an array"]),
        ("title", ["--set: expected key=value"]),
        ("a..b=1", ["is not a property name"]),
    ],
)
def test_set_values_of_the_wrong_type_are_usage_errors(
    env: dict[str, str], pair: str, needles: list[str]
) -> None:
    _one_line_error(
        runner.invoke(app, ["deals", "add", "--set", "title=x", "--set", pair], env=env), 2, *needles
    )


def test_set_merges_into_data_and_reaches_nested_fields(env: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        [
            "persons",
            "add",
            "--data",
            '{"name": "Ada", "email": [{"value": "a@x.io", "primary": true}]}',
            "--set",
            "name=Ada Lovelace",
            "--json",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    person = json.loads(result.stdout)
    assert person["name"] == "Ada Lovelace"
    assert [e["value"] for e in person["emails"]] == ["a@x.io"]


def test_set_reaches_a_field_of_an_object_property(env: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        ["deals", "add", "--set", "title=Regional", "--set", "custom_fields.Region=EMEA", "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["custom_fields"]["Region"] == "EMEA"


def test_param_values_are_typed_too(env: dict[str, str]) -> None:
    ok = runner.invoke(app, ["deals", "list", "--param", "status=open", "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    _one_line_error(
        runner.invoke(app, ["deals", "list", "--param", "stage_id=first"], env=env),
        2,
        "--param stage_id: expected an integer",
    )


def test_ctrl_c_exits_130_with_one_line(pipedrive_sandbox: Any, env: dict[str, str]) -> None:
    response = httpx.post(
        f"{pipedrive_sandbox.base_url}/_sandbox/faults", json={"latency_ms": 30_000}, timeout=10
    )
    assert response.status_code == 200
    script = "from pipedrive_connector.cli.main import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "deals", "list", "--json"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _requests_seen(pipedrive_sandbox) == 0:
            time.sleep(0.1)  # interrupt while the request is in flight, not during start-up
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
        httpx.post(f"{pipedrive_sandbox.base_url}/_sandbox/faults", json={}, timeout=10)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["error: interrupted"]


def _requests_seen(sandbox: Any) -> int:
    """Requests the sandbox has started delaying (its latency fault counts them as they arrive)."""
    answer = httpx.get(f"{sandbox.base_url}/_sandbox/faults", timeout=10).json()["data"]
    return int(answer["injected"].get("delayed", 0))
