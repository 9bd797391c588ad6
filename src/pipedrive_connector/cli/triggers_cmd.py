"""``pipedrive triggers``: enable/disable webhooks, run the receiver, poll, inspect and replay events."""

from __future__ import annotations

import json
import os
import secrets
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

from pipedrive_connector.cli._connect import ConnectionFlags, connection_options
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
from pipedrive_connector.triggers.dispatch import DEFAULT_KEEP_DAYS, Handler
from pipedrive_connector.triggers.fields import FieldNotFound, resolve_field_change
from pipedrive_connector.triggers.logs import configure_logging
from pipedrive_connector.triggers.sinks import ExecSink, ForwardSink, JsonlSink
from pipedrive_connector.triggers.state import describe_state, is_dsn
from pipedrive_connector.triggers.state_lock import StateInUse

DEFAULT_STATE = "pipedrive-triggers.db"
USAGE_ERROR = 2
INTERRUPTED = 130

triggers_app = typer.Typer(
    name="triggers",
    help="React to Pipedrive events: webhooks with a durable inbox, polling, catch-up and replay.",
    no_args_is_help=True,
)

STATE = typer.Option(
    DEFAULT_STATE,
    "--state",
    envvar=["PIPEDRIVE_TRIGGERS_STATE", "PIPEDRIVE_TRIGGERS_DSN"],
    help="Where subscriptions and events live: a SQLite file (one dispatching process), or a "
    "postgresql:// DSN shared by any number of receivers and dispatchers.",
)
ROLES = ("all", "receiver", "dispatcher")
JSON_OUT = typer.Option(False, "--json", help="Machine-readable JSON output.")
OUT = typer.Option(None, "--out", help="Append each event as a JSON line to this file (once per event).")
EXEC = typer.Option(None, "--exec", help="Run this command for each event, with the event JSON on stdin.")
FORWARD = typer.Option(None, "--forward", help="POST each event as JSON to this URL.")
REDIS_STREAM = typer.Option(
    None,
    "--redis-stream",
    help="XADD each event once to a Redis stream: redis://host:6379/0#stream (needs the redis extra).",
)
NATS = typer.Option(
    None,
    "--nats",
    help="Publish each event once to a JetStream subject (Nats-Msg-Id = trigger:event key): "
    "nats://host:4222#subject (needs the nats extra; the subject must belong to a stream).",
)
HOST = typer.Option("127.0.0.1", "--host", help="Interface to listen on.")
PORT = typer.Option(8000, "--port", help="Port to listen on.")
KEEP_DAYS = typer.Option(
    DEFAULT_KEEP_DAYS,
    "--keep-days",
    help="Delete done events this many days after they finished (hourly; 0 keeps them forever). "
    "Dead and pending events are never deleted.",
)

_err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    _err.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, sort_keys=False))


def _client(conn: ConnectionFlags, required: bool = True, on_usage: Any = None) -> Any:
    """A client from the connection options, the environment or a saved profile (API token or
    OAuth), as for every other command; ``required=False`` gives None when none is configured.
    ``on_usage`` sees every HTTP attempt (the ``/metrics`` of ``serve``)."""
    from pipedrive_connector.component.errors import ConnectionConfigError

    try:
        connection = conn.connection()
        if on_usage is not None:
            connection.client_options["on_usage"] = on_usage
        return connection.client()
    except ConnectionConfigError as exc:
        if not required and not conn.profile:
            return None
        _fail(str(exc), USAGE_ERROR)


@contextmanager
def _errors() -> Iterator[None]:
    from pipedrive_connector.client.errors import PipedriveError

    try:
        yield
    except (UnknownTriggerError, FieldNotFound) as exc:  # a name that does not exist: bad input
        _fail(str(exc).strip("'\""), USAGE_ERROR)
    except PollingNotSupported as exc:
        _fail(str(exc), USAGE_ERROR)
    except (WebhookLimitError, TriggerSetupError, PipedriveError, StateInUse) as exc:
        _fail(str(exc))
    except ValueError as exc:  # the library's way of saying an input is not acceptable
        _fail(str(exc), USAGE_ERROR)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        _fail(f"{exc.strerror or exc}{where}")
    except KeyboardInterrupt:
        _fail("interrupted", INTERRUPTED)


