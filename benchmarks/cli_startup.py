"""``python -m benchmarks cli-startup``: how long ``pipedrive --help`` takes, against two floors.

Each repetition runs, interleaved and in rotated order: ``python -c pass``; importing typer and its
rich help module (the floor of any typer CLI with rich help: click, rich, markdown-it);
``pipedrive --help``; ``pipedrive deals --help`` (loads one command module); ``pipedrive --version``.
Wall time and CPU time (user + sys of the child) are both reported: on a shared machine CPU time
moves less with the load.
Target: ``pipedrive --help`` under 0.15 s (median wall time, the interpreter's start-up included).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.context import Context
from benchmarks.results import Section, Target
from benchmarks.stats import interleave, median, percentile

TITLE = "CLI start-up: pipedrive --help vs the interpreter floor"
TARGET_SECONDS = 0.15
ENTRY = "from pipedrive_connector.cli.main import main; main()"
FLOOR = "python -c pass (floor)"
TYPER_FLOOR = "import typer's rich help (floor)"
HELP = "pipedrive --help"


def _script() -> list[str]:
    """The installed ``pipedrive`` console script when it sits beside this interpreter, else the same
    entry point through ``python -c`` (what the console script runs)."""
    script = Path(sys.executable).with_name("pipedrive")
    return [str(script)] if script.exists() else [sys.executable, "-c", ENTRY]


CASES: dict[str, list[str]] = {
    FLOOR: [sys.executable, "-c", "pass"],
    TYPER_FLOOR: [sys.executable, "-c", "import typer, typer.rich_utils"],
    HELP: [*_script(), "--help"],
    "pipedrive deals --help": [*_script(), "deals", "--help"],
    "pipedrive --version": [*_script(), "--version"],
}


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``."""
    env = {**os.environ, "COLUMNS": "100"}
    cpu_before = _cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-300:]}")
    return elapsed, _cpu_of_children() - cpu_before


def run(ctx: Context) -> Section:
    reps = ctx.scaled(full=30, quick=10)
    for argv in CASES.values():  # warm the OS file cache and the .pyc files before timing
        _time_once(argv)
    timed = interleave(list(CASES), reps, lambda case, _rep: _time_once(CASES[case]))
    wall = {case: [w for w, _ in runs] for case, runs in timed.items()}
    cpu = {case: [c for _, c in runs] for case, runs in timed.items()}
    floor = median(wall[FLOOR])
    section = Section(
        "cli-startup",
        TITLE,
        columns=["command", "median ms", "p90 ms", "over floor ms", "CPU median ms", "runs"],
    )
    for case, values in wall.items():
        mid = median(values)
        section.add_row(
            case,
            round(mid * 1000, 1),
            round(percentile(values, 90) * 1000, 1),
            round((mid - floor) * 1000, 1),
            round(median(cpu[case]) * 1000, 1),
            len(values),
        )
    help_median = median(wall[HELP])
    over_typer = median(cpu[HELP]) - median(cpu[TYPER_FLOOR])
    section.targets.append(
        Target(
            HELP,
            f"< {TARGET_SECONDS:.2f} s median",
            help_median < TARGET_SECONDS,
            f"{help_median:.3f} s median; python floor {floor:.3f} s; "
            f"{over_typer * 1000:.0f} ms CPU above importing typer's rich help",
        )
    )
    section.notes.append(
        "Whole processes, interleaved in rotated order. On a shared machine every row moves with the "
        "load: compare pipedrive --help with the floor of importing typer's rich help, which any "
        "typer CLI with rich help pays."
    )
    section.data = {
        "wall": {case: [round(v, 6) for v in values] for case, values in wall.items()},
        "cpu": {case: [round(v, 6) for v in values] for case, values in cpu.items()},
    }
    ctx.progress(f"   {HELP} median {help_median * 1000:.0f} ms (python floor {floor * 1000:.0f} ms)")
    return section
