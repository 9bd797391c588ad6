"""``pipedrive triggers``: enable/disable webhooks, run the receiver, poll, inspect and replay events."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from pipedrive_connector.cli._server_flags import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    MAX_CONNECTIONS,
    bind_or_exit,
    server_limits,
)
from pipedrive_connector.serving import ServerLimits, listening_url
from pipedrive_connector.triggers import (
    ALL_TRIGGERS,
    FIELD_CHANGED,
    PollingNotSupported,
    TriggerApp,
    TriggerDefinition,
    TriggerSetupError,
    UnknownTriggerError,
    WebhookLimitError,
    get_trigger,
)
from pipedrive_connector.triggers.fields import FieldNotFound, resolve_field_change
from pipedrive_connector.triggers.sinks import ExecSink, ForwardSink, JsonlSink, safe_url

DEFAULT_STATE = "pipedrive-triggers.db"

triggers_app = typer.Typer(
    name="triggers",
    help="React to Pipedrive events: webhooks with a durable inbox, polling, catch-up and replay.",
    no_args_is_help=True,
)

STATE = typer.Option(
    DEFAULT_STATE,
    "--state",
    envvar="PIPEDRIVE_TRIGGERS_STATE",
    help="SQLite file holding subscriptions and events.",
)
API_TOKEN = typer.Option(None, "--api-token", envvar="PIPEDRIVE_API_TOKEN", help="Pipedrive API token.")
BASE_URL = typer.Option(
    None,
    "--base-url",
    envvar="PIPEDRIVE_BASE_URL",
    help="API base URL (a sandbox or https://<company>.pipedrive.com).",
)
COMPANY_DOMAIN = typer.Option(
    None,
    "--company-domain",
    envvar="PIPEDRIVE_COMPANY_DOMAIN",
    help="Company subdomain (instead of --base-url).",
)
JSON_OUT = typer.Option(False, "--json", help="Machine-readable JSON output.")
OUT = typer.Option(None, "--out", help="Append each event as a JSON line to this file (once per event).")
EXEC = typer.Option(None, "--exec", help="Run this command for each event, with the event JSON on stdin.")
FORWARD = typer.Option(None, "--forward", help="POST each event as JSON to this URL.")
HOST = typer.Option("127.0.0.1", "--host", help="Interface to listen on.")
PORT = typer.Option(8000, "--port", help="Port to listen on.")

_err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    _err.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, sort_keys=False))


def _client(
    api_token: str | None, base_url: str | None, company_domain: str | None, required: bool = True
) -> Any:
    if not api_token:
        if required:
            _fail("no Pipedrive credentials: pass --api-token or set PIPEDRIVE_API_TOKEN")
        return None
    from pipedrive_connector.client import Pipedrive

    try:
        return Pipedrive(api_token=api_token, base_url=base_url, company_domain=company_domain)
    except Exception as exc:
        _fail(f"cannot configure the Pipedrive client: {exc}")


@contextmanager
def _errors() -> Iterator[None]:
    from pipedrive_connector.client.errors import PipedriveError

    try:
        yield
    except (UnknownTriggerError, FieldNotFound) as exc:
        _fail(str(exc).strip("'\""))
    except (WebhookLimitError, TriggerSetupError, PollingNotSupported, PipedriveError, ValueError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{type(exc).__name__}: {exc}")


def _trigger(
    client: Any,
    name: str,
    field: str | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
) -> TriggerDefinition:
    if name != FIELD_CHANGED:
        if field or from_value is not None or to_value is not None:
            _fail("--field/--from/--to apply only to the fieldChanged trigger")
        return get_trigger(name)
    if not field or "." not in field:
        _fail("fieldChanged needs --field OBJECT.FIELD, e.g. deal.stage_id or 'deal.Region'")
    event_object, _, field_name = field.partition(".")
    kwargs: dict[str, Any] = {}
    if from_value is not None:
        kwargs["from_value"] = from_value
    if to_value is not None:
        kwargs["to_value"] = to_value
    return resolve_field_change(client, event_object, field_name, **kwargs)


def _app(
    state: str,
    client: Any = None,
    public_url: str | None = None,
    retry_delays: Sequence[float] | None = None,
    catch_up_interval: float | None = None,
) -> TriggerApp:
    kwargs: dict[str, Any] = {"catch_up_interval": catch_up_interval or None}
    if retry_delays is not None:
        kwargs["retry_delays"] = retry_delays
    try:
        return TriggerApp(client=client, state_path=state, public_url=public_url, **kwargs)
    except Exception as exc:
        _fail(f"cannot open the trigger state {state!r}: {exc}")


def _add_sinks(app: TriggerApp, out: str | None, exec_: str | None, forward: str | None) -> list[str]:
    added = []
    with _errors():
        if out:
            sink = JsonlSink(out, app.document)
            app.add_handler(sink.name, sink)
            added.append(f"--out {out}")
        if exec_:
            exec_sink = ExecSink(exec_, app.document)
            app.add_handler(exec_sink.name, exec_sink)
            added.append(f"--exec {exec_sink.argv[0]}")
        if forward:
            forward_sink = ForwardSink(forward, app.document)
            app.add_handler(forward_sink.name, forward_sink)
            added.append(f"--forward {safe_url(forward)}")
    return added


def _retry_delays(raw: str | None) -> list[float] | None:
    if raw is None:
        return None
    try:
        delays = [float(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        _fail(f"--retry-delays must be comma-separated seconds, got {raw!r}")
    if any(delay < 0 for delay in delays):
        _fail("--retry-delays must not be negative")
    return delays


@triggers_app.command("list")
def list_triggers(state: str = STATE, as_json: bool = JSON_OUT) -> None:
    """The available triggers and this state file's subscriptions."""
    subs: list[dict[str, Any]] = []
    if os.path.exists(state):
        app = _app(state)
        subs = [sub.to_dict() for sub in app.subscriptions()]
        app.close()
    rows = []
    for trigger in [*ALL_TRIGGERS.values()]:
        rows.append({**trigger.to_dict(), "subscriptions": [s for s in subs if s["trigger"] == trigger.name]})
    rows.append(
        {
            "name": FIELD_CHANGED,
            "title": "Field Changed",
            "description": "Trigger off whenever a chosen field of a deal, person or organization changes.",
            "type": "DYNAMIC_WEBHOOK",
            "event_object": "deal|person|organization",
            "action": "updated",
            "v1_event_action": "updated",
            "v2_event_action": "change",
            "seed": False,
            "params": {},
            "subscriptions": [s for s in subs if s["trigger"] == FIELD_CHANGED],
        }
    )
    if as_json:
        _print_json(rows)
        return
    table = Table(title="Pipedrive triggers")
    for column in ("name", "object", "action", "seed", "subscriptions"):
        table.add_column(column)
    for row in rows:
        described = ", ".join(
            f"{s['mode']}:{s['id']}"
            + (f" (webhook {s['webhook_id']}, v{s['version']})" if s["webhook_id"] else "")
            for s in row["subscriptions"]
        )
        table.add_row(
            row["name"], row["event_object"], row["action"], "yes" if row["seed"] else "", described
        )
    Console().print(table)


