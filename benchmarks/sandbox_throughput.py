"""Benchmark 4: the sandbox's throughput as its store grows (``python -m benchmarks sandbox``).

GET by id at 100 vs 100,000 deals, a page of 500 at 1,000 vs 100,000, creates one by one and a
100,000-deal bulk load, beside a bare Starlette endpoint (the floor). See ``sandbox_scale.py``.
"""

from __future__ import annotations

from benchmarks.context import Context
from benchmarks.results import Section
from benchmarks.sandbox_ops import require_sandbox
from benchmarks.sandbox_scale import Sizes, measure

TITLE = "Sandbox throughput: GET, page of 500 and creates at 100 to 100,000 deals"
COLUMNS = ["server", "operation", "deals stored", "clients", "median", "unit", "runs"]


def run(ctx: Context) -> Section:
    require_sandbox()
    section = Section("sandbox", TITLE, columns=COLUMNS)
    measure(
        section,
        ctx.progress,
        sizes=Sizes(),
        seconds=1.0 if ctx.quick else 3.0,
        reps=ctx.reps,
        bulk_reps=1 if ctx.quick else 3,
    )
    return section