def _trigger(
    client: Any,
    name: str,
    field: str | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
) -> TriggerDefinition:
    if name != FIELD_CHANGED:
        if field or from_value is not None or to_value is not None:
            _fail("--field/--from/--to apply only to the fieldChanged trigger", USAGE_ERROR)
        return get_trigger(name)
    if not field or "." not in field:
        _fail("fieldChanged needs --field OBJECT.FIELD, e.g. deal.stage_id or 'deal.Region'", USAGE_ERROR)
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
    keep_days: float = DEFAULT_KEEP_DAYS,
    lease_seconds: float = 300.0,
) -> TriggerApp:
    if not keep_days >= 0:  # also refuses nan
        _fail(f"--keep-days must be 0 or more days, got {keep_days}", USAGE_ERROR)
    kwargs: dict[str, Any] = {
        "catch_up_interval": catch_up_interval or None,
        "keep_days": keep_days or None,
        "lease_seconds": lease_seconds,
    }
    if retry_delays is not None:
        kwargs["retry_delays"] = retry_delays
    try:
        return TriggerApp(client=client, state_path=state, public_url=public_url, **kwargs)
    except Exception as exc:
        _fail(f"cannot open the trigger state {describe_state(state)!r}: {exc}")


def _state_exists(state: str) -> bool:
    """A DSN always "exists" (opening it creates the tables); a SQLite file must be there."""
    return is_dsn(state) or os.path.exists(state)


def _require_state(state: str) -> None:
    if not _state_exists(state):
        _fail(f"no trigger state at {state!r} (pass --state)")


def _sink_handlers(
    app: TriggerApp,
    out: str | None,
    exec_: str | None,
    forward: str | None,
    redis_stream: str | None = None,
    nats: str | None = None,
) -> list[Handler]:
    from pipedrive_connector.triggers.queue_sinks import NatsSink, RedisStreamSink

    sinks: list[Any] = []
    with _errors():
        if out:
            sinks.append(JsonlSink(out, app.document))
        if exec_:
            sinks.append(ExecSink(exec_, app.document))
        if forward:
            sinks.append(ForwardSink(forward, app.document))
        for target, sink_type, option, extra in (
            (redis_stream, RedisStreamSink, "--redis-stream", "redis"),
            (nats, NatsSink, "--nats", "nats"),
        ):
            if not target:
                continue
            try:
                sinks.append(sink_type(target, app.document))
            except ImportError as exc:
                _fail(f"{option} needs {exc.name}: pip install 'pipedrive-connector[{extra}]'", USAGE_ERROR)
    return [Handler(sink.name, sink) for sink in sinks]


def _add_sinks(
    app: TriggerApp,
    out: str | None,
    exec_: str | None,
    forward: str | None,
    redis_stream: str | None = None,
    nats: str | None = None,
) -> list[str]:
    """Register the sinks as handlers; their names, e.g. ``out:/path/events.jsonl``."""
    handlers = _sink_handlers(app, out, exec_, forward, redis_stream, nats)
    for handler in handlers:
        app.add_handler(handler.name, handler.func)
    return [handler.name for handler in handlers]


def _add_printer(app: TriggerApp, as_json: bool) -> None:
    def print_event(event: Any) -> None:
        if as_json:
            typer.echo(json.dumps(app.document(event), default=str, sort_keys=True))
            return
        when = event.timestamp.isoformat() if event.timestamp else ""
        typer.echo(f"{event.trigger} {event.action}.{event.object} {event.entity_id} {when} ({event.source})")

    app.add_handler("print", print_event)


