"""``pipedrive --help`` stays light: the command modules (and httpx, pydantic) load only when used.

Timing is measured in ``python -m benchmarks cli-startup``; these tests check what gets imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
import typer
from typer.testing import CliRunner

from pipedrive_connector.cli.main import COMMANDS, app, load_module_commands

HEAVY = (
    "httpx",
    "pydantic",
    "starlette",
    "uvicorn",
    "pipedrive_connector.client",
    "pipedrive_connector.component",
)


def _modules_after(code: str) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY))]


def test_importing_the_cli_imports_neither_httpx_nor_pydantic() -> None:
    loaded = _modules_after("import pipedrive_connector.cli.main")
    assert _heavy(loaded) == []


def test_root_help_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['pipedrive', '--help']\n"
        "from pipedrive_connector.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code"
    )
    loaded = _modules_after(code)
    assert _heavy(loaded) == []
    assert not [m for m in loaded if m.endswith("_cmd")]


@pytest.mark.parametrize("command", ["deals", "run", "request", "actions", "demo", "manifest"])
def test_help_of_the_resource_component_and_demo_commands_stays_light(command: str) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['pipedrive', {command!r}, '--help']\n"
        "from pipedrive_connector.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code"
    )
    assert _heavy(_modules_after(code)) == []


def test_root_help_lists_every_command_with_its_own_help() -> None:
    real: dict[str, click.Command] = {}
    for module in {module for module, _ in COMMANDS.values()}:
        real.update(load_module_commands(module))
    assert set(real) == set(COMMANDS)
    for name, (_, short_help) in COMMANDS.items():
        assert real[name].get_short_help_str(limit=300) == short_help, name
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    listing = " ".join(result.stdout.split())  # the plain click listing wraps long lines
    for name, (_, short_help) in COMMANDS.items():
        assert f" {name} {short_help}" in listing


def test_a_command_loads_its_module_on_first_use() -> None:
    result = CliRunner().invoke(app, ["actions", "list", "--seed", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 20
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    assert isinstance(group.get_command(click.Context(group), "deals"), click.Group)


def test_help_renders_flags_without_bool_metavars() -> None:
    for args in (["run", "--help"], ["deals", "list", "--help"], ["--help"]):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.stdout, args
    assert "--raw-custom-fields" in CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).stdout