@triggers_app.command()
def enable(
    trigger: str = typer.Argument(..., help="Trigger name, e.g. newDeal (see `pipedrive triggers list`)."),
    public_url: str = typer.Option(..., "--public-url", help="The receiver's public base URL."),
    version: str = typer.Option("2.0", "--version", help="Webhook payload version: 2.0 (default) or 1.0."),
    enrich: bool = typer.Option(
        False, "--enrich", help="Fetch the full record for each event (costs API tokens)."
    ),
    field: str | None = typer.Option(None, "--field", help="fieldChanged only: OBJECT.FIELD (key or name)."),
    from_value: str | None = typer.Option(
        None, "--from", help="fieldChanged only: the old value (or label)."
    ),
    to_value: str | None = typer.Option(None, "--to", help="fieldChanged only: the new value (or label)."),
    state: str = STATE,
    api_token: str | None = API_TOKEN,
    base_url: str | None = BASE_URL,
    company_domain: str | None = COMPANY_DOMAIN,
    as_json: bool = JSON_OUT,
) -> None:
    """Register the trigger's webhook (idempotent: an existing matching webhook is reused)."""
    client = _client(api_token, base_url, company_domain)
    with _errors():
        definition = _trigger(client, trigger, field, from_value, to_value)
        app = _app(state, client, public_url)
        try:
            result = app.enable(definition, version=version, enrich=enrich)
        finally:
            app.close()
    data = {**result.subscription.to_dict(), "created": result.created}
    if as_json:
        _print_json(data)
    else:
        verb = "registered" if result.created else "already registered, reused"
        typer.echo(
            f"{definition.name}: webhook {result.webhook_id} {verb} -> {result.subscription.subscription_url}"
        )