def _retry_delays(raw: str | None) -> list[float] | None:
    if raw is None:
        return None
    try:
        delays = [float(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        _fail(f"--retry-delays must be comma-separated seconds, got {raw!r}", USAGE_ERROR)
    if not all(0 <= delay < float("inf") for delay in delays):
        _fail("--retry-delays must be seconds, 0 or more", USAGE_ERROR)
    return delays


def _conditions(params: dict[str, Any]) -> str:
    """A subscription's conditions in one short phrase, e.g. ``deal.region from 1 to 3``."""
    if not params:
        return ""
    if "field" in params:
        text = f"{params.get('object', '?')}.{params['field']}"
        if "from" in params:
            text += f" from {params['from']!r}"
        if "to" in params:
            text += f" to {params['to']!r}"
        return text
    return ", ".join(f"{key}={value!r}" for key, value in sorted(params.items()))


def _check_public_url(url: str | None) -> None:
    from urllib.parse import urlsplit

    if url is None:
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        _fail(f"--public-url {url!r} is not a valid URL ({exc})", USAGE_ERROR)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        _fail(f"--public-url must be an http(s) URL with a host, got {url!r}", USAGE_ERROR)


def _claim(app: TriggerApp) -> None:
    """Make this process the state file's one dispatcher before anything else happens."""
    try:
        app.claim_state()
    except StateInUse as exc:
        app.close()
        _fail(str(exc))


@triggers_app.command("list")
def list_triggers(state: str = STATE, as_json: bool = JSON_OUT) -> None:
    """The available triggers and this state file's subscriptions."""
    subs: list[dict[str, Any]] = []
    if _state_exists(state):
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
        described = "\n".join(
            f"{s['mode']}:{s['id']}"
            + (f" (webhook {s['webhook_id']}, v{s['version']})" if s["webhook_id"] else "")
            + (f" when {_conditions(s['params'])}" if s["params"] else "")
            for s in row["subscriptions"]
        )
        table.add_row(
            row["name"], row["event_object"], row["action"], "yes" if row["seed"] else "", described
        )
    Console().print(table)


@triggers_app.command()
@connection_options(api_version=False)
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
    as_json: bool = JSON_OUT,
    *,
    conn: ConnectionFlags,
) -> None:
    """Register the trigger's webhook (idempotent: an existing matching webhook is reused)."""
    _check_public_url(public_url)
    client = _client(conn)
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
@connection_options(api_version=False)
def disable(
    trigger: str = typer.Argument(..., help="Trigger name."),
    public_url: str | None = typer.Option(None, "--public-url", help="Only the subscription for this URL."),
    state: str = STATE,
    as_json: bool = JSON_OUT,
    *,
    conn: ConnectionFlags,
) -> None:
    """Delete the trigger's webhook(s) and subscription(s)."""
    _check_public_url(public_url)
    client = _client(conn)
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
@connection_options(api_version=False)
def cleanup(
    public_url: str = typer.Option(..., "--public-url", help="The receiver's public base URL."),
    state: str = STATE,
    as_json: bool = JSON_OUT,
    *,
    conn: ConnectionFlags,
) -> None:
    """Delete webhooks that point at this receiver but belong to no stored subscription."""
    _check_public_url(public_url)
    client = _client(conn)
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


def _run_server(
    app: TriggerApp,
    sock: socket.socket,
    catch_up: bool,
    limits: ServerLimits,
    dispatch: bool = True,
    ui_token: str | None = None,
) -> None:
    from pipedrive_connector.serving import serve_forever

    if not catch_up or not dispatch:
        app.asgi.on_startup = lambda: app.start(catch_up=catch_up, dispatch=dispatch)
    if ui_token is None:
        serve_forever(app.asgi, sock, limits)
        return
    from pipedrive_connector.triggers.console import with_console

    serve_forever(with_console(app, ui_token), sock, limits)


def _serve_metrics(app: TriggerApp, host: str, port: int) -> None:
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr=host, registry=app.metrics.registry)
    except OSError as exc:
        app.close()
        _fail(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}")


def _run_dispatcher(app: TriggerApp, catch_up: bool) -> None:
    """Dispatch (and catch up) without a receiver until SIGTERM or Ctrl-C; in-flight work finishes."""
    import threading

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with _errors():
            app.start(catch_up=catch_up)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@triggers_app.command()
