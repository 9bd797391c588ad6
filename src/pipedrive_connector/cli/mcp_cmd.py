"""``pipedrive mcp``: serve the component's actions as MCP tools over stdio or streamable HTTP."""

from __future__ import annotations

import typer

from pipedrive_connector.cli._connect import ConnectionFlags, connection_options
from pipedrive_connector.cli._output import InputError
from pipedrive_connector.cli._server_flags import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    MAX_CONNECTIONS,
    bind_or_exit,
    server_limits,
)


@connection_options()
def mcp(
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP (at /mcp) instead of stdio."),
    host: str = typer.Option("127.0.0.1", "--host", help="With --http: the interface to listen on."),
    port: int = typer.Option(
        8000, "--port", min=0, max=65535, help="With --http: the port (0 picks a free one)."
    ),
    read_only: bool = typer.Option(
        False, "--read-only", help="Expose only the tools that read (no create, change, delete or merge)."
    ),
    http_token: str | None = typer.Option(
        None,
        "--http-token",
        envvar="PIPEDRIVE_MCP_HTTP_TOKEN",
        show_envvar=True,
        help="With --http: the bearer token every client must send (Authorization: Bearer ...).",
        show_default=False,
    ),
    page_size: int = typer.Option(
        100, "--page-size", min=1, max=500, help="Most items a list tool returns per call (then a cursor)."
    ),
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    *,
    conn: ConnectionFlags,
) -> None:
    """Serve every action as an MCP tool for AI assistants (stdio by default; --http for streamable HTTP).

    Tools carry their JSON Schemas and readOnly/destructive hints; list tools are paged with
    limit/cursor; resources pipedrive://pipelines, pipedrive://stages and pipedrive://fields/{entity}
    help pick ids. Logs go to stderr: stdout belongs to the protocol.
    """
    connection = conn.connection()  # a missing token fails here, before any client connects
    if http_token is not None and not (http and http_token.strip() and http_token.isprintable()):
        raise InputError("--http-token needs --http and printable text that is not blank")
    limits = server_limits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    sock = bind_or_exit(host, port) if http else None

    import anyio

    from pipedrive_connector.component.mcp import build_server, http_app, serve_stdio

    server = build_server(connection, read_only=read_only, page_size=page_size)
    mode = "read-only, " if read_only else ""
    if sock is None:
        typer.echo(f"pipedrive MCP server on stdio ({mode}API {connection.api_version})", err=True)
        try:
            anyio.run(serve_stdio, server)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        return

    from pipedrive_connector.serving import listening_url, serve_forever

    guard = "bearer token required" if http_token else "no authentication"
    typer.echo(
        f"pipedrive MCP server ({mode}streamable HTTP, {guard}) on {listening_url(sock)}/mcp", err=True
    )
    if not http_token and not _is_loopback(host):
        typer.echo(
            f"warning: anyone who can reach {host} can use this Pipedrive connection; set --http-token",
            err=True,
        )
    try:
        serve_forever(http_app(server, host, http_token), sock, limits)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    """Attach ``pipedrive mcp`` to the root app."""
    app.command("mcp")(mcp)
