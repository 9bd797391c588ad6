"""``pipedrive mcp --http`` (streamable HTTP), driven by the MCP SDK's client against a sandbox.

The server runs as a subprocess on port 0 and prints the address it bound, as a user would see it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from mcp import Client

from pipedrive_connector.component import Component, Connection
from pipedrive_connector.serving import bind_socket

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def command(sandbox: Any, *flags: str) -> list[str]:
    base = [sys.executable, "-m", "pipedrive_connector.cli.main", "mcp", "--base-url", sandbox.base_url]
    return [*base, "--http", *flags]


def environment(sandbox: Any) -> dict[str, str]:
    return {**os.environ, "PIPEDRIVE_API_TOKEN": sandbox.api_token}


@contextmanager
def http_server(sandbox: Any, *flags: str) -> Iterator[str]:
    """The server's MCP endpoint URL, read from the line it prints once bound; stopped with SIGTERM."""
    process = subprocess.Popen(
        command(sandbox, "--port", "0", *flags),
        env=environment(sandbox),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+/mcp)", line)
        assert found, f"no address in {line!r}"
        assert sandbox.api_token not in line
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def text_of(result: Any) -> str:
    return " ".join(block.text for block in result.content if block.type == "text")


async def test_tools_over_streamable_http(pipedrive_sandbox: Any) -> None:
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    before = Component().run("getDealDetails", {"id": 3}, connection)["data"]
    stages = Component().run("getStages", {"pipeline_id": before["pipeline_id"]}, connection)["data"]
    target = next(stage["id"] for stage in stages if stage["id"] != before["stage_id"])
    with http_server(pipedrive_sandbox) as url:
        async with Client(url, read_timeout_seconds=60) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            deal = await client.call_tool("getDealDetails", {"id": 3})
            moved = await client.call_tool("moveDealToStage", {"id": 3, "stage_id": target})
            deleted = await client.call_tool("deleteDeal", {"id": 4})
            bad = await client.call_tool("moveDealToStage", {"id": 3, "stage_id": "next"})
            resources = await client.list_resources()
        # A second session on the same server.
        async with Client(url, read_timeout_seconds=60) as again:
            page = await again.call_tool("getPersons", {"limit": 2})

    assert {"getDeals", "addNote", "deleteDeal"} <= set(tools)
    hints = tools["deleteDeal"].annotations
    assert hints is not None and hints.destructive_hint is True
    assert not deal.is_error and deal.structured_content["data"]["id"] == 3
    assert not moved.is_error, text_of(moved)
    assert Component().run("getDealDetails", {"id": 3}, connection)["data"]["stage_id"] == target
    assert not deleted.is_error, text_of(deleted)
    left = Component().run("getDeals", {"limit": 500}, connection)["data"]
    assert 4 not in [deal["id"] for deal in left] and 3 in [deal["id"] for deal in left]
    assert bad.is_error and "stage_id" in text_of(bad)
    assert "pipedrive://pipelines" in {str(r.uri) for r in resources.resources}
    assert len(page.structured_content["data"]) == 2 and page.structured_content["next_cursor"]


async def test_read_only_over_http(pipedrive_sandbox: Any) -> None:
    with http_server(pipedrive_sandbox, "--read-only") as url:
        async with Client(url, read_timeout_seconds=60) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            notes = await client.call_tool("getNotes", {"deal_id": 1})
    assert "getNotes" in names and "deleteDeal" not in names and "addNote" not in names
    assert not notes.is_error and len(notes.structured_content["data"]) == 2


def test_a_taken_port_is_one_line(pipedrive_sandbox: Any) -> None:
    taken = bind_socket("127.0.0.1", 0)
    try:
        port = str(taken.getsockname()[1])
        started = time.monotonic()
        done = subprocess.run(
            command(pipedrive_sandbox, "--port", port),
            env=environment(pipedrive_sandbox),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    finally:
        taken.close()
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: address already in use"
    assert time.monotonic() - started < 60


async def test_http_token_is_required_when_set(pipedrive_sandbox: Any) -> None:
    import httpx
    import httpx2  # the HTTP client the mcp SDK is built on
    from mcp.client.streamable_http import streamable_http_client

    secret = "mcp-secret-1234"
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    with http_server(pipedrive_sandbox, "--http-token", secret) as url:
        bare = httpx.post(url, json=hello, headers={"accept": "application/json, text/event-stream"})
        wrong = httpx.post(url, json=hello, headers={"authorization": "Bearer nope"})
        headers = {"Authorization": f"Bearer {secret}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http_client,
            Client(streamable_http_client(url, http_client=http_client), read_timeout_seconds=60) as client,
        ):
            deals = await client.call_tool("getDeals", {"limit": 1})
    assert bare.status_code == 401 and wrong.status_code == 401
    assert bare.headers["www-authenticate"].startswith("Bearer") and secret not in bare.text
    assert not deals.is_error and len(deals.structured_content["data"]) == 1


def test_http_token_without_http_is_a_usage_error(pipedrive_sandbox: Any) -> None:
    base = [
        sys.executable,
        "-m",
        "pipedrive_connector.cli.main",
        "mcp",
        "--base-url",
        pipedrive_sandbox.base_url,
    ]
    done = subprocess.run(
        [*base, "--http-token", "x"],
        env=environment(pipedrive_sandbox),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "--http-token needs --http" in done.stderr and "Traceback" not in done.stderr
