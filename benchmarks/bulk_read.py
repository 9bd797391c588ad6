"""Benchmark 1: iterate every deal of a large account; time and memory against the raw floor and peers.

Two origins:
- ``replay``: a page-replay server (serve_pages.py) serving pages built from deals the sandbox
  serialized. Its cost per page is small and the same for everyone, so the ratios measure the clients.
- ``sandbox``: the real sandbox end to end at a smaller count (its page rendering dominates).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import peer_env, pieces
from benchmarks.context import Context
from benchmarks.procs import ChildError, ChildServer, run_worker
from benchmarks.results import Section, Skipped, Target
from benchmarks.sandbox_ops import Sandbox
from benchmarks.stats import interleave, median, median_ratio

TITLE = "Bulk read: iterate every deal"
OUR = ("sync", "async", "sync-generated", "async-generated")
# The targets: within 1.10x of the raw httpx loop for the sync client, 1.25x for the async one.
TARGET = {"sync": 1.10, "async": 1.25, "sync-generated": 1.10, "async-generated": 1.25}
JUDGED_FROM = 10_000
TEMPLATE_DEALS = 50


def _worker(impl: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.read_worker", impl]


def _record_template(sb: Sandbox, path: Path) -> bool:
    """Save one v2 and one v1 page of the sandbox's deals; False when the sandbox has no /v1/deals."""
    http = sb._client()
    v2 = http.get("/api/v2/deals", params={"limit": TEMPLATE_DEALS}).raise_for_status().json()
    v1_resp = http.get("/v1/deals", params={"limit": TEMPLATE_DEALS, "start": 0})
    v1 = v1_resp.json() if v1_resp.status_code == 200 else {"data": v2["data"]}
    path.write_text(json.dumps({"v2": v2, "v1": v1}), encoding="utf-8")
    return v1_resp.status_code == 200


def _implementations(ctx: Context, section: Section, has_v1: bool) -> dict[str, list[str]]:
    impls: dict[str, list[str]] = {
        name: _worker(name) for name in ("raw-v2", "raw-v2-orjson", "raw-v2-async")
    }
    try:
        pieces.require_client_deals("iterate")
        for name in OUR:
            impls[name] = _worker(name)
    except Skipped as exc:
        section.notes.append(f"this client skipped: {exc}")
    if has_v1:
        impls["raw-v1"] = _worker("raw-v1")
    else:
        section.notes.append("raw-v1 floor and v1 peers skipped: the sandbox does not serve GET /v1/deals")
    if ctx.peers:
        try:
            python = str(peer_env.ensure(ctx.progress))
            section.notes.append(
                f"peers run under {peer_env.interpreter_version(Path(python))} (see peer_env.py)"
            )
            for peer in peer_env.PEERS:
                if peer.floor in impls:
                    impls[peer.name] = [python, "-m", peer.module, peer.read_op]
        except Skipped as exc:
            section.notes.append(f"peers skipped: {exc}")
    return impls


def _floor_of(impl: str) -> str:
    for peer in peer_env.PEERS:
        if peer.name == impl:
            return peer.floor
    return "raw-v1" if impl == "raw-v1" else "raw-v2"


def _measure(
    ctx: Context,
    label: str,
    base_url: str,
    token: str,
    impls: dict[str, list[str]],
    *,
    trace: bool,
    reps: int | None = None,
) -> dict[str, Any]:
    reps = reps or ctx.reps

    def once(impl: str, rep: int) -> dict[str, Any]:
        ctx.progress(f"  bulk read {label}: {impl} (rep {rep + 1}/{reps})")
        try:
            return run_worker([*impls[impl], "--base-url", base_url, "--token", token], timeout=900)
        except ChildError as exc:
            return {"error": str(exc)}

    samples = interleave(list(impls), reps, once)
    traced: dict[str, dict[str, Any]] = {}
    if trace:
        for impl in impls:
            ctx.progress(f"  bulk read {label}: {impl} with tracemalloc")
            try:
                cmd = [*impls[impl], "--base-url", base_url, "--token", token, "--trace"]
                traced[impl] = run_worker(cmd, timeout=900)
            except ChildError as exc:
                traced[impl] = {"error": str(exc)}
    return {"samples": samples, "traced": traced}


