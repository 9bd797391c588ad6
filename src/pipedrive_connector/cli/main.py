"""The ``pipedrive`` command: one sub-app per area, each registered from its own module."""

from __future__ import annotations

import typer

from pipedrive_connector import __version__
from pipedrive_connector.cli import (
    auth_cmd,
    component_cmd,
    demo_cmd,
    resources_cmd,
    sandbox_cmd,
    triggers_cmd,
)
from pipedrive_connector.cli._output import CliGroup

app = typer.Typer(
    cls=CliGroup,
    name="pipedrive",
    help="Automate Pipedrive: run actions, react to events, and develop offline on a local sandbox.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pipedrive-connector {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Automate Pipedrive from the terminal."""


for _module in (demo_cmd, component_cmd, resources_cmd, triggers_cmd, auth_cmd, sandbox_cmd):
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