@triggers_app.command()
def disable(
    trigger: str = typer.Argument(..., help="Trigger name."),
    public_url: str | None = typer.Option(None, "--public-url", help="Only the subscription for this URL."),
    state: str = STATE,
    api_token: str | None = API_TOKEN,
    base_url: str | None = BASE_URL,
    company_domain: str | None = COMPANY_DOMAIN,
    as_json: bool = JSON_OUT,
) -> None:
    """Delete the trigger's webhook(s) and subscription(s)."""
    client = _client(api_token, base_url, company_domain)
    with _errors():
        if trigger != FIELD_CHANGED:
            get_trigger(trigger)
        app = _app(state, client)
        try:
            removed = app.disable(trigger, public_url=public_url)
        finally:
            app.close()
    if as_json:
        _print_json([sub.to_dict() for sub in removed])
    elif not removed:
        typer.echo(f"{trigger}: no subscription to disable")
    else:
        for sub in removed:
            typer.echo(f"{trigger}: disabled subscription {sub.id} (webhook {sub.webhook_id or '-'})")


@triggers_app.command()
def cleanup(
    public_url: str = typer.Option(..., "--public-url", help="The receiver's public base URL."),
    state: str = STATE,
    api_token: str | None = API_TOKEN,
    base_url: str | None = BASE_URL,
    company_domain: str | None = COMPANY_DOMAIN,
    as_json: bool = JSON_OUT,
) -> None:
    """Delete webhooks that point at this receiver but belong to no stored subscription."""
    client = _client(api_token, base_url, company_domain)
    with _errors():
        app = _app(state, client, public_url)
        try:
            removed = app.cleanup()
        finally:
            app.close()
    rows = [
        {k: hook.get(k) for k in ("id", "event_action", "event_object", "subscription_url")}
        for hook in removed
    ]
    if as_json:
        _print_json(rows)
    else:
        typer.echo(f"removed {len(rows)} orphaned webhook(s)")
        for row in rows:
            typer.echo(
                f"  {row['id']}: {row['event_action']}.{row['event_object']} -> {row['subscription_url']}"
            )


def _run_server(app: TriggerApp, sock: socket.socket, catch_up: bool, limits: ServerLimits) -> None:
    from pipedrive_connector.serving import serve_forever

    if not catch_up:
        app.asgi.on_startup = lambda: app.start(catch_up=False)
    serve_forever(app.asgi, sock, limits)


