"""``pipedrive demo``: every action and every trigger against an embedded sandbox, then a summary."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from pipedrive_connector.cli._demo import DemoReport, Step, run_demo
from pipedrive_connector.cli._output import errors_as_messages, fail, print_json, stderr


def _mark(ok: bool) -> str:
    return "[green]✓[/green]" if ok else "[red]✗[/red]"


def _live(step: Step) -> None:
    version = f" [dim]{step.api_version}[/dim]" if step.api_version else ""
    stderr.print(
        f"  {_mark(step.ok)} {step.kind:<10} {step.name:<22}{version} "
        f"[dim]{step.seconds * 1000:7.0f} ms[/dim]  {step.detail}",
        highlight=False,
        soft_wrap=True,
    )


def _summary(report: DemoReport) -> None:
    console = Console()
    for kind, title in (("action", "Actions"), ("trigger", "Triggers")):
        rows = [s for s in report.steps if s.kind == kind]
        table = Table(
            title=f"{title}: {sum(s.ok for s in rows)}/{len(rows)} passed",
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
    actions = [s for s in report.steps if s.kind == "action"]
    triggers = [s for s in report.steps if s.kind == "trigger"]
    verdict = "[bold green]PASSED[/bold green]" if report.ok else "[bold red]FAILED[/bold red]"
    console.print(
        f"{verdict}: {sum(s.ok for s in actions)}/{len(actions)} actions, "
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
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
    with errors_as_messages():
        report = run_demo(
            legacy=legacy, trigger_timeout=timeout, receiver_kind=receiver, on_step=None if quiet else _live
        )
    if as_json:
        print_json(report.to_dict())
    else:
        _summary(report)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
