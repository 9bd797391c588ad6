"""The demo's MCP step: ``pipedrive mcp`` over stdio against the demo's sandbox, one tool call through
the MCP SDK's own client, as an AI assistant would make it."""

from __future__ import annotations

import os
import sys
import tempfile
import time

from pipedrive_connector.cli._demo import Step

TITLE = "MCP server over stdio (pipedrive mcp): list the tools, call getDeals with the SDK client"


async def _call_one_tool(base_url: str, api_token: str) -> str:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    # The token goes in the environment (not argv); no saved profile may stand in for the sandbox.
    env = {k: v for k, v in os.environ.items() if k != "PIPEDRIVE_PROFILE"}
    env["PIPEDRIVE_API_TOKEN"] = api_token
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "pipedrive_connector.cli.main", "mcp", "--base-url", base_url],
        env=env,
    )
    # The server's stderr is kept, not shown: the demo prints only its summary (nothing with --quiet).
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        try:
            async with Client(stdio_client(server, errlog=log), read_timeout_seconds=30) as client:
                tools = (await client.list_tools()).tools
                result = await client.call_tool("getDeals", {"status": "open", "limit": 3})
        except Exception as error:
            log.seek(0)
            said = [line.strip() for line in log if line.strip()]
            raise RuntimeError(f"{error} (server: {said[-1] if said else 'nothing on stderr'})") from None
    text = " ".join(block.text for block in result.content if block.type == "text")
    if result.is_error or not isinstance(result.structured_content, dict):
        raise RuntimeError(f"getDeals came back as an error: {text[:150]}")
    deals = result.structured_content.get("data") or []
    more = "a next_cursor for more" if result.structured_content.get("next_cursor") else "no more pages"
    return f"{len(tools)} tools; getDeals returned {len(deals)} open deals and {more}"


def mcp_step(base_url: str, api_token: str) -> Step:
    import anyio

    started = time.perf_counter()
    try:
        detail, ok = anyio.run(_call_one_tool, base_url, api_token), True
    except Exception as error:  # the demo reports every failure and carries on
        detail, ok = f"{type(error).__name__}: {' '.join(str(error).split())}"[:200], False
    return Step("mcp", "mcp", TITLE, ok, time.perf_counter() - started, detail)