@triggers_app.command()
def serve(
    host: str = HOST,
    port: int = PORT,
    state: str = STATE,
    out: str | None = OUT,
    exec_: str | None = EXEC,
    forward: str | None = FORWARD,
    catch_up: bool = typer.Option(
        True, "--catch-up/--no-catch-up", help="Poll for changes missed while down."
    ),
    catch_up_interval: float = typer.Option(
        300.0, "--catch-up-interval", help="Seconds between catch-up passes while running (0: at start only)."
    ),
    max_body: int = typer.Option(
        1024 * 1024, "--max-body", help="Largest accepted body in bytes (413 above)."
    ),
    retry_delays: str | None = typer.Option(
        None, "--retry-delays", help="Handler retry delays, e.g. 1,5,30."
    ),
    api_token: str | None = API_TOKEN,
    base_url: str | None = BASE_URL,
    company_domain: str | None = COMPANY_DOMAIN,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Run the webhook receiver (POST /webhooks/{subscription}) and dispatch events to the sinks."""
    limits = server_limits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    sock = bind_or_exit(host, port)  # before the state file is opened: a taken port changes nothing
    client = _client(api_token, base_url, company_domain, required=False)
    if catch_up_interval < 0:
        _fail("--catch-up-interval must not be negative")
    app = _app(state, client, retry_delays=_retry_delays(retry_delays), catch_up_interval=catch_up_interval)
    app.receiver.max_body_bytes = max_body
    sinks = _add_sinks(app, out, exec_, forward)
    if not sinks:
        _err.print("warning: no --out/--exec/--forward: events are stored and marked done without a handler")
    count = len(app.subscriptions())
    _err.print(f"receiving on {listening_url(sock)}/webhooks/<subscription> ({count} subscriptions)")
    try:
        _run_server(app, sock, catch_up and client is not None, limits)
    finally:
        app.close()


@triggers_app.command()
def listen(
    triggers: list[str] = typer.Argument(..., help="Trigger names to enable while listening."),
    public_url: str = typer.Option(..., "--public-url", help="The public URL that reaches --host:--port."),
    version: str = typer.Option("2.0", "--version", help="Webhook payload version: 2.0 or 1.0."),
    host: str = HOST,
    port: int = PORT,
    state: str = STATE,
    out: str | None = OUT,
    exec_: str | None = EXEC,
    forward: str | None = FORWARD,
    api_token: str | None = API_TOKEN,
    base_url: str | None = BASE_URL,
    company_domain: str | None = COMPANY_DOMAIN,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Enable the triggers, receive events, and disable them again on exit (Ctrl-C)."""
    limits = server_limits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    sock = bind_or_exit(host, port)  # before any webhook points at it
    client = _client(api_token, base_url, company_domain)
    app = _app(state, client, public_url)
    _add_sinks(app, out, exec_, forward)
    enabled: list[str] = []
    try:
        with _errors():
            for name in triggers:
                result = app.enable(get_trigger(name), version=version)
                enabled.append(name)
                _err.print(f"{name}: webhook {result.webhook_id} -> {result.subscription.subscription_url}")
        _run_server(app, sock, False, limits)
    finally:
        for name in enabled:
            try:
                app.disable(name, public_url=public_url)
                _err.print(f"{name}: disabled")
            except Exception as exc:
                _err.print(f"{name}: could not disable ({exc}); run `pipedrive triggers cleanup`")
        app.close()


@triggers_app.command()
def poll(
    triggers: list[str] = typer.Argument(..., help="Trigger names to poll (new*/updated*)."),
    interval: float = typer.Option(30.0, "--interval", help="Seconds between polls."),
    once: bool = typer.Option(False, "--once", help="Poll once, dispatch, and exit."),
    state: str = STATE,
    out: str | None = OUT,
    exec_: str | None = EXEC,
    forward: str | None = FORWARD,
    api_token: str | None = API_TOKEN,
    base_url: str | None = BASE_URL,
    company_domain: str | None = COMPANY_DOMAIN,
    as_json: bool = JSON_OUT,
) -> None:
    """Poll Pipedrive's v2 lists for changes (no public URL needed); same events as webhooks."""
    if interval <= 0:
        _fail("--interval must be positive")
    client = _client(api_token, base_url, company_domain)
    app = _app(state, client)
    _add_sinks(app, out, exec_, forward)
    try:
        with _errors():
            subs = [app.poll_subscription_for(name) for name in triggers]
        if once:
            with _errors():
                results = app.poll_once(subs)
            app.dispatcher.drain()
            rows = [r.__dict__ for r in results]
            if as_json:
                _print_json(rows)
            else:
                for row in rows:
                    typer.echo(
                        f"{row['subscription_id']}: {row['stored']} new, {row['duplicates']} already seen"
                    )
            return
        stop = {"now": False}

        def on_signal(signum: int, frame: Any) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, on_signal)
        app.dispatcher.start()
        _err.print(f"polling {', '.join(triggers)} every {interval:g} s (Ctrl-C to stop)")
        while not stop["now"]:
            try:
                app.poll_once(subs)
            except Exception as exc:
                _err.print(f"poll failed: {exc}")
            deadline = time.monotonic() + interval
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(0.2, interval))
    except KeyboardInterrupt:
        pass
    finally:
        app.close()


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S") if epoch else ""


