"""``pipedrive sandbox serve``: run the local Pipedrive-compatible API server."""

from __future__ import annotations

import typer

from pipedrive_connector.cli._server_flags import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    MAX_CONNECTIONS,
    bind_or_exit,
    server_limits,
)

sandbox_app = typer.Typer(
    help="Run a local Pipedrive-compatible API server (offline development and tests).", no_args_is_help=True
)

RATE_PLANS = ("off", "lite", "growth", "premium", "ultimate")
SEEDS = ("demo", "empty")


def _parse_delays(raw: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated seconds such as 3,30,150, got {raw!r}") from None
    if not delays or any(delay < 0 for delay in delays):
        raise typer.BadParameter("expected one or more non-negative numbers of seconds, such as 3,30,150")
    return delays


@sandbox_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(
        8765, "--port", min=0, max=65535, help="Port to listen on (0 picks a free one)."
    ),
    db: str | None = typer.Option(
        None, "--db", help="SQLite file to persist data across restarts (default: in memory)."
    ),
    api_token: str = typer.Option(
        "sandbox-token", "--api-token", help="API token of the admin user (user 1)."
    ),
    seed: str = typer.Option("demo", "--seed", help="Initial data when the store is new: demo or empty."),
    rate_limit: str = typer.Option(
        "off", "--rate-limit", help="Rate-limit plan: off, lite, growth, premium, ultimate."
    ),
    webhook_retry_delays: str = typer.Option(
        "3,30,150", "--webhook-retry-delays", help="Seconds between webhook delivery retries."
    ),
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Serve the sandbox until interrupted; prints the base URL and the API token to use."""
    from pipedrive_connector.sandbox import SandboxSettings, create_app
    from pipedrive_connector.serving import listening_url, serve_forever

    if seed not in SEEDS:
        raise typer.BadParameter(f"must be one of {', '.join(SEEDS)}", param_hint="--seed")
    if rate_limit not in RATE_PLANS:
        raise typer.BadParameter(f"must be one of {', '.join(RATE_PLANS)}", param_hint="--rate-limit")
    if not api_token.strip():
        raise typer.BadParameter("must not be empty", param_hint="--api-token")
    settings = SandboxSettings(
        api_token=api_token,
        db_path=db,
        seed=seed,  # type: ignore[arg-type]
        rate_limit=rate_limit,  # type: ignore[arg-type]
        webhook_retry_delays=_parse_delays(webhook_retry_delays),
    )
    limits = server_limits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    # Bind before opening --db, so a taken port fails fast and leaves the store alone.
    sock = bind_or_exit(host, port)
    try:
        app = create_app(settings)
    except Exception as exc:  # e.g. an unreadable --db file
        sock.close()
        typer.echo(f"error: cannot start the sandbox: {exc}", err=True)
        raise typer.Exit(1) from None
    base_url = listening_url(sock)
    typer.echo(f"Pipedrive sandbox listening on {base_url}")
    typer.echo(f"API token: {api_token}")
    typer.echo(f"Try: curl -H 'x-api-token: {api_token}' {base_url}/api/v2/deals")
    try:
        serve_forever(app, sock, limits)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    """Attach ``pipedrive sandbox ...`` to the root app."""
    app.add_typer(sandbox_app, name="sandbox")
