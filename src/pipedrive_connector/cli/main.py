"""The ``pipedrive`` command: one sub-app per area, each registered from its own module.

The modules are imported only when one of their commands runs (or its own ``--help`` is asked for):
``pipedrive --help`` lists them from ``COMMANDS`` without importing httpx, pydantic or the parts.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
import typer

from pipedrive_connector import __version__
from pipedrive_connector.cli._output import CliGroup

# name -> (module with ``register(app)``, the one-line help shown by ``pipedrive --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "demo_cmd",
        "Run every action and fire every trigger on an embedded sandbox: no account, no network.",
    ),
    "manifest": (
        "component_cmd",
        "Print the whole component (connections, triggers, actions, JSON Schemas) as JSON.",
    ),
    "run": ("component_cmd", "Validate the input, run the action, print its output as JSON."),
    "request": ("resources_cmd", "Send any request to the API and print the JSON answer."),
    "actions": ("component_cmd", "The component's actions."),
    "deals": ("resources_cmd", "List, read, create, change, delete and search deals."),
    "leads": ("resources_cmd", "List, read, create, change, delete and search leads."),
    "organizations": ("resources_cmd", "List, read, create, change, delete and search organizations."),
    "persons": ("resources_cmd", "List, read, create, change, delete and search persons."),
    "activities": ("resources_cmd", "List, read, create, change and delete activities."),
    "notes": ("resources_cmd", "List, read, create, change and delete notes."),
    "files": ("resources_cmd", "Upload, download, list, read, rename and delete files."),
    "products": ("resources_cmd", "List, read, create, change, delete and search products."),
    "triggers": (
        "triggers_cmd",
        "React to Pipedrive events: webhooks with a durable inbox, polling, catch-up and replay.",
    ),
    "mcp": (
        "mcp_cmd",
        "Serve every action as an MCP tool for AI assistants (stdio by default; --http for streamable HTTP).",
    ),
    "auth": (
        "auth_cmd",
        "Connect to Pipedrive (OAuth app or API token), check the connection, manage profiles.",
    ),
    "sandbox": (
        "sandbox_cmd",
        "Run a local Pipedrive-compatible API server (offline development and tests).",
    ),
}


def load_module_commands(module_name: str) -> dict[str, click.Command]:
    """The click commands a command module registers (imports the module)."""
    module = importlib.import_module(f"pipedrive_connector.cli.{module_name}")
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a callback makes typer build a group even for one command
    module.register(holder)
    group = typer.main.get_command(holder)
    assert isinstance(group, click.Group)
    return dict(group.commands)


class LazyRootGroup(CliGroup):
    """Loads a command's module on first use; lists commands for ``--help`` from ``COMMANDS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module_name, short_help = COMMANDS[cmd_name]
            if self._listing:  # the root --help only needs the one-line help
                return click.Command(cmd_name, help=short_help, short_help=short_help)
            for name, command in load_module_commands(module_name).items():
                self.commands.setdefault(name, command)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyRootGroup,
    name="pipedrive",
    help="Automate Pipedrive: run actions, react to events, and develop offline on a local sandbox.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # CliGroup turns every error into one line; no rich.traceback import
    # The root listing is plain click help: typer's rich help imports rich.markdown and markdown_it
    # (about 150 ms), three times what the rest of ``pipedrive --help`` costs. Sub-commands keep rich help.
    rich_markup_mode=None,
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
