"""The MCP server (the SDK's low-level ``Server``): the component's actions as tools, reference resources.

One ``Connection`` serves every call; each call opens its own async client, so concurrent calls
(several HTTP sessions) do not share a connection pool's state.
"""

from __future__ import annotations

import hmac
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS

from pipedrive_connector import __version__
from pipedrive_connector.client.errors import PipedriveError
from pipedrive_connector.component.component import Component
from pipedrive_connector.component.connection import Connection
from pipedrive_connector.component.mcp.resources import RESOURCES, read_resource
from pipedrive_connector.component.mcp.tools import PAGE_SIZE, action_tools

INSTRUCTIONS = (
    "Pipedrive CRM tools. List tools are paged: pass a result's next_cursor as cursor for more. "
    "Read pipedrive://pipelines, pipedrive://stages and pipedrive://fields/deal (person, organization...) "
    "to pick pipeline, stage and custom field ids."
)


def build_server(
    connection: Connection,
    *,
    read_only: bool = False,
    page_size: int = PAGE_SIZE,
    component: Component | None = None,
) -> Server[Any]:
    """A server whose tools are the component's actions (only non-destructive reads with ``read_only``)."""
    component = component or Component()
    tools = action_tools(component.manifest(), read_only=read_only, page_size=page_size)

    async def run(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return await component.arun(name, inputs, connection)

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[t.tool for t in tools.values()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = tools.get(params.name)
        if tool is None:
            hidden = " (hidden by --read-only)" if read_only and params.name in component_names else ""
            raise MCPError(INVALID_PARAMS, f"unknown tool {params.name!r}{hidden}")
        return await tool.call(params.arguments, run)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[r.listing() for r in RESOURCES.values()])

    async def read(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        try:
            result = await read_resource(connection, str(params.uri))
        except PipedriveError as error:
            raise MCPError(INTERNAL_ERROR, f"Pipedrive error: {error}") from None
        if result is None:
            raise MCPError(INVALID_PARAMS, f"unknown resource {params.uri!r}; known: {', '.join(RESOURCES)}")
        return result

    component_names = {action.name for action in component.actions}
    return Server(
        "pipedrive",
        version=__version__,
        title="Pipedrive",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read,
    )


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on this process's stdin/stdout until it closes them."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def http_app(server: Server[Any], host: str, bearer_token: str | None = None) -> Any:
    """The streamable HTTP ASGI app (endpoint ``/mcp``); loopback hosts get DNS-rebinding protection.

    With ``bearer_token``, every HTTP request must carry ``Authorization: Bearer <token>`` (else 401):
    whoever reaches the port otherwise acts with the server's Pipedrive connection.
    """
    app = server.streamable_http_app(host=host)
    return app if bearer_token is None else require_bearer(app, bearer_token)


def require_bearer(app: Any, token: str) -> Any:
    """``app`` behind a fixed bearer token, compared in constant time; lifespan events pass through."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"authorization", b"")
        if hmac.compare_digest(given, expected):
            await app(scope, receive, send)
            return
        body = b'{"error": "unauthorized: send Authorization: Bearer <the server\'s --http-token>"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="pipedrive-mcp"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return guarded
