"""``python -m benchmarks all [--quick]``: run the benchmarks and fault drills, print a table, write JSON."""

from __future__ import annotations

import argparse
import importlib
import shlex
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.context import Context
from benchmarks.machine import describe
from benchmarks.procs import REPO
from benchmarks.report import print_run, update_doc
from benchmarks.results import Run, Section, Skipped, load_json, write_json

# name -> module with ``TITLE`` and ``run(ctx) -> Section``; ``all`` runs them in this order.
BENCHMARKS = {
    "sandbox": "benchmarks.sandbox_throughput",
    "bulk-read": "benchmarks.bulk_read",
    "rate-limits": "benchmarks.rate_limits",
    "webhooks": "benchmarks.webhook_ingest",
    "webhooks-postgres": "benchmarks.webhook_ingest_postgres",
    "drill-kill": "benchmarks.drill_receiver_kill",
    "drill-postgres": "benchmarks.drill_postgres",
    "drill-postgres-outage": "benchmarks.drill_postgres_outage",
    "drill-redis-limiter": "benchmarks.drill_redis_limiter",
    "drill-faults": "benchmarks.drill_client_faults",
    "drill-malformed": "benchmarks.drill_malformed",
    "profiles": "benchmarks.profiles",
    "cli-startup": "benchmarks.cli_startup",
}
DEFAULT_JSON = REPO / "benchmarks" / "results" / "latest.json"
DOC = REPO / "docs" / "performance.md"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks and fault drills of pipedrive-connector against the sandbox, the raw-httpx "
        "floor and Pipedrive SDKs from PyPI. Progress goes to stderr, the table to stdout.",
    )
    parser.add_argument(
        "what",
        nargs="*",
        default=["all"],
        help=f"'all', 'list', 'report' (re-print the last JSON), or any of: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller counts (finishes in under 5 minutes on 2 cores)"
    )
    parser.add_argument(
        "--reps", type=int, default=None, help="repetitions per comparison (default 3 quick, 5 full)"
    )
    parser.add_argument("--no-peers", action="store_true", help="do not install or run the PyPI peer SDKs")
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"results file (default {DEFAULT_JSON.relative_to(REPO)})",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help=f"update the generated block of {DOC.relative_to(REPO)}"
    )
    return parser


def run_one(name: str, ctx: Context) -> Section:
    started = time.monotonic()
    title = name
    try:
        module = importlib.import_module(BENCHMARKS[name])
        title = getattr(module, "TITLE", name)
        ctx.progress(f"== {title}")
        section: Section = module.run(ctx)
    except Skipped as exc:
        section = Section(name, title, status="skipped", reason=str(exc))
        ctx.progress(f"   skipped: {exc}")
    except Exception as exc:  # one broken benchmark must not stop the others
        section = Section(name, title, status="failed", reason=f"{type(exc).__name__}: {exc}")
        ctx.progress(f"   failed: {type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
    section.seconds = time.monotonic() - started
    return section


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so child servers are stopped by their context managers


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = build_parser().parse_args(argv)
    wanted = list(args.what)
    if wanted == ["list"]:
        for name, module in BENCHMARKS.items():
            print(f"{name:16} {getattr(importlib.import_module(module), 'TITLE', '')}")
        return 0
    if wanted == ["report"]:
        if not args.json.exists():
            print(
                f"error: no results at {args.json}; run 'python -m benchmarks all --quick' first",
                file=sys.stderr,
            )
            return 2
        loaded = load_json(args.json)
        print_run(loaded)
        if args.write_docs:
            update_doc(DOC, loaded)
        return 0
    names = list(BENCHMARKS) if "all" in wanted else wanted
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(
            f"error: unknown benchmark(s) {', '.join(unknown)}; choose from all, list, report, "
            f"{', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    if args.reps is not None and args.reps < 1:
        print(f"error: --reps must be at least 1, got {args.reps}", file=sys.stderr)
        return 2

    ctx = Context(quick=args.quick, reps=args.reps or (3 if args.quick else 5), peers=not args.no_peers)
    command = "python -m benchmarks " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    run = Run(
        command=command.strip(),
        quick=args.quick,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=describe(REPO),
    )
    started = time.monotonic()
    for name in names:
        run.sections.append(run_one(name, ctx))
        run.seconds = time.monotonic() - started
        write_json(run, args.json)  # keep partial results if a later benchmark is interrupted
    ctx.progress(f"results written to {args.json}")
    print_run(run.to_json())
    if args.write_docs:
        update_doc(DOC, run.to_json())
        ctx.progress(f"figures written to {DOC}")
    return 0 if all(s.status != "failed" for s in run.sections) else 1


if __name__ == "__main__":
    sys.exit(main())
