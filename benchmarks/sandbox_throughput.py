"""Benchmark 4: how many simple GETs and creates per second the sandbox serves."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator

import httpx

from benchmarks.context import Context
from benchmarks.rawhttp import RawPool
from benchmarks.results import Section
from benchmarks.sandbox_ops import TOKEN, Sandbox, require
from benchmarks.stats import interleave, median

TITLE = "Sandbox throughput: simple GETs and creates"
CONCURRENCY = 16
HEADERS = {"x-api-token": TOKEN, "Content-Type": "application/json"}


def _sequential(base_url: str, kind: str, seconds: float, ids: list[int]) -> float:
    """One httpx.Client, one request after another, for ``seconds``: requests per second."""
    with httpx.Client(base_url=base_url, headers={"x-api-token": TOKEN}, timeout=30) as http:
        done = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            if kind == "get":
                resp = http.get(f"/api/v2/deals/{ids[done % len(ids)]}")
            else:
                resp = http.post("/api/v2/deals", json={"title": f"Throughput {done}"})
            if resp.status_code >= 300:
                raise RuntimeError(f"{kind} answered {resp.status_code}: {resp.text[:200]}")
            done += 1
        return done / (time.perf_counter() - started)


async def _concurrent(base_url: str, kind: str, seconds: float, ids: list[int]) -> float:
    """``CONCURRENCY`` keep-alive connections busy for ``seconds``: requests per second."""
    host, port = base_url.removeprefix("http://").split(":")
    pool = RawPool(host, int(port), max_connections=CONCURRENCY)
    done = 0
    started = time.perf_counter()

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() - started < seconds:
            n = done
            if kind == "get":
                status, body = await pool.request("GET", f"/api/v2/deals/{ids[n % len(ids)]}", b"", HEADERS)
            else:
                payload = json.dumps({"title": f"Throughput {n}"}).encode()
                status, body = await pool.request("POST", "/api/v2/deals", payload, HEADERS)
            if status >= 300:
                raise RuntimeError(f"{kind} answered {status}: {body[:200]!r}")
            done += 1

    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    finally:
        await pool.close()
    return done / (time.perf_counter() - started)


@contextlib.contextmanager
def _in_process_sandbox() -> Iterator[str]:
    """The sandbox as the pytest fixture runs it: uvicorn in a thread of the test process."""
    mod = require("pipedrive_connector.sandbox", "run_sandbox", "SandboxSettings", what="run_sandbox")
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
        "sandbox", TITLE, columns=["server", "operation", "clients", "seconds/run", "median req/s", "runs"]
    )
    seconds = 1.0 if ctx.quick else 4.0
    cases = ["get x1", "create x1", f"get x{CONCURRENCY}", f"create x{CONCURRENCY}"]

    def measure_server(label: str, base_url: str, cases: list[str]) -> None:
        ids = _ids(base_url, 20)

        def once(case: str, rep: int) -> float:
            kind, clients = case.split(" x")
            ctx.progress(f"  sandbox {label}: {case} (rep {rep + 1}/{ctx.reps})")
            if clients == "1":
                return _sequential(base_url, kind, seconds, ids)
            return asyncio.run(_concurrent(base_url, kind, seconds, ids))

        samples = interleave(cases, ctx.reps, once)
        for case, rates in samples.items():
            kind, clients = case.split(" x")
            operation = "GET /api/v2/deals/{id}" if kind == "get" else "POST /api/v2/deals"
            section.add_row(label, operation, int(clients), seconds, round(median(rates)), len(rates))
        section.data[label] = samples

    with Sandbox(seed="empty") as sb:
        measure_server("own process (loopback)", sb.base_url, cases)
    # The in-process rows take only one repetition of the sequential cases: they are the slow ones.
    with _in_process_sandbox() as url:
        measure_server("in-process thread (pytest fixture)", url, cases[:2])
    section.notes.append(
        "x1 = one httpx.Client, requests back to back; x16 = 16 keep-alive connections from an asyncio "
        "load generator. The generator runs in the benchmark process; the own-process sandbox has its own "
        "process, the in-process one runs in a thread of the benchmark process (as the pytest fixture does)."
    )
    return section