@connection_options(api_version=False)
def serve(
    host: str = HOST,
    port: int = PORT,
    state: str = STATE,
    out: str | None = OUT,
    exec_: str | None = EXEC,
    forward: str | None = FORWARD,
    redis_stream: str | None = REDIS_STREAM,
    nats: str | None = NATS,
    catch_up: bool = typer.Option(
        True, "--catch-up/--no-catch-up", help="Poll for changes missed while down."
    ),
    catch_up_interval: float = typer.Option(
        300.0, "--catch-up-interval", help="Seconds between catch-up passes while running (0: at start only)."
    ),
    max_body: int = typer.Option(
        1024 * 1024, "--max-body", min=1, help="Largest accepted body in bytes (413 above)."
    ),
    retry_delays: str | None = typer.Option(
        None, "--retry-delays", help="Handler retry delays, e.g. 1,5,30."
    ),
    keep_days: float = KEEP_DAYS,
    role: str = typer.Option(
        "all",
        "--role",
        help="all: receive and dispatch; receiver: only answer webhooks (others dispatch); "
        "dispatcher: only run the sinks, no HTTP port. Split roles need a postgresql:// --state "
        "(or SQLite with one dispatcher).",
    ),
    lease_seconds: float = typer.Option(
        300.0,
        "--lease-seconds",
        help="How long a dispatcher holds an event it works on (renewed while its handlers run); "
        "another dispatcher takes over this long after one dies.",
    ),
    log_format: str = typer.Option(
        "text", "--log-format", help="text, or json: one JSON object per line, with the event key."
    ),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        help="--role dispatcher: serve Prometheus /metrics on this port (receivers serve it "
        "beside /webhooks, /healthz and /readyz).",
    ),
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    ui: bool = typer.Option(
        False,
        "--ui",
        help="Serve the web console at /ui (subscriptions, events, replay); it asks for a token "
        "printed at start.",
    ),
    *,
    conn: ConnectionFlags,
) -> None:
    """Run the webhook receiver (POST /webhooks/{subscription}, GET /healthz, /readyz, /metrics)
    and dispatch events to the sinks."""
    if role not in ROLES:
        _fail(f"--role must be one of {', '.join(ROLES)}, not {role!r}", USAGE_ERROR)
    if ui and role == "dispatcher":
        _fail("--ui needs an HTTP port: not with --role dispatcher", USAGE_ERROR)
    if not 1 <= lease_seconds < float("inf"):
        _fail("--lease-seconds must be 1 second or more", USAGE_ERROR)
    if metrics_port is not None and role != "dispatcher":
        _fail("--metrics-port is for --role dispatcher (receivers serve /metrics on --port)", USAGE_ERROR)
    with _errors():
        configure_logging(log_format)
    limits = server_limits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    # Bind before the state is opened: a taken port changes nothing.
    sock = bind_or_exit(host, port) if role != "dispatcher" else None
    if not catch_up_interval >= 0:
        _fail("--catch-up-interval must be 0 or more seconds", USAGE_ERROR)
    delays = _retry_delays(retry_delays)
    usage_hooks: list[Any] = []  # the app's metrics, once the app exists
    client = _client(conn, required=False, on_usage=lambda usage: [hook(usage) for hook in usage_hooks])
    app = _app(
        state,
        client,
        retry_delays=delays,
        catch_up_interval=catch_up_interval,
        keep_days=keep_days,
        lease_seconds=lease_seconds,
    )
    usage_hooks.append(app.metrics.observe_usage)
    dispatch = role != "receiver"
    if dispatch:
        _claim(app)
    app.receiver.max_body_bytes = max_body
    sinks = _add_sinks(app, out, exec_, forward, redis_stream, nats)
    if dispatch and not sinks:
        _err.print("warning: no sink given: events are stored and marked done without a handler")
    elif not dispatch and sinks:
        _err.print("warning: --role receiver runs no sinks: the dispatchers of this state run theirs")
    count = len(app.subscriptions())
    try:
        if sock is None:
            _err.print(f"dispatching from {describe_state(state)} ({count} subscriptions)")
            if metrics_port is not None:
                _serve_metrics(app, host, metrics_port)
            _run_dispatcher(app, catch_up and client is not None)
        else:
            _err.print(f"receiving on {listening_url(sock)}/webhooks/<subscription> ({count} subscriptions)")
            ui_token = secrets.token_urlsafe(24) if ui else None
            if ui_token is not None:
                _err.print(f"console on {listening_url(sock)}/ui", soft_wrap=True)
                _err.print(f"console token (sign in with it): {ui_token}", soft_wrap=True, highlight=False)
            _run_server(app, sock, catch_up and client is not None and dispatch, limits, dispatch, ui_token)
    finally:
        app.close()


@triggers_app.command()
@connection_options(api_version=False)
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
    redis_stream: str | None = REDIS_STREAM,
    nats: str | None = NATS,
    keep_days: float = KEEP_DAYS,
    as_json: bool = typer.Option(
        False, "--json", help="Without a sink: print each event as one JSON line (default: a short line)."
    ),
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    *,
    conn: ConnectionFlags,
) -> None:
    """Enable the triggers, receive events, and disable them again on exit (Ctrl-C).

    Without --out/--exec/--forward each event is printed to stdout as it arrives.
    """
    _check_public_url(public_url)
    limits = server_limits(header_timeout, body_timeout, keep_alive_timeout, max_connections)
    sock = bind_or_exit(host, port)  # before any webhook points at it
    client = _client(conn)
    app = _app(state, client, public_url, keep_days=keep_days)
    _claim(app)
    if not _add_sinks(app, out, exec_, forward, redis_stream, nats):
        _add_printer(app, as_json)
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
@connection_options(api_version=False)
def poll(
    triggers: list[str] = typer.Argument(..., help="Trigger names to poll (new*/updated*)."),
    interval: float = typer.Option(30.0, "--interval", help="Seconds between polls."),
    once: bool = typer.Option(False, "--once", help="Poll once, dispatch, and exit."),
    state: str = STATE,
    out: str | None = OUT,
    exec_: str | None = EXEC,
    forward: str | None = FORWARD,
    redis_stream: str | None = REDIS_STREAM,
    nats: str | None = NATS,
    keep_days: float = KEEP_DAYS,
    as_json: bool = JSON_OUT,
    *,
    conn: ConnectionFlags,
) -> None:
    """Poll Pipedrive's v2 lists for changes (no public URL needed); same events as webhooks."""
    if not 0 < interval < float("inf"):
        _fail("--interval must be a number of seconds above 0", USAGE_ERROR)
    client = _client(conn)
    app = _app(state, client, keep_days=keep_days)
    _claim(app)
    _add_sinks(app, out, exec_, forward, redis_stream, nats)
    interrupted = False
    try:
        with _errors():
            subs = [app.poll_subscription_for(name) for name in triggers]
        if once:
            with _errors():
                results = app.poll_once(subs)
                app.dispatcher.drain()
                app.dispatcher.prune()
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
        interrupted = True
    finally:
        app.close()
    if interrupted:
        raise typer.Exit(INTERRUPTED)


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S") if epoch else ""


