"""Benchmark 4: how many simple GETs and creates per second the sandbox serves."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import httpx

from benchmarks.context import Context
from benchmarks.results import Section
from benchmarks.sandbox_ops import TOKEN, Sandbox, require
from benchmarks.stats import interleave, median

TITLE = "Sandbox throughput: simple GETs and creates"
CONCURRENCY = 16


def _sequential(base_url: str, kind: str, count: int, ids: list[int]) -> float:
    with httpx.Client(base_url=base_url, headers={"x-api-token": TOKEN}, timeout=30) as http:
        started = time.perf_counter()
        for i in range(count):
            if kind == "get":
                resp = http.get(f"/api/v2/deals/{ids[i % len(ids)]}")
            else:
                resp = http.post("/api/v2/deals", json={"title": f"Throughput {i}"})
            if resp.status_code >= 300:
                raise RuntimeError(f"{kind} answered {resp.status_code}: {resp.text[:200]}")
        return count / (time.perf_counter() - started)


async def _concurrent(base_url: str, kind: str, count: int, ids: list[int]) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"x-api-token": TOKEN}, timeout=30, limits=limits
    ) as http:
        counter = iter(range(count))

        async def worker() -> None:
            for i in counter:
                if kind == "get":
                    resp = await http.get(f"/api/v2/deals/{ids[i % len(ids)]}")
                else:
                    resp = await http.post("/api/v2/deals", json={"title": f"Throughput {i}"})
                if resp.status_code >= 300:
                    raise RuntimeError(f"{kind} answered {resp.status_code}: {resp.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


@contextlib.contextmanager
def _in_process_sandbox() -> Iterator[str | None]:
    """The sandbox as the pytest fixture runs it: uvicorn in a thread of the test process."""
    try:
        mod = require("pipedrive_connector.sandbox", "run_sandbox", "SandboxSettings", what="run_sandbox")
    except Exception:
        yield None
        return
    with mod.run_sandbox(mod.SandboxSettings(api_token=TOKEN, seed="empty")) as sb:
        yield str(sb.base_url)


def _ids(base_url: str, n: int) -> list[int]:
    with httpx.Client(base_url=base_url, headers={"x-api-token": TOKEN}, timeout=30) as http:
        ids = []
        for i in range(n):
            resp = http.post("/api/v2/deals", json={"title": f"Target {i}"})
            resp.raise_for_status()
            ids.append(int(resp.json()["data"]["id"]))
        return ids


def run(ctx: Context) -> Section:
    section = Section(
        "sandbox", TITLE, columns=["server", "operation", "clients", "requests/run", "median req/s", "runs"]
    )
    seq_n = ctx.scaled(2_000, 400)
    conc_n = ctx.scaled(5_000, 1_000)
    cases = ["get x1", "create x1", f"get x{CONCURRENCY}", f"create x{CONCURRENCY}"]

    def measure_server(label: str, base_url: str) -> None:
        ids = _ids(base_url, 50)

        def once(case: str, rep: int) -> float:
            kind, clients = case.split(" x")
            ctx.progress(f"  sandbox {label}: {case} (rep {rep + 1}/{ctx.reps})")
            if clients == "1":
                return _sequential(base_url, kind, seq_n, ids)
            return asyncio.run(_concurrent(base_url, kind, conc_n, ids))

        samples = interleave(cases, ctx.reps, once)
        for case, rates in samples.items():
            kind, clients = case.split(" x")
            section.add_row(
                label,
                "GET /api/v2/deals/{id}" if kind == "get" else "POST /api/v2/deals",
                int(clients),
                seq_n if clients == "1" else conc_n,
                round(median(rates)),
                len(rates),
            )
        section.data[label] = samples

    with Sandbox(seed="empty") as sb:
        measure_server("own process (loopback)", sb.base_url)
    with _in_process_sandbox() as url:
        if url is None:
            section.notes.append("in-process sandbox skipped: run_sandbox is missing")
        else:
            measure_server("in-process thread (pytest fixture)", url)
    section.notes.append(
        "The load generator is Python httpx in the benchmark process (one core); the sandbox has the other "
        "core in the own-process rows and shares the load generator's GIL in the in-process rows."
    )
    return section
