from __future__ import annotations

from typer.testing import CliRunner

from pipedrive_connector import __version__
from pipedrive_connector.cli.main import app


def test_version_flag_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"pipedrive-connector {__version__}"
