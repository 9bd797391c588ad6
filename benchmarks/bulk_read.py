"""Benchmark 1: iterate every deal of a large account; time and memory against the raw floor and peers."""

from __future__ import annotations

import sys
from typing import Any

import httpx

from benchmarks import peer_env, pieces
from benchmarks.context import Context
from benchmarks.procs import ChildError, run_worker
from benchmarks.results import Section, Skipped, Target
from benchmarks.sandbox_ops import Sandbox
from benchmarks.stats import interleave, median, median_ratio

TITLE = "Bulk read: iterate every deal"
OUR = ("sync", "async")


def _implementations(ctx: Context, sb: Sandbox, section: Section) -> dict[str, list[str]]:
    """Implementation name -> the command that runs it once (base URL and token appended later)."""
    impls: dict[str, list[str]] = {"raw-v2": [sys.executable, "-m", "benchmarks.read_worker", "raw-v2"]}
    try:
        pieces.require_client_deals("iterate")
        for name in OUR:
            impls[name] = [sys.executable, "-m", "benchmarks.read_worker", name]
    except Skipped as exc:
        section.notes.append(f"this client skipped: {exc}")
    v1 = httpx.get(
        f"{sb.base_url}/v1/deals", params={"limit": 1}, headers={"x-api-token": sb.token}, timeout=10
    )
    if v1.status_code == 200:
        impls["raw-v1"] = [sys.executable, "-m", "benchmarks.read_worker", "raw-v1"]
    else:
        section.notes.append(f"raw-v1 floor skipped: GET /v1/deals answered {v1.status_code}")
    if ctx.peers:
        try:
            python = str(peer_env.ensure(ctx.progress))
            for peer in peer_env.PEERS:
                if peer.floor in impls:
                    impls[peer.name] = [python, "-m", peer.module, "read"]
                else:
                    section.notes.append(f"{peer.name} skipped: the sandbox does not serve {peer.api} yet")
        except Skipped as exc:
            section.notes.append(f"peers skipped: {exc}")
    return impls


def _floor_of(impl: str) -> str:
    for peer in peer_env.PEERS:
        if peer.name == impl:
            return peer.floor
    return "raw-v1" if impl == "raw-v1" else "raw-v2"


def run(ctx: Context) -> Section:
    section = Section(
        "bulk_read",
        TITLE,
        columns=[
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
    reps = ctx.reps
    with Sandbox(seed="empty") as sb:
        impls = _implementations(ctx, sb, section)
        section.data["implementations"] = list(impls)
        per_size: dict[int, dict[str, Any]] = {}
        for size in sizes:
            seeding = sb.seed_deals(size, ctx.progress)
            section.data.setdefault("seeding", {})[str(size)] = seeding
            count = sb.deal_count()
            if count != size:
                section.notes.append(f"sandbox serves {count} deals where {size} were seeded")

            def once(impl: str, rep: int, size: int = size) -> dict[str, Any]:
                ctx.progress(f"  bulk read {size:,}: {impl} (rep {rep + 1}/{reps})")
                cmd = [*impls[impl], "--base-url", sb.base_url, "--token", sb.token]
                try:
                    return run_worker(cmd, timeout=600)
                except ChildError as exc:
                    return {"error": str(exc)}

            samples = interleave(list(impls), reps, once)
            traced: dict[str, dict[str, Any]] = {}
            for impl in impls:
                ctx.progress(f"  bulk read {size:,}: {impl} with tracemalloc")
                try:
                    traced[impl] = run_worker(
                        [*impls[impl], "--base-url", sb.base_url, "--token", sb.token, "--trace"], timeout=900
                    )
                except ChildError as exc:
                    traced[impl] = {"error": str(exc)}
            per_size[size] = {"samples": samples, "traced": traced}
            _tabulate(section, size, samples, traced)
        section.data["per_size"] = {str(k): v for k, v in per_size.items()}
    _targets(section, sizes, per_size)
    return section


def _ok_times(runs: list[dict[str, Any]]) -> list[float]:
    return [r["seconds"] for r in runs if "error" not in r]


def _tabulate(
    section: Section, size: int, samples: dict[str, list[dict[str, Any]]], traced: dict[str, dict[str, Any]]
) -> None:
    times = {impl: _ok_times(runs) for impl, runs in samples.items()}
    reference = next((r for r in samples.get("raw-v2", []) if "error" not in r), None)
    for impl, runs in samples.items():
        errors = [r["error"] for r in runs if "error" in r]
        if errors:
            section.notes.append(f"{impl} at {size:,}: {len(errors)} run(s) failed: {errors[0][:300]}")
        good = [r for r in runs if "error" not in r]
        if not good:
            continue
        if reference and any(r.get("count") != reference.get("count") for r in good):
            section.notes.append(
                f"{impl} at {size:,} read {good[0].get('count')} deals, raw-v2 {reference.get('count')}"
            )
        floor = _floor_of(impl)
        paired = {k: v for k, v in times.items() if k in (impl, floor)}
        ratio = median_ratio(paired, floor).get(impl) if paired.get(floor) else None
        seconds = median(times[impl])
        trace = traced.get(impl, {})
        section.add_row(
            size,
            impl,
            round(seconds, 3),
            round(good[0].get("count", 0) / seconds) if seconds else None,
            round(ratio, 3) if ratio is not None else None,
            floor,
            round(median([r["rss_growth_kb"] for r in good]) / 1024, 1),
            round(trace["tracemalloc_peak_kb"] / 1024, 1) if "tracemalloc_peak_kb" in trace else None,
        )


def _targets(section: Section, sizes: tuple[int, ...], per_size: dict[int, dict[str, Any]]) -> None:
    big, small = sizes[-1], sizes[0]
    rows = {(row[0], row[1]): row for row in section.rows}
    for impl in OUR:
        row = rows.get((big, impl))
        if row is None:
            section.targets.append(
                Target(f"{impl} time vs floor", "<= 1.15x raw httpx", None, "not measured")
            )
            continue
        ratio = row[4]
        section.targets.append(
            Target(
                f"{impl} time vs floor",
                "<= 1.15x raw httpx",
                ratio is not None and ratio <= 1.15,
                f"{ratio}x at {big:,} deals",
            )
        )
        small_peak = per_size[small]["traced"].get(impl, {}).get("tracemalloc_peak_kb")
        big_peak = per_size[big]["traced"].get(impl, {}).get("tracemalloc_peak_kb")
        if small_peak and big_peak:
            growth = big_peak / small_peak
            section.targets.append(
                Target(
                    f"{impl} memory flat",
                    f"peak at {big:,} <= 1.25x peak at {small:,}",
                    growth <= 1.25,
                    f"{small_peak / 1024:.1f} MiB -> {big_peak / 1024:.1f} MiB "
                    f"({growth:.2f}x for {big // small}x the deals)",
                )
            )