def run(ctx: Context) -> Section:
    section = Section(
        "bulk_read",
        TITLE,
        columns=[
            "origin",
            "deals",
            "implementation",
            "median s",
            "deals/s",
            "x floor (paired median)",
            "floor",
            "RSS growth MiB",
            "tracemalloc peak MiB",
        ],
    )
    sizes = (2_000, 10_000) if ctx.quick else (10_000, 100_000)
    e2e_size = 1_000 if ctx.quick else 5_000
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        template = Path(tmp) / "template.json"
        with Sandbox(seed="empty", deals=TEMPLATE_DEALS) as sb:
            has_v1 = _record_template(sb, template)
        impls = _implementations(ctx, section, has_v1)
        section.data["implementations"] = list(impls)
        per_size: dict[int, dict[str, Any]] = {}
        for size in sizes:
            args = ["--template", str(template), "--count", str(size)]
            with ChildServer("benchmarks.serve_pages", args, health_path="/healthz") as pages:
                per_size[size] = _measure(
                    ctx, f"{size:,} (replay)", pages.base_url, "bench-token", impls, trace=True
                )
            _tabulate(section, "replay", size, per_size[size])
    ctx.progress(f"  bulk read: seeding the sandbox with {e2e_size:,} deals for the end-to-end rows")
    e2e_impls = {k: v for k, v in impls.items() if k in ("raw-v2", *OUR)}
    with Sandbox(seed="empty", deals=e2e_size) as sb:
        e2e_reps = min(ctx.reps, 2) if ctx.quick else ctx.reps
        e2e = _measure(
            ctx, f"{e2e_size:,} (sandbox)", sb.base_url, sb.token, e2e_impls, trace=False, reps=e2e_reps
        )
    _tabulate(section, "sandbox", e2e_size, e2e)
    section.data["per_size"] = {str(k): v for k, v in per_size.items()}
    section.data["end_to_end"] = e2e
    section.notes.append(
        f"replay: pages built from {TEMPLATE_DEALS} deals the sandbox serialized (v2 and v1 shapes), ids "
        "renumbered, served by a small Starlette app in its own process; every implementation reads the "
        "same bytes. sandbox: the real sandbox end to end. Times exclude interpreter start-up and imports "
        "(for every implementation, also the modules httpx and anyio import on first use: a program pays "
        "them once per process); each run is a fresh process. raw-v2 decodes with httpx's .json() "
        "(stdlib json), raw-v2-orjson with orjson as this client does, raw-v2-async is the orjson loop on "
        "httpx.AsyncClient (httpx's async stack by itself); x floor is against raw-v2. "
        "sync/async: the hand-made pd.deals.iterate(); *-generated: pd.api.deals.iterate() (every "
        "generated iterator runs the same code). Both yield typed models validated lazily (client/_lazy.py)."
    )
    _targets(section, sizes, per_size)
    return section


def _tabulate(section: Section, origin: str, size: int, measured: dict[str, Any]) -> None:
    samples: dict[str, list[dict[str, Any]]] = measured["samples"]
    traced: dict[str, dict[str, Any]] = measured["traced"]
    times = {impl: [r["seconds"] for r in runs if "error" not in r] for impl, runs in samples.items()}
    for impl, runs in samples.items():
        errors = [r["error"] for r in runs if "error" in r]
        if errors:
            last = [line.strip() for line in errors[0].splitlines() if line.strip()][-1]
            section.notes.append(f"{impl} at {size:,} ({origin}): {len(errors)} run(s) failed: {last[:300]}")
        good = [r for r in runs if "error" not in r]
        if not good:
            continue
        counts = {r.get("count") for r in good}
        if counts != {size}:
            section.notes.append(f"{impl} at {size:,} ({origin}) read {sorted(counts, key=str)} deals")
        floor = _floor_of(impl)
        ratio = (
            median_ratio({impl: times[impl], floor: times[floor]}, floor).get(impl)
            if times.get(floor)
            else None
        )
        seconds = median(times[impl])
        trace = traced.get(impl, {})
        section.add_row(
            origin,
            size,
            impl,
            round(seconds, 3),
            round(size / seconds) if seconds else None,
            round(ratio, 3) if ratio is not None else None,
            floor,
            round(median([r["rss_growth_kb"] for r in good]) / 1024, 1),
            round(trace["tracemalloc_peak_kb"] / 1024, 1) if "tracemalloc_peak_kb" in trace else None,
        )


def _targets(section: Section, sizes: tuple[int, ...], per_size: dict[int, dict[str, Any]]) -> None:
    big, small = sizes[-1], sizes[0]
    rows = {(row[0], row[1], row[2]): row for row in section.rows}
    for impl in OUR:
        limit = TARGET[impl]
        row = rows.get(("replay", big, impl))
        if row is None:
            section.targets.append(
                Target(f"{impl} time vs floor", f"<= {limit}x raw httpx", None, "not measured")
            )
            continue
        # The sizes are 10,000 and 100,000 deals; a smaller quick size is shown, not judged
        # (a few pages, where the per-run set-up weighs more than reading).
        at = {size: rows.get(("replay", size, impl)) for size in sizes}
        ratios = {size: r[5] for size, r in at.items() if r is not None}
        judged = [r for size, r in ratios.items() if size >= JUDGED_FROM]
        section.targets.append(
            Target(
                f"{impl} time vs floor",
                f"<= {limit}x raw httpx at {JUDGED_FROM:,} deals and more",
                bool(judged) and all(r is not None and r <= limit for r in judged),
                ", ".join(f"{r}x at {size:,}" for size, r in ratios.items()) + " deals",
            )
        )
        small_peak = per_size[small]["traced"].get(impl, {}).get("tracemalloc_peak_kb")
        big_peak = per_size[big]["traced"].get(impl, {}).get("tracemalloc_peak_kb")
        floor_small = per_size[small]["traced"].get("raw-v2", {}).get("tracemalloc_peak_kb")
        floor_big = per_size[big]["traced"].get("raw-v2", {}).get("tracemalloc_peak_kb")
        floor_note = (
            f"; raw httpx floor {floor_small / 1024:.1f} -> {floor_big / 1024:.1f} MiB"
            if floor_small and floor_big
            else ""
        )
        if small_peak and big_peak:
            growth = big_peak / small_peak
            section.targets.append(
                Target(
                    f"{impl} memory flat",
                    f"tracemalloc peak at {big:,} <= 1.25x peak at {small:,}",
                    growth <= 1.25,
                    f"{small_peak / 1024:.1f} MiB -> {big_peak / 1024:.1f} MiB "
                    f"({growth:.2f}x for {big // small}x the deals){floor_note}",
                )
            )
