"""``pipedrive request`` and ``pipedrive leads get/delete`` with a traversal path or id: exit 2, one
line on stderr, nothing sent (deal 3 survives, the admin user is not printed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app
from pipedrive_connector.client import Pipedrive

runner = CliRunner()


@pytest.fixture
def cli(pipedrive_sandbox: Any, tmp_path: Path) -> Any:
    environ = {
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_PROFILE": "",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
    }
    return lambda *args: runner.invoke(app, list(args), env=environ)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("request", "DELETE", "/v1/leads/../../api/v2/deals/3"), "invalid path"),
        (("request", "GET", "v1/leads/%2e%2e/users/me"), "invalid path"),
        (("request", "GET", "//evil.example/v1/users/me"), "another host"),
        (("leads", "get", "../users/me"), "expected a UUID"),
        (("leads", "delete", "../../api/v2/deals/3"), "expected a UUID"),
    ],
)
def test_a_traversal_exits_2_with_one_line_and_sends_nothing(
    cli: Any, pipedrive_sandbox: Any, args: tuple[str, ...], expected: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    with Pipedrive(api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url) as pd:
        assert pd.request("GET", "/api/v2/deals/3")["data"]["title"] == "Globex analytics pilot"
