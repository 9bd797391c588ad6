"""Smoke tests of the benchmark harness: statistics, interleaving, child-result protocol, the command.

No timing is asserted: these only prove the harness computes and reports correctly.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from benchmarks.loadgen import run_load
from benchmarks.payloads import malformed_body
from benchmarks.probe import RESULT_PREFIX, measure, parse_result
from benchmarks.procs import ChildServer
from benchmarks.report import BEGIN, END, update_doc
from benchmarks.results import Run, Section, Target, write_json
from benchmarks.serve_pages import build_app
from benchmarks.stats import interleave, median, median_ratio, paired_ratios, percentile, rotated

REPO = Path(__file__).resolve().parent.parent


def test_interleave_runs_every_case_once_per_rep_in_rotated_order() -> None:
    calls: list[tuple[str, int]] = []

    def run(case: str, rep: int) -> int:
        calls.append((case, rep))
        return len(calls)

    results = interleave(["a", "b", "c"], 3, run)
    assert [c for c, _ in calls] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert results == {"a": [1, 6, 8], "b": [2, 4, 9], "c": [3, 5, 7]}
    assert rotated(["x", "y"], 3) == ["y", "x"]


def test_interleave_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="reps must be at least 1"):
        interleave(["a"], 0, lambda c, r: 0)
    with pytest.raises(ValueError, match="unique"):
        interleave(["a", "a"], 1, lambda c, r: 0)


def test_median_percentile_and_paired_ratios() -> None:
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    samples = {"floor": [1.0, 2.0, 4.0], "client": [1.1, 2.4, 4.0]}
    assert paired_ratios(samples, "floor")["client"] == pytest.approx([1.1, 1.2, 1.0])
    assert median_ratio(samples, "floor") == pytest.approx({"floor": 1.0, "client": 1.1})
    with pytest.raises(ValueError, match="baseline"):
        median_ratio(samples, "missing")
    with pytest.raises(ValueError):
        percentile([], 50)


def test_measure_and_child_result_protocol() -> None:
    result = measure(lambda: {"count": len(bytearray(2_000_000))}, trace=True)
    assert result["count"] == 2_000_000
    assert result["seconds"] >= 0
    assert result["tracemalloc_peak_kb"] >= 1900  # the 2 MB bytearray was traced
    line = RESULT_PREFIX + json.dumps({"seconds": 1.5})
    assert parse_result(f"noise\n{line}\n") == {"seconds": 1.5}
    with pytest.raises(ValueError, match="no BENCH-RESULT"):
        parse_result("Traceback ...\n")


def test_command_help_and_unknown_benchmark() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert ok.returncode == 0
    assert "--quick" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "benchmarks", "nope"], cwd=REPO, capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "unknown benchmark(s) nope" in bad.stderr


def test_report_renders_table_and_updates_doc_block(tmp_path: Path) -> None:
    section = Section("demo", "Demo", columns=["implementation", "median s"])
    section.add_row("floor", 1.25)
    section.targets.append(Target("speed", "<= 1.15x", False, "1.3x"))
    skipped = Section("other", "Other", status="skipped", reason="client is missing")
    run = Run(
        "python -m benchmarks demo",
        True,
        "2026-01-01T00:00:00+00:00",
        {"cpu": "cpu", "cores": 2, "ram_gib": 1.0, "os": "Linux", "python": "CPython 3.11"},
        [section, skipped],
    )
    results = tmp_path / "latest.json"
    write_json(run, results)
    shown = subprocess.run(
        [sys.executable, "-m", "benchmarks", "report", "--json", str(results)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert "1.25" in shown.stdout and "MISSED" in shown.stdout and "client is missing" in shown.stdout
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Perf\n\nhand-written\n\n{BEGIN}\nold\n{END}\n\ntail\n", encoding="utf-8")
    update_doc(doc, run.to_json())
    text = doc.read_text(encoding="utf-8")
    assert "hand-written" in text and "tail" in text and "old" not in text
    assert "| floor | 1.25 |" in text and "**skipped**: client is missing" in text


def test_load_generator_against_the_floor_server() -> None:
    with ChildServer("benchmarks.serve_floor", health_path="/healthz") as server:
        result = asyncio.run(
            run_load(server.base_url + "/webhooks/x", lambda n: b'{"n": %d}' % n, {}, rate=40, duration=0.25)
        )
    summary = result.summary()
    assert summary["sent"] == 10
    assert summary["acknowledged"] == 10
    assert summary["statuses"] == {"200": 10}
    assert summary["p50_ms"] is not None


def test_load_generator_refuses_non_loopback_targets() -> None:
    with pytest.raises(ValueError, match="loopback"):
        asyncio.run(run_load("http://example.com/x", lambda n: b"{}", {}, rate=1, duration=1))


def _template() -> dict[str, object]:
    deals = [{"id": n, "title": f"t{n}", "value": n, "custom_fields": {}} for n in range(1, 4)]
    return {"v2": {"data": deals}, "v1": {"data": deals, "related_objects": {"user": {}}}}


def test_replay_origin_pages_v2_cursors_and_v1_offsets() -> None:
    app = build_app(_template(), count=1_234)

    async def read() -> tuple[list[int], list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replay") as http:
            v2_ids: list[int] = []
            params: dict[str, int | str] = {"limit": 500}
            while True:
                body = (await http.get("/api/v2/deals", params=params)).json()
                v2_ids += [d["id"] for d in body["data"]]
                cursor = body["additional_data"]["next_cursor"]
                if not cursor:
                    break
                params = {"limit": 500, "cursor": cursor}
            v1_ids: list[int] = []
            start = 0
            while True:
                body = (await http.get("/v1/deals", params={"start": start, "limit": 500})).json()
                v1_ids += [d["id"] for d in body["data"]]
                pagination = body["additional_data"]["pagination"]
                if not pagination["more_items_in_collection"]:
                    break
                start = pagination["next_start"]
            return v2_ids, v1_ids

    v2_ids, v1_ids = asyncio.run(read())
    assert v2_ids == list(range(1, 1_235))
    assert v1_ids == v2_ids


def test_malformed_body_generator_is_deterministic_and_varied() -> None:
    rng, rng_again = random.Random(5), random.Random(5)
    first = [malformed_body(n, rng) for n in range(300)]
    again = [malformed_body(n, rng_again) for n in range(300)]
    assert [kind for kind, _ in first] == [kind for kind, _ in again]
    kinds = {kind for kind, _ in first}
    assert {"truncated", "not_utf8", "random_bytes", "wrong_type", "meta_not_object"} <= kinds
    assert all(isinstance(body, bytes) for _, body in first)


def test_sandbox_scale_measures_every_case_at_tiny_sizes() -> None:
    from benchmarks.sandbox_scale import Sizes, measure
    from benchmarks.sandbox_throughput import COLUMNS

    section = Section("sandbox", "Sandbox", columns=COLUMNS)
    measure(section, lambda message: None, sizes=Sizes(small=5, medium=20, large=120), seconds=0.1, reps=1)
    operations = [(row[1], row[2]) for row in section.rows]
    assert ("GET /api/v2/deals/{id}", 5) in operations and ("GET /api/v2/deals/{id}", 120) in operations
    assert ("POST /_sandbox/bulk (one request)", 120) in operations
    assert all(row[4] > 0 for row in section.rows)
    # the targets name the sizes compared, and are not judged below the full sizes
    assert [t.name for t in section.targets] == [
        "GET by id at 120 vs 5 deals",
        "page of 500 at 120 vs 20 deals",
        "bulk create of 120 deals",
    ]
    assert all(t.met is None and t.detail for t in section.targets)


def test_drill_redis_limiter_quick_runs_both_limiters(tmp_path: Path, redis_url: str) -> None:
    out = tmp_path / "run.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "drill-redis-limiter",
            "--quick",
            "--reps",
            "1",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIPEDRIVE_TEST_REDIS_URL": redis_url},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (section,) = json.loads(out.read_text())["sections"]
    assert section["status"] == "ok"
    assert [row[0] for row in section["rows"]] == [
        "shared (redis)",
        "per process (local)",
        "shared, 2 async x 4 tasks",
    ]
    shared = section["rows"][0]
    assert shared[2] == 60 and shared[3] == 0 and shared[4] == 0  # all ok, no error, no 429 surfaced
