"""Rendering a run: rich tables on stdout, and the Markdown block kept in docs/performance.md."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.machine import one_line

BEGIN = "<!-- BEGIN GENERATED RESULTS (python -m benchmarks ... --write-docs) -->"
END = "<!-- END GENERATED RESULTS -->"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _one_line(text: str, limit: int = 600) -> str:
    """Markdown list items must stay on one line; long tracebacks are cut."""
    flat = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _target_mark(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def print_run(run: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    console.print(f"[bold]Machine:[/] {one_line(run['machine'])}")
    for section in run["sections"]:
        header = f"{section['title']} ({section['seconds']:.0f}s)"
        if section["status"] != "ok":
            console.print(f"\n[bold]{header}[/]: [yellow]{section['status']}: {section['reason']}[/]")
            continue
        table = Table(title=header, title_justify="left", show_lines=False)
        for column in section["columns"]:
            table.add_column(column)
        for row in section["rows"]:
            table.add_row(*(_cell(v) for v in row))
        console.print()
        console.print(table)
        for target in section["targets"]:
            mark = _target_mark(target["met"])
            console.print(f"  target {target['name']} ({target['goal']}): {mark} - {target['detail']}")
        for note in section["notes"]:
            console.print(f"  note: {note}")
    console.print(f"\nTotal {run['seconds']:.0f}s")


def markdown(run: dict[str, Any]) -> str:
    machine = run["machine"]
    lines = [
        BEGIN,
        "",
        f"Command: `{run['command']}` — started {run['started_at']}, took {run['seconds']:.0f} s"
        f" (commit {machine.get('git_commit', '?')}).",
        "",
        f"Machine: {one_line(machine)}; load average at start {machine.get('load_average_at_start')}.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items()) + ".",
        "",
    ]
    for section in run["sections"]:
        lines.append(f"### {section['title']}")
        lines.append("")
        if section["status"] != "ok":
            lines.append(f"**{section['status']}**: {section['reason']}")
            lines.append("")
            continue
        lines.append("| " + " | ".join(section["columns"]) + " |")
        lines.append("|" + "---|" * len(section["columns"]))
        for row in section["rows"]:
            lines.append("| " + " | ".join(_one_line(_cell(v), 200).replace("|", "/") for v in row) + " |")
        lines.append("")
        for target in section["targets"]:
            mark = _target_mark(target["met"])
            lines.append(f"- Target **{target['name']}** ({target['goal']}): **{mark}** — {target['detail']}")
        for note in section["notes"]:
            lines.append(f"- {_one_line(note)}")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def update_doc(doc: Path, run: dict[str, Any]) -> None:
    """Replace the generated block of ``doc`` (or append it) with this run's figures."""
    block = markdown(run)
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n\n"
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    text = (
        pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    )
    doc.write_text(text, encoding="utf-8")