@triggers_app.command()
def events(
    status: str | None = typer.Option(None, "--status", help="pending, running, done or dead."),
    trigger: str | None = typer.Option(None, "--trigger", help="Only this trigger's events."),
    limit: int = typer.Option(50, "--limit", help="How many of the most recent events."),
    state: str = STATE,
    as_json: bool = JSON_OUT,
) -> None:
    """Recent events in the inbox and their states."""
    if status is not None and status not in ("pending", "running", "done", "dead"):
        _fail(f"--status must be pending, running, done or dead, not {status!r}")
    if not os.path.exists(state):
        _fail(f"no trigger state at {state!r} (pass --state)")
    app = _app(state)
    try:
        rows = [row.to_dict() for row in app.events(status=status, limit=limit, trigger=trigger)]
    finally:
        app.close()
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"events in {state}")
    for column in ("seq", "trigger", "event", "entity", "source", "status", "attempts", "received", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["seq"]),
            row["trigger"],
            f"{row['action']}.{row['object']}",
            str(row["entity_id"]),
            row["source"],
            row["status"],
            str(row["attempts"]),
            _when(row["received_at"]),
            (row["last_error"] or "")[:60],
        )
    Console().print(table)


@triggers_app.command()
def replay(
    seqs: list[int] = typer.Argument(None, help="Event numbers (see `events`) to run again."),
    dead: bool = typer.Option(False, "--dead", help="Run every dead-lettered event again."),
    state: str = STATE,
    out: str | None = OUT,
    exec_: str | None = EXEC,
    forward: str | None = FORWARD,
    as_json: bool = JSON_OUT,
) -> None:
    """Queue dead or chosen events again; with --out/--exec/--forward, run them now."""
    if not seqs and not dead:
        _fail("name event numbers to replay, or pass --dead")
    if not os.path.exists(state):
        _fail(f"no trigger state at {state!r} (pass --state)")
    app = _app(state)
    try:
        missing = [seq for seq in seqs or [] if app.store.event(seq) is None]
        if missing:
            _fail(f"no event with number {', '.join(map(str, missing))} in {state}")
        count = app.replay(seqs or None, dead=dead)
        ran = bool(_add_sinks(app, out, exec_, forward))
        if ran:
            app.dispatcher.drain()
        result = {"requeued": count, "ran_now": ran, "counts": app.store.counts()}
    finally:
        app.close()
    if as_json:
        _print_json(result)
    else:
        suffix = "and ran them" if ran else "(a running `serve` picks them up)"
        typer.echo(f"requeued {count} event(s) {suffix}")


def register(app: typer.Typer) -> None:
    """Attach ``pipedrive triggers`` to the root app."""
    app.add_typer(triggers_app, name="triggers")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(triggers_app())
