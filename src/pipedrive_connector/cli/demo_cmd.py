"""``pipedrive demo``: every action and every trigger against an embedded sandbox, then a summary.

Each step is printed once, in the summary: while the demo runs, a terminal shows a transient
counter on stderr (erased before the summary), and anything else gets no progress lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from pipedrive_connector.cli._output import errors_as_messages, fail, print_json, stderr

if TYPE_CHECKING:
    from pipedrive_connector.cli._demo import DemoReport, OnStep, Step


def _mark(ok: bool) -> str:
    return "[green]✓[/green]" if ok else "[red]✗[/red]"


@contextmanager
def _progress(quiet: bool) -> Iterator[OnStep | None]:
    """A step counter on a terminal's stderr, gone when the demo ends; nothing elsewhere."""
    if quiet or not stderr.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr, transient=True) as bar:
        task = bar.add_task("running", total=None)
        counts = {"done": 0, "failed": 0}

        def on_step(step: Step) -> None:
            counts["done"] += 1
            counts["failed"] += not step.ok
            failed = f", [red]{counts['failed']} failed[/red]" if counts["failed"] else ""
            bar.update(task, description=f"{counts['done']} steps done{failed}")

        yield on_step


def _summary(report: DemoReport) -> None:
    console = Console()
    for kind in ("action", "trigger"):
        rows = [s for s in report.steps if s.kind == kind]
        passed = (
            f"Actions: {report.actions_passed()} passed"
            if kind == "action"
            else f"Triggers: {sum(s.ok for s in rows)}/{len(rows)} passed"
        )
        table = Table(
            title=passed,
            title_justify="left",
            header_style="bold",
        )
        table.add_column("")
        table.add_column("name")
        table.add_column("title")
        if kind == "action":
            table.add_column("api")
        table.add_column("time" if kind == "action" else "fired after", justify="right")
        table.add_column("result", overflow="fold")
        for s in rows:
            cells = [_mark(s.ok), s.name + (" (extra)" if s.extra else ""), s.title]
            if kind == "action":
                cells.append(s.api_version)
            cells += [f"{s.seconds * 1000:.0f} ms", s.detail]
            table.add_row(*cells)
        console.print(table)
    for s in (s for s in report.steps if s.kind == "mcp"):
        console.print(f"MCP: {_mark(s.ok)} {s.title} ({s.seconds:.1f} s): {s.detail}", highlight=False)
    triggers = [s for s in report.steps if s.kind == "trigger"]
    verdict = "[bold green]PASSED[/bold green]" if report.ok else "[bold red]FAILED[/bold red]"
    console.print(
        f"{verdict}: {report.actions_passed()}, "
        f"{sum(s.ok for s in triggers)}/{len(triggers)} triggers in {report.seconds:.1f} s "
        f"(sandbox {report.sandbox_url}, now stopped)"
    )


def demo(
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON (progress stays on stderr)."
    ),
    legacy: bool = typer.Option(
        False, "--legacy/--no-legacy", help="Also run the actions in legacy API v1 mode (the seed's shapes)."
    ),
    timeout: float = typer.Option(15.0, "--timeout", min=1.0, help="Seconds to wait for the triggers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
    receiver: str = typer.Option(
        "trigger-app",
        "--receiver",
        help="trigger-app (the durable TriggerApp receiver) or loopback (minimal).",
    ),
) -> None:
    """Run every action and fire every trigger on an embedded sandbox: no account, no network."""
    if receiver not in ("trigger-app", "loopback"):
        fail("--receiver must be trigger-app or loopback", 2)
    if not quiet:
        stderr.print(
            "[bold]pipedrive demo[/bold]: starting an embedded sandbox and a webhook receiver on 127.0.0.1",
            highlight=False,
        )
    from pipedrive_connector.cli._demo import run_demo

    with errors_as_messages(), _progress(quiet) as on_step:
        report = run_demo(legacy=legacy, trigger_timeout=timeout, receiver_kind=receiver, on_step=on_step)
    if as_json:
        print_json(report.to_dict())
    else:
        _summary(report)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
