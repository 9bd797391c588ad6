"""The /_sandbox control plane, --db persistence, and `pipedrive sandbox serve`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sandbox_testkit import Api
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli_app
from pipedrive_connector.sandbox import SandboxSettings, run_sandbox
from pipedrive_connector.sandbox.server import free_port


def test_reset_state_and_dump(api: Api) -> None:
    api.post("/api/v2/deals", json={"title": "Temporary"})
    state = api.client.get("/_sandbox/state").json()["data"]
    assert state["counts"]["deal"] == 16 and state["seed"] == "demo"
    assert state["settings"]["company_domain"] == "sandbox" and "api_token" not in state["settings"]
    empty = api.client.post("/_sandbox/reset", json={"seed": "empty"}).json()["data"]
    assert empty["seed"] == "empty" and "deal" not in empty["counts"] and empty["counts"]["user"] == 1
    assert api.get("/api/v2/deals").json()["data"] == []
    assert api.get("/v1/users/me").status_code == 200
    demo = api.client.post("/_sandbox/reset", json={"seed": "demo"}).json()["data"]
    assert demo["counts"]["deal"] == 15
    dump = api.client.get("/_sandbox/dump").json()["data"]
    assert {"deal", "person", "organization", "lead", "activity", "user", "pipeline", "stage"} <= set(dump)
    assert dump["deal"][0]["title"] == "Acme CRM rollout"
    assert api.client.post("/_sandbox/reset", json={"seed": "bogus"}).status_code == 400


def test_clock_moves_forward_only(api: Api) -> None:
    before = api.client.get("/_sandbox/state").json()["data"]["now"]
    moved = api.client.post("/_sandbox/clock", json={"advance_seconds": 3600}).json()
    assert moved["offset_seconds"] == 3600 and moved["now"] > before
    created = api.post("/api/v2/deals", json={"title": "Later"}).json()["data"]
    assert created["add_time"] >= moved["now"][:19]
    for bad in ({"advance_seconds": -1}, {"advance_seconds": "soon"}, {"advance_seconds": True}):
        assert api.client.post("/_sandbox/clock", json=bad).status_code == 400
    assert api.client.post("/_sandbox/clock", content=b"{nope").status_code == 400


def test_empty_seed_still_has_an_account_to_work_with(empty_api: Api) -> None:
    assert empty_api.get("/v1/users").json()["data"][0]["id"] == 1
    assert len(empty_api.get("/api/v2/pipelines").json()["data"]) == 1
    deal = empty_api.post("/api/v2/deals", json={"title": "First"}).json()["data"]
    assert deal["id"] == 1 and deal["stage_id"] == 1


def test_db_path_persists_across_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    with run_sandbox(SandboxSettings(api_token="p", db_path=db)) as first:
        created = httpx.post(
            f"{first.base_url}/api/v2/deals", json={"title": "Survivor"}, headers={"x-api-token": "p"}
        )
        deal_id = created.json()["data"]["id"]
    with run_sandbox(SandboxSettings(api_token="p", db_path=db)) as second:
        again = httpx.get(f"{second.base_url}/api/v2/deals/{deal_id}", headers={"x-api-token": "p"})
        assert again.status_code == 200 and again.json()["data"]["title"] == "Survivor"
    assert (tmp_path / "sandbox.db-wal").exists() or (tmp_path / "sandbox.db").stat().st_size > 0


@contextmanager
def serve(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipedrive_connector.cli.main",
            "sandbox",
            "serve",
            "--port",
            str(port),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base_url}/_sandbox/state", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base_url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_serve_prints_url_and_token_and_serves_v2_deals_and_v1_leads(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    with serve("--api-token", "t0k", "--seed", "demo", "--db", db) as (base_url, process):
        headers = {"x-api-token": "t0k"}
        assert httpx.get(f"{base_url}/api/v2/deals", headers=headers).json()["data"]
        assert httpx.get(f"{base_url}/v1/leads", headers=headers).json()["data"]
        assert httpx.get(f"{base_url}/v1/leads").status_code == 401
        httpx.post(f"{base_url}/api/v2/deals", json={"title": "Kept"}, headers=headers)
    output = process.stdout.read() if process.stdout else ""
    assert base_url in output and "t0k" in output
    with serve("--api-token", "t0k", "--db", db, "--seed", "empty") as (base_url, _):
        titles = [
            d["title"]
            for d in httpx.get(
                f"{base_url}/api/v2/deals", params={"limit": 500}, headers={"x-api-token": "t0k"}
            ).json()["data"]
        ]
        assert "Kept" in titles and "Acme CRM rollout" in titles


def test_cli_rejects_bad_options_with_a_clear_message() -> None:
    runner = CliRunner()
    for args, name in (
        (["--seed", "full"], "--seed"),
        (["--rate-limit", "mega"], "--rate-limit"),
        (["--webhook-retry-delays", "3,x"], "3,x"),
    ):
        result = runner.invoke(cli_app, ["sandbox", "serve", *args])
        assert result.exit_code != 0
        assert name in result.output


def test_store_transaction_groups_bulk_writes_and_rolls_back_on_error(api: Api) -> None:
    store = api.state.store
    before = store.counts()["deal"]
    with store.transaction():
        for n in range(3):
            store.put("deal", {**store.all("deal")[0], "id": store.next_id("deal"), "title": f"Bulk {n}"})
    assert store.counts()["deal"] == before + 3
    try:
        with store.transaction():
            store.put("deal", {**store.all("deal")[0], "id": store.next_id("deal"), "title": "Rolled back"})
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert store.counts()["deal"] == before + 3
    titles = [d["title"] for d in api.get("/api/v2/deals", params={"limit": 500}).json()["data"]]
    assert "Bulk 2" in titles and "Rolled back" not in titles
