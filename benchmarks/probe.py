"""Measuring one run inside a child process: wall time, peak RSS, optional tracemalloc peak.

Standard library only: the peer adapters import this module from the peers' virtualenv.
A child prints exactly one line ``BENCH-RESULT {json}`` on stdout; ``parse_result`` reads it back.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "


def current_rss_kb() -> int:
    """Resident set size now, in KiB (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return peak_rss_kb()


def peak_rss_kb() -> int:
    """Peak resident set size of this process so far, in KiB (Linux reports ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // 1024) if sys.platform == "darwin" else int(peak)


def measure(work: Callable[[], dict[str, Any]], *, trace: bool = False) -> dict[str, Any]:
    """Run ``work`` once; return its own result plus seconds and memory figures.

    ``rss_growth_kb`` is the peak RSS minus the RSS just before the work started (imports and
    connection set-up excluded), the figure that shows whether memory grows with the data.
    With ``trace`` the Python-heap peak from tracemalloc is added (tracemalloc slows the run, so
    timed runs leave it off).
    """
    gc.collect()
    base = current_rss_kb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    outcome = work()
    seconds = time.perf_counter() - started
    result: dict[str, Any] = dict(outcome)
    result["seconds"] = seconds
    result["rss_base_kb"] = base
    result["rss_peak_kb"] = peak_rss_kb()
    result["rss_growth_kb"] = max(0, result["rss_peak_kb"] - base)
    if trace:
        result["tracemalloc_peak_kb"] = tracemalloc.get_traced_memory()[1] // 1024
        tracemalloc.stop()
    return result


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict[str, Any]:
    """The result a child printed; ValueError naming the problem when there is none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            parsed = json.loads(line[len(RESULT_PREFIX) :])
            if not isinstance(parsed, dict):
                raise ValueError("child result is not a JSON object")
            return parsed
    tail = stdout.strip().splitlines()[-3:]
    raise ValueError(f"child printed no {RESULT_PREFIX.strip()} line (last output: {tail})")
