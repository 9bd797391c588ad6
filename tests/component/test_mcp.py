"""``pipedrive mcp`` over stdio, driven by the MCP SDK's own client against a sandbox.

Each test spawns ``python -m pipedrive_connector.cli.main mcp`` as a subprocess (as an assistant would)
with the sandbox's URL and token, and talks to it with ``mcp.Client``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from pipedrive_connector.component import Component, Connection
from pipedrive_connector.component.mcp import ActionTool, ToolKind, build_server, tool_kind

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def stdio_server(sandbox: Any, *flags: str) -> Client:
    """A client that launches the MCP server over stdio; the token goes in the environment, not argv."""
    return Client(
        StdioServerParameters(
            command=sys.executable,
            args=["-m", "pipedrive_connector.cli.main", "mcp", "--base-url", sandbox.base_url, *flags],
            env={**os.environ, "PIPEDRIVE_API_TOKEN": sandbox.api_token},
        ),
        read_timeout_seconds=60,
    )


def direct(sandbox: Any) -> Connection:
    return Connection.api_key(sandbox.api_token, base_url=sandbox.base_url)


async def test_every_action_is_a_tool_with_its_schemas_and_hints(pipedrive_sandbox: Any) -> None:
    manifest = Component().manifest()
    async with stdio_server(pipedrive_sandbox) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {entry["name"] for entry in manifest["actions"]}
    assert {"getDeals", "addNote", "deleteDeal", "mergeDeals"} <= set(tools)

    get_deals, add_note = tools["getDeals"], tools["addNote"]
    assert get_deals.description and get_deals.description.startswith(get_deals.title or "?")
    assert get_deals.annotations is not None and get_deals.annotations.read_only_hint is True
    assert get_deals.annotations.destructive_hint is False
    # Paged: the seed's start becomes an opaque cursor, limit is capped at the page size.
    props = get_deals.input_schema["properties"]
    assert "start" not in props and props["cursor"]["type"] == "string"
    assert props["limit"]["maximum"] == 100 and props["status"]["enum"]
    assert get_deals.output_schema is not None and "next_cursor" in get_deals.output_schema["properties"]
    # A write tool: the manifest's input schema as is, the action's output schema.
    entry = next(e for e in manifest["actions"] if e["name"] == "addNote")
    assert add_note.input_schema == entry["input_schema"]
    assert add_note.output_schema == entry["output_schema"]
    assert add_note.annotations is not None and add_note.annotations.read_only_hint is False
    assert add_note.annotations.destructive_hint is False
    for name in ("deleteDeal", "mergeDeals", "mergePersons", "removeFollower", "deleteNote"):
        hints = tools[name].annotations
        assert hints is not None and hints.destructive_hint is True and hints.read_only_hint is False, name


async def test_read_only_hides_every_write(pipedrive_sandbox: Any) -> None:
    manifest = Component().manifest()
    async with stdio_server(pipedrive_sandbox, "--read-only") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        with pytest.raises(MCPError, match="unknown tool 'deleteDeal' \\(hidden by --read-only\\)"):
            await client.call_tool("deleteDeal", {"id": 1})
    reads = {e["name"] for e in manifest["actions"] if tool_kind(e).read_only}
    assert names == reads
    assert {"getDeals", "getNotes", "searchDeals"} <= names
    assert not names & {"deleteDeal", "addDeal", "mergeDeals", "customApiCall", "addNote"}
    assert direct(pipedrive_sandbox).client().deals.get(1).id == 1  # not deleted


def text_of(result: Any) -> str:
    return " ".join(block.text for block in result.content if block.type == "text")


async def test_read_and_write_tools_and_errors(pipedrive_sandbox: Any) -> None:
    component = Component()
    async with stdio_server(pipedrive_sandbox) as client:
        deals = await client.call_tool("getDeals", {"status": "open", "limit": 2})
        added = await client.call_tool("addNote", {"note": {"content": "Called from MCP", "deal_id": 2}})
        bad = await client.call_tool("addNote", {"note": {"content": "x", "deal_id": "two"}})
        unknown = await client.call_tool("getDeals", {"colour": "red"})
        missing = await client.call_tool("getDealDetails", {"id": 987654})
        still_alive = await client.call_tool("getCurrentUser", {})

    assert not deals.is_error
    assert len(deals.structured_content["data"]) == 2
    assert all(deal["status"] == "open" for deal in deals.structured_content["data"])
    assert json.loads(text_of(deals)) == deals.structured_content

    assert not added.is_error, text_of(added)
    note_id = added.structured_content["data"]["id"]
    stored = component.run("getNote", {"id": note_id}, direct(pipedrive_sandbox))["data"]
    assert stored["content"] == "Called from MCP" and stored["deal_id"] == 2

    assert bad.is_error and "note.deal_id" in text_of(bad) and "integer" in text_of(bad)
    assert unknown.is_error and "colour" in text_of(unknown)
    assert missing.is_error and "404" in text_of(missing)
    assert not still_alive.is_error  # errors came back as results; the server kept serving
    assert pipedrive_sandbox.api_token not in text_of(missing)


async def test_list_tools_page_with_a_cursor(pipedrive_sandbox: Any) -> None:
    connection = direct(pipedrive_sandbox)
    every = Component().run("getDeals", {"limit": 500}, connection)["data"]
    users = Component().run("getUsers", {}, connection)["data"]
    assert len(every) > 3 and len(users) >= 2
    async with stdio_server(pipedrive_sandbox, "--page-size", "3") as client:
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            args: dict[str, Any] = {"cursor": cursor} if cursor else {}
            page = await client.call_tool("getDeals", args)
            assert not page.is_error, text_of(page)
            assert len(page.structured_content["data"]) <= 3
            seen += [deal["id"] for deal in page.structured_content["data"]]
            pages += 1
            cursor = page.structured_content["next_cursor"]
            if cursor is None:
                break
        # A tool whose action returns the whole list is sliced here.
        first_users = await client.call_tool("getUsers", {"limit": 1})
        next_users = await client.call_tool(
            "getUsers", {"cursor": first_users.structured_content["next_cursor"]}
        )
        too_many = await client.call_tool("getDeals", {"limit": 4})
        forged = await client.call_tool("getDeals", {"cursor": "not-a-cursor"})

    assert seen == [deal["id"] for deal in every]
    assert pages == -(-len(every) // 3)
    assert first_users.structured_content["data"] == users[:1]
    assert next_users.structured_content["data"] == users[1:4]  # the page size, 3, without a limit
    assert too_many.is_error and "limit" in text_of(too_many)
    assert forged.is_error and "cursor" in text_of(forged)


async def test_resources_give_ids_to_pick(pipedrive_sandbox: Any) -> None:
    async with stdio_server(pipedrive_sandbox) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        pipelines = await client.read_resource("pipedrive://pipelines")
        stages = await client.read_resource("pipedrive://stages")
        deal_fields = await client.read_resource("pipedrive://fields/deal")
        with pytest.raises(
            MCPError, match="unknown resource 'pipedrive://nope'; known: pipedrive://pipelines"
        ):
            await client.read_resource("pipedrive://nope")
    assert {"pipedrive://pipelines", "pipedrive://stages", "pipedrive://fields/deal"} <= listed
    assert {"pipedrive://fields/person", "pipedrive://fields/organization"} <= listed
    pipeline_ids = {p["id"] for p in json.loads(pipelines.contents[0].text)}
    assert len(pipeline_ids) >= 2
    assert {s["pipeline_id"] for s in json.loads(stages.contents[0].text)} == pipeline_ids
    region = next(f for f in json.loads(deal_fields.contents[0].text) if f["name"] == "Region")
    assert {o["label"] for o in region["options"]} == {"EMEA", "AMER", "APAC"}
    assert len(region["key"]) == 40


async def test_without_a_token_it_exits_with_one_line(pipedrive_sandbox: Any) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env["PIPEDRIVE_CONFIG_DIR"] = "/nonexistent-pipedrive-config"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipedrive_connector.cli.main",
            "mcp",
            "--base-url",
            pipedrive_sandbox.base_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert "credentials" in done.stderr and "Traceback" not in done.stderr


def test_kinds_come_from_the_attributes_else_from_the_name() -> None:
    assert tool_kind({"name": "getThing", "read_only": False, "destructive": False}) == ToolKind(False, False)
    assert tool_kind({"name": "addThing", "read_only": False, "destructive": True}) == ToolKind(False, True)
    # An entry without the attributes: delete/remove/merge destroy, get/search/find read.
    assert tool_kind({"name": "deleteThing"}) == ToolKind(read_only=False, destructive=True)
    assert tool_kind({"name": "mergeThings"}) == ToolKind(read_only=False, destructive=True)
    assert tool_kind({"name": "removeThing"}) == ToolKind(read_only=False, destructive=True)
    assert tool_kind({"name": "searchThings"}) == ToolKind(read_only=True, destructive=False)
    assert tool_kind({"name": "findThing"}) == ToolKind(read_only=True, destructive=False)
    assert tool_kind({"name": "addThing"}) == ToolKind(read_only=False, destructive=False)
    assert tool_kind({"name": "getaway"}) == ToolKind(read_only=False, destructive=False)


async def test_an_output_that_breaks_its_schema_is_reported_not_dropped() -> None:
    entry = {
        "name": "deleteThing",
        "title": "Delete a thing",
        "description": "",
        "input_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "output_schema": {
            "type": "object",
            "properties": {"data": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        },
    }
    tool = ActionTool.from_entry(entry)

    async def run(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"success": True, "data": {"id": True}}

    result = await tool.call({"id": 1}, run)
    assert result.is_error and result.structured_content is None
    text = text_of(result)
    assert "deleteThing ran" in text and "data.id" in text and '"id":true' in text


def test_the_demo_step_calls_a_tool_through_the_sdk_client(pipedrive_sandbox: Any) -> None:
    from pipedrive_connector.cli._demo_mcp import mcp_step

    step = mcp_step(pipedrive_sandbox.base_url, pipedrive_sandbox.api_token)
    assert step.ok, step.detail
    assert step.kind == "mcp" and "getDeals returned 3 open deals" in step.detail
    tools = len(Component().manifest()["actions"])
    assert step.detail.startswith(f"{tools} tools;")

    refused = mcp_step(pipedrive_sandbox.base_url, "wrong-token")
    assert not refused.ok and "401" in refused.detail
    assert "wrong-token" not in refused.detail


@pytest.mark.parametrize("version", ["v2", "v1"])
async def test_every_read_tool_answers_within_its_output_schema(pipedrive_sandbox: Any, version: str) -> None:
    """Each read tool that needs no input, called through the SDK client (in process: the client
    checks structured content against the output schema), and its second page when it has one."""
    connection = Connection.api_key(
        pipedrive_sandbox.api_token,
        base_url=pipedrive_sandbox.base_url,
        api_version=version,  # type: ignore[arg-type]
    )
    called, paged = [], []
    async with Client(build_server(connection, page_size=2)) as client:
        for tool in (await client.list_tools()).tools:
            if not (tool.annotations and tool.annotations.read_only_hint) or tool.input_schema.get(
                "required"
            ):
                continue
            first = await client.call_tool(tool.name, {})
            assert not first.is_error, f"{tool.name}: {text_of(first)}"
            called.append(tool.name)
            cursor = first.structured_content.get("next_cursor")
            if cursor:
                second = await client.call_tool(tool.name, {"cursor": cursor})
                assert not second.is_error, f"{tool.name}: {text_of(second)}"
                assert second.structured_content["data"] != first.structured_content["data"], tool.name
                paged.append(tool.name)
    assert {"getDeals", "getPersons", "getNotes", "getUsers", "getPipelines", "getStages"} <= set(called)
    assert {"getDeals", "getPersons", "getNotes", "getUsers", "getStages"} <= set(paged)


async def test_a_delete_answers_the_deleted_id(pipedrive_sandbox: Any) -> None:
    # Pipedrive's v1 DELETE /notes/{id} answers "data": true; the output schema promises data.id.
    async with Client(build_server(direct(pipedrive_sandbox))) as client:
        deleted = await client.call_tool("deleteNote", {"id": 1})
    assert not deleted.is_error, text_of(deleted)
    assert deleted.structured_content["data"] == {"id": 1}


async def test_files_go_up_as_content_never_from_the_servers_disk(
    pipedrive_sandbox: Any, tmp_path: Any
) -> None:
    import base64

    secret_file = tmp_path / "id_rsa"
    secret_file.write_text("PRIVATE KEY")
    content = base64.b64encode(b"quote from the assistant").decode()
    async with Client(build_server(direct(pipedrive_sandbox))) as client:
        upload = next(t for t in (await client.list_tools()).tools if t.name == "uploadFile")
        stolen = await client.call_tool("uploadFile", {"file_path": str(secret_file), "deal_id": 1})
        sent = await client.call_tool(
            "uploadFile", {"content_base64": content, "file_name": "quote.txt", "deal_id": 1}
        )
        assert not sent.is_error, text_of(sent)
        back = await client.call_tool("downloadFile", {"id": sent.structured_content["data"]["id"]})
    assert "file_path" not in upload.input_schema["properties"]
    assert "content_base64" in upload.input_schema["properties"]
    assert stolen.is_error and "file_path" in text_of(stolen)
    assert back.structured_content["data"]["content_base64"] == content
    names = [
        f["name"] for f in Component().run("getFiles", {"limit": 500}, direct(pipedrive_sandbox))["data"]
    ]
    assert "id_rsa" not in names and "quote.txt" in names
