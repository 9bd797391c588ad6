"""Output for the commands: JSON, JSON lines, CSV, rich tables, retries on stderr, one-line errors."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click
import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from rich.console import Console


@functools.cache
def stderr_console() -> Console:
    """The stderr console (rich is imported on first use: ``pipedrive --help`` never pays for it)."""
    from rich.console import Console

    return Console(stderr=True)


def __getattr__(name: str) -> Any:
    # ``from pipedrive_connector.cli._output import stderr`` keeps working, without an import-time Console.
    if name == "stderr":
        return stderr_console()
    raise AttributeError(name)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_jsonl(rows: Iterable[Any]) -> None:
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False, default=str))


def cell(value: Any) -> str:
    """A readable cell: expanded v1 references show their name, lists their first values."""
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in ("name", "title", "value", "amount", "id"):
            if key in value and not isinstance(value[key], dict | list):
                return str(value[key])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value[:3]) + (" ..." if len(value) > 3 else "")
    return str(value)


Column = tuple[str, Callable[[dict[str, Any]], Any]]


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow([name for name, _ in columns])
    for row in rows:
        writer.writerow([cell(get(row)) for _, get in columns])


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for name, _ in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*[cell(get(row)) for _, get in columns])
    Console().print(table)


class InputError(Exception):
    """The user's input is wrong (a usage error): one line on stderr, exit code 2."""


USAGE_ERROR = 2
INTERRUPTED = 130


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and a non-zero exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_retry(event: Any) -> None:
    """The client's ``on_retry`` hook: a slow or failing server is visible while it happens.

    Printed through the stderr console, so a progress bar on it (``--all``) stays intact."""
    stderr_console().print(event.describe(), markup=False, highlight=False, soft_wrap=True)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def describe_error(error: BaseException) -> tuple[str, int]:
    """The one-line message and exit code for an error that reached the command line."""
    from pipedrive_connector.client.errors import ConfigurationError, PipedriveError
    from pipedrive_connector.component.errors import ComponentError, ValidationError

    if isinstance(error, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    if isinstance(error, InputError):
        return str(error), USAGE_ERROR
    if isinstance(error, ValidationError):
        return f"invalid input: {error}", USAGE_ERROR
    if isinstance(error, ComponentError | ConfigurationError):
        return _one_line(error), USAGE_ERROR
    if isinstance(error, PipedriveError):
        return _one_line(error), 1
    if isinstance(error, RecursionError):
        return "the input is nested too deeply to process", USAGE_ERROR
    if type(error).__name__ in ("InvalidURL", "UnsupportedProtocol"):  # httpx's, raised before sending
        return f"invalid URL: {_one_line(error)}", USAGE_ERROR
    if isinstance(error, UnicodeError):
        return f"the input is not valid text ({_one_line(error)})", USAGE_ERROR
    text = _one_line(error)
    name = type(error).__name__
    return (f"unexpected {name}: {text}" if text else f"unexpected {name}"), 1


def _passes_through(error: BaseException) -> bool:
    """click's own exceptions (usage errors, --help, typer.Exit) carry their exit code already."""
    return isinstance(
        error,
        click.exceptions.ClickException
        | click.exceptions.Exit
        | click.exceptions.Abort
        | typer.Exit
        | typer.Abort,
    )


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn any error into one line on stderr: exit 2 for bad input, 1 for API failures, 130 for Ctrl-C."""
    try:
        yield
    except (Exception, KeyboardInterrupt) as error:
        if _passes_through(error):
            raise
        message, code = describe_error(error)
        fail(message, code)


def _usage_error_line(error: click.exceptions.ClickException) -> str:
    ctx = getattr(error, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if isinstance(error, click.UsageError) and ctx else ""
    return f"error: {_one_line(Exception(error.format_message())).rstrip('.')}{hint}"


class CliGroup(TyperGroup):
    """The root group: whatever a command raises ends as one line on stderr with a consistent exit code
    (2 for usage errors, 1 for failures, 130 for Ctrl-C)."""

    def invoke(self, ctx: click.Context) -> Any:
        with errors_as_messages():
            return super().invoke(ctx)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.ClickException as error:
            if type(error).__name__ != "NoArgsIsHelpError":  # its help is printed already
                typer.echo(_usage_error_line(error), err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C at a prompt, or while parsing
            typer.echo("error: interrupted", err=True)
            sys.exit(INTERRUPTED)
        # Without standalone mode click returns the exit code of a typer.Exit, else the command's value.
        sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
