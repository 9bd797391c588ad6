"""Shared by the peer adapters: argument parsing and the workload loop (standard library only)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks.probe import emit, measure


def parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog)
    p.add_argument("op", choices=["read", "read-pages", "workload", "version"])
    p.add_argument("--base-url", default="")
    p.add_argument("--token", default="")
    p.add_argument("--trace", action="store_true")
    p.add_argument("--gets", type=int, default=0)
    p.add_argument("--updates", type=int, default=0)
    p.add_argument("--ids", default="", help="comma-separated deal ids to read and update")
    return p


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK exception carries, wherever that SDK keeps it."""
    for attr in ("status_code", "code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    if response is not None and isinstance(getattr(response, "status_code", None), int):
        return int(response.status_code)
    for arg in getattr(exc, "args", ()):
        status = getattr(arg, "status_code", None)
        if isinstance(status, int):
            return status
    text = repr(exc)
    for code in ("429", "500", "502", "503"):
        if code in text:
            return int(code)
    return None


def build_ops(gets: int, updates: int, ids: list[int]) -> list[tuple[str, int]]:
    """``gets`` reads and ``updates`` writes over ``ids``, interleaved 3:1."""
    if not ids:
        raise ValueError("the workload needs at least one deal id")
    ops: list[tuple[str, int]] = []
    g = u = 0
    while g < gets or u < updates:
        for _ in range(3):
            if g < gets:
                ops.append(("get", ids[g % len(ids)]))
                g += 1
        if u < updates:
            ops.append(("update", ids[u % len(ids)]))
            u += 1
    return ops


def run_workload(
    gets: int,
    updates: int,
    ids: list[int],
    get_one: Callable[[int], Any],
    update_one: Callable[[int, str], Any],
) -> dict[str, Any]:
    """Run ``build_ops`` sequentially; errors counted by type, not raised."""
    ops = build_ops(gets, updates, ids)
    ok = errors = rate_limited = 0
    kinds: dict[str, int] = {}

    def work() -> dict[str, Any]:
        nonlocal ok, errors, rate_limited
        for n, (kind, deal_id) in enumerate(ops):
            try:
                if kind == "get":
                    get_one(deal_id)
                else:
                    update_one(deal_id, f"Updated {n} at {time.time():.3f}")
                ok += 1
            except Exception as exc:  # every failure is the finding, not a crash
                errors += 1
                if status_of(exc) == 429:
                    rate_limited += 1
                name = type(exc).__name__
                kinds[name] = kinds.get(name, 0) + 1
        return {
            "operations": len(ops),
            "ok": ok,
            "errors": errors,
            "rate_limited_seen": rate_limited,
            "error_kinds": kinds,
        }

    return measure(work)


def finish(result: dict[str, Any]) -> int:
    emit(result)
    return 0
