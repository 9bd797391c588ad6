"""The flags every long-running server command shares: timeouts for slow clients and a connection cap.

The defaults are ``serving.ServerLimits``'s; ``serving`` imports uvicorn only when a server is built,
so importing it here keeps ``pipedrive --help`` fast.
"""

from __future__ import annotations

import socket

import typer

from pipedrive_connector.serving import BindError, InvalidLimit, ServerLimits, bind_socket

_DEFAULTS = ServerLimits()

HEADER_TIMEOUT = typer.Option(
    _DEFAULTS.header_timeout,
    "--header-timeout",
    help="Seconds a client may take to send its request headers (then 408 and closed).",
)
BODY_TIMEOUT = typer.Option(
    _DEFAULTS.body_timeout,
    "--body-timeout",
    help="Seconds a client may take to send the request body (then 408 and closed).",
)
KEEP_ALIVE_TIMEOUT = typer.Option(
    _DEFAULTS.keep_alive_timeout,
    "--keep-alive-timeout",
    help="Seconds an idle connection stays open after a response.",
)
MAX_CONNECTIONS = typer.Option(
    _DEFAULTS.max_connections,
    "--max-connections",
    help="Open connections allowed at once; more are answered 503 and closed.",
)


def server_limits(
    header_timeout: float, body_timeout: float, keep_alive_timeout: float, max_connections: int
) -> ServerLimits:
    """The flags as ``ServerLimits``; a bad value is a usage error naming the flag."""
    try:
        return ServerLimits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    except InvalidLimit as exc:
        raise typer.BadParameter(exc.problem, param_hint="--" + exc.field.replace("_", "-")) from None


def bind_or_exit(host: str, port: int) -> socket.socket:
    """The listening socket, or the reason it cannot be had as one line on stderr and exit code 1."""
    try:
        return bind_socket(host, port)
    except BindError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