@triggers_app.command()
def events(
    status: str | None = typer.Option(None, "--status", help="pending, running, done or dead."),
    trigger: str | None = typer.Option(None, "--trigger", help="Only this trigger's events."),
    limit: int = typer.Option(50, "--limit", min=1, help="How many of the most recent events."),
    state: str = STATE,
    as_json: bool = JSON_OUT,
) -> None:
    """Recent events in the inbox and their states."""
    if status is not None and status not in ("pending", "running", "done", "dead"):
        _fail(f"--status must be pending, running, done or dead, not {status!r}", USAGE_ERROR)
    _require_state(state)
    app = _app(state)
    try:
        rows = [row.to_dict() for row in app.events(status=status, limit=limit, trigger=trigger)]
    finally:
        app.close()
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"events in {describe_state(state)}")
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
    redis_stream: str | None = REDIS_STREAM,
    nats: str | None = NATS,
    as_json: bool = JSON_OUT,
) -> None:
    """Queue the named (or dead) events again for the handlers `serve` runs.

    With --out/--exec/--forward those events (and no others) also run through these sinks now.
    """
    if not seqs and not dead:
        _fail("name event numbers to replay, or pass --dead", USAGE_ERROR)
    _require_state(state)
    app = _app(state)
    try:
        missing = [seq for seq in seqs or [] if app.store.event(seq) is None]
        if missing:
            _fail(f"no event with number {', '.join(map(str, missing))} in {describe_state(state)}")
        sinks = _sink_handlers(app, out, exec_, forward, redis_stream, nats)
        with _errors():
            result = app.replay(seqs or None, dead=dead, run_now=sinks)
        data = {
            "requeued": result.requeued,
            "ran_now": bool(sinks),
            "failures": {str(seq): error for seq, error in result.failures.items()},
            "counts": app.store.counts(),
        }
    finally:
        app.close()
    if as_json:
        _print_json(data)
    else:
        ran = " and ran them through the given sinks" if sinks else ""
        typer.echo(f"requeued {result.requeued} event(s){ran}; `serve` runs their handlers")
        for seq, error in result.failures.items():
            _err.print(f"event {seq}: {error}", highlight=False, markup=False)
    if result.failures:
        raise typer.Exit(1)


@triggers_app.command()
def prune(
    keep_days: float = typer.Option(
        DEFAULT_KEEP_DAYS,
        "--keep-days",
        help="Keep done events of the last DAYS days (0: none).",
    ),
    state: str = STATE,
    as_json: bool = JSON_OUT,
) -> None:
    """Delete done events older than --keep-days now (`serve` does it hourly); dead and pending stay."""
    if not 0 <= keep_days < float("inf"):
        _fail(f"--keep-days must be 0 or more days, got {keep_days}", USAGE_ERROR)
    _require_state(state)
    app = _app(state)
    try:
        with _errors():
            deleted = app.store.prune_done(time.time() - keep_days * 86400)
            counts = app.store.counts()
    finally:
        app.close()
    if as_json:
        _print_json({"deleted": deleted, "counts": counts})
    else:
        typer.echo(f"deleted {deleted} done event(s) older than {keep_days:g} days")


def register(app: typer.Typer) -> None:
    """Attach ``pipedrive triggers`` to the root app."""
    app.add_typer(triggers_app, name="triggers")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(triggers_app())
