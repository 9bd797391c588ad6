"""Output for the component and resource commands: JSON, JSON lines, CSV, rich tables, one-line errors."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import click
import typer
from rich.console import Console
from rich.table import Table

stderr = Console(stderr=True)


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
    table = Table(title=title, show_lines=False, header_style="bold")
    for name, _ in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*[cell(get(row)) for _, get in columns])
    Console().print(table)


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and a non-zero exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn the library's errors into one-line messages (exit 2 for bad input, 1 for API failures)."""
    from pipedrive_connector.client.errors import PipedriveError
    from pipedrive_connector.component.errors import ComponentError, ValidationError

    try:
        yield
    except ValidationError as error:
        fail(f"invalid input: {error}", 2)
    except ComponentError as error:
        fail(str(error), 2)
    except PipedriveError as error:
        fail(" ".join(str(error).split()), 1)
    except (typer.Exit, typer.Abort, click.exceptions.ClickException):
        raise
    except Exception as error:  # anything else still ends as one line, never a traceback
        text = " ".join(str(error).split())
        fail(f"{type(error).__name__}: {text}" if text else type(error).__name__, 1)
