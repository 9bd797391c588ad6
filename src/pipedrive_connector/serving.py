"""Serve an ASGI app under uvicorn, bound first and guarded against slow and idle clients.

uvicorn closes idle kept-alive connections, but nothing bounds how long a client may take to send its
request headers or body, and its ``limit_concurrency`` only answers 503 once a whole request has
arrived: a few hundred sockets that send half a request, or nothing, stay open for ever and use up
file descriptors. The protocols built here give every request a header deadline (the connection
is closed, with a 408 if part of a request came), a body deadline (408, then closed) and refuse
connections beyond a cap with a 503.

Two protocols carry the same guards: uvicorn's httptools one (a C parser), used when httptools is
installed, with uvloop's event loop when uvloop is; and uvicorn's pure-Python h11 one with asyncio's
loop otherwise. Setting the environment variable ``PIPEDRIVE_HTTP=h11`` forces the h11 protocol and
asyncio's loop even when the others are installed (``httptools`` requires them, ``auto`` is the
default); it is read each time a server is built.

The listening socket is bound before anything else happens (``bind_socket``), so a caller can print
the real address (``--port 0``) and report an address in use before touching any state.

A shared utility outside the five parts: it depends on uvicorn (and h11 or httptools) only, so the
sandbox and the triggers may both use it. uvicorn is imported lazily, when a server is built.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)

DEFAULT_BACKLOG = 2048
# Descriptors kept free for everything that is not a client connection (logs, SQLite, outgoing HTTP).
FD_RESERVE = 64
# "h11" forces the pure-Python protocol and asyncio's loop (see the module docstring).
HTTP_ENV = "PIPEDRIVE_HTTP"

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 16\r\n\r\nrequest too slow"
)
_REFUSED_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 20\r\n\r\ntoo many connections"
)


class InvalidLimit(ValueError):
    """A ``ServerLimits`` value that makes no sense; ``field`` names it, ``problem`` says why."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class ServerLimits:
    """How long a client may take, and how many may be connected at once.

    ``header_timeout``: from connecting (or from the first byte of the next request on a kept-alive
    connection) until the request headers are complete. ``body_timeout``: from the end of the headers
    until the whole body has arrived. ``keep_alive_timeout``: how long an idle connection stays open
    after a response. ``max_connections``: connections beyond it are answered 503 and closed at once
    (lowered to fit the process's open-file limit if that is smaller).
    """

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: float = 5.0
    max_connections: int = 1000

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "keep_alive_timeout"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (math.isfinite(value) and value > 0)
            ):
                raise InvalidLimit(name, f"must be a positive number of seconds, got {value!r}")
        cap = self.max_connections
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise InvalidLimit("max_connections", f"must be a positive whole number, got {cap!r}")


class BindError(OSError):
    """The listening socket could not be created; the message names the address and the reason."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code


def _display(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind_socket(host: str, port: int, *, backlog: int = DEFAULT_BACKLOG) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening (connections queue until the server runs).

    Raises ``BindError`` with a one-line message (``cannot listen on 127.0.0.1:8000: address already
    in use``) instead of the bare ``OSError``.
    """
    where = _display(host, port)
    if not 0 <= port <= 65535:
        raise BindError(f"cannot listen on {where}: the port must be 0-65535")
    try:
        # Naming IPPROTO_TCP matters: asyncio enables TCP_NODELAY only on sockets whose proto is TCP,
        # and with Nagle left on every request on a kept-alive connection waits ~40 ms for an ACK.
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError):
        raise BindError(f"cannot listen on {where}: unknown host {host!r}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise BindError(f"cannot listen on {where}: {reason}", exc.errno) from None
    return sock


def listening_url(sock: socket.socket) -> str:
    """``http://HOST:PORT`` of a bound socket, with the real port when it was bound to port 0."""
    host, port = sock.getsockname()[:2]
    return f"http://{_display(host, port)}"


def connection_cap(requested: int) -> int:
    """``requested``, lowered so the connections fit under the soft open-file limit."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return requested
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft - FD_RESERVE >= requested:
        return requested
    cap = max(1, soft - FD_RESERVE)
    log.warning("open-file limit %s: accepting at most %s connections instead of %s", soft, cap, requested)
    return cap


class _Guards:
    """What both guarded protocols share: the deadline timer, the connection cap and the 408 rule.

    Mixed in before uvicorn's protocol class; ``loop``, ``transport``, ``cycle`` and
    ``server_state`` are that class's. Each protocol says when a request has begun
    (``_request_begun``) and arms the deadlines from its own parser's view of the request.
    """

    loop: asyncio.AbstractEventLoop
    transport: Any
    cycle: Any
    server_state: Any

    def _init_guards(self, limits: ServerLimits, cap: int) -> None:
        self._limits = limits
        self._cap = cap
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for = ""
        self._refused = False

    def _refused_over_cap(self, transport: Any) -> bool:
        """Answer 503 and close when the server holds ``cap`` connections already."""
        if len(self.server_state.connections) < self._cap:
            return False
        self._refused = True
        _refuse(transport)
        return True

    def _request_begun(self) -> bool:
        raise NotImplementedError

    def _arm(self, waiting_for: str, seconds: float) -> None:
        self._disarm()
        self._waiting_for = waiting_for
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting_for = ""

    def _too_slow(self) -> None:
        waiting_for, self._deadline, self._waiting_for = self._waiting_for, None, ""
        if self.transport.is_closing():
            return
        if waiting_for == "headers":
            started = self._request_begun()
        else:
            started = self.cycle is not None and not self.cycle.response_started
        if started:  # a client that sent nothing is not owed an answer
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def _guarded_h11(limits: ServerLimits) -> type[Any]:
    """uvicorn's h11 protocol with header and body deadlines and a connection cap."""

    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    cap = connection_cap(limits.max_connections)

    class GuardedH11Protocol(_Guards, H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._init_guards(limits, cap)
            # uvicorn annotates it int but only hands it to call_later, which takes fractions too.
            self.timeout_keep_alive = limits.keep_alive_timeout  # type: ignore[assignment]

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            if self._refused_over_cap(transport):
                return
            super().connection_made(transport)  # type: ignore[arg-type]
            self._arm("headers", limits.header_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if not self._refused:
                super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self.conn.their_state is h11.IDLE:
                # The first bytes of the next request on a kept-alive connection start its clock.
                self._arm("headers", limits.header_timeout)
            super().data_received(data)

        def handle_events(self) -> None:
            super().handle_events()
            state = self.conn.their_state
            if state is h11.IDLE:
                return  # the request headers are not complete yet
            if state is h11.SEND_BODY:
                if self._waiting_for != "body":
                    self._arm("body", limits.body_timeout)
            else:
                self._disarm()

        def _request_begun(self) -> bool:
            return bool(self.conn.trailing_data[0])

    return GuardedH11Protocol


def _guarded_httptools(limits: ServerLimits) -> type[Any]:
    """uvicorn's httptools protocol with the same deadlines and cap as ``_guarded_h11``.

    The parser's callbacks say where the request stands (``_phase``); the deadline is set once per
    ``data_received``, after the parser has seen the bytes, so a request that arrives whole in one
    read never starts (and cancels) a timer of its own.
    """

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    cap = connection_cap(limits.max_connections)

    class GuardedHttpToolsProtocol(_Guards, HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._init_guards(limits, cap)
            # uvicorn annotates it int but only hands it to call_later, which takes fractions too.
            self.timeout_keep_alive = limits.keep_alive_timeout  # type: ignore[assignment]
            # "idle" (between requests), "headers" (begun), "body" (headers complete), "read".
            self._phase = "idle"
            self._heard = False  # any byte yet on this connection

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if self._refused_over_cap(transport):
                return
            super().connection_made(transport)
            self._arm("headers", limits.header_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if not self._refused:
                super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._phase = "headers"

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._phase = "body"

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._phase = "read"

        def data_received(self, data: bytes) -> None:
            self._heard = True
            super().data_received(data)
            if self.transport.is_closing():  # a 400 for a malformed request, or an upgrade
                self._disarm()
                return
            phase = self._phase
            if phase == "headers":
                if self._waiting_for != "headers":
                    self._arm("headers", limits.header_timeout)
            elif phase == "body":
                if self._waiting_for != "body":
                    self._arm("body", limits.body_timeout)
            elif self.cycle is None or self.cycle.response_complete:
                # Bytes that begin no request (blank lines) must not hold the connection open either.
                if self._waiting_for != "headers":
                    self._arm("headers", limits.header_timeout)
            elif self._deadline is not None:
                self._disarm()  # a whole request came; the application has it

        def _request_begun(self) -> bool:
            # Not while an earlier (pipelined) request's response is still being written.
            cycle = self.cycle
            return self._heard and (cycle is None or cycle.response_complete)

    return GuardedHttpToolsProtocol


def _refuse(transport: Any) -> None:
    # Not an isinstance check: uvloop's transports do not subclass asyncio's.
    transport.write(_REFUSED_RESPONSE)
    transport.close()


def _quiet_when_abandoned(app: Any) -> Any:
    """``app``, minus the error traceback when it raises after its client went away.

    A body deadline (or a client hanging up) makes ``receive`` answer ``http.disconnect``; most apps
    then raise (Starlette's ``ClientDisconnect``), which uvicorn would log as an application error.
    Whatever an app raises once ``receive`` has said so is logged at debug level instead.
    """

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        gone = False

        async def watched_receive() -> Any:
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        try:
            await app(scope, watched_receive, send)
        except Exception:
            if not gone:
                raise
            log.debug(
                "%s %s failed after its client went away",
                scope.get("method"),
                scope.get("path"),
                exc_info=True,
            )

    return guarded


def http_stack() -> tuple[str, str]:
    """The HTTP protocol and event loop ``make_server`` uses: ``("httptools", "uvloop")`` when both
    are installed, ``("h11", "asyncio")`` when ``PIPEDRIVE_HTTP=h11`` or neither is.

    Raises ``ValueError`` naming the variable for a value other than ``h11``, ``httptools`` or
    ``auto``, or for ``httptools`` when it is not installed.
    """
    wanted = os.environ.get(HTTP_ENV, "auto").strip().lower() or "auto"
    if wanted not in ("auto", "h11", "httptools"):
        raise ValueError(f"{HTTP_ENV} must be h11, httptools or auto, got {wanted!r}")
    if wanted == "h11":
        return "h11", "asyncio"
    has_httptools = _importable("httptools")
    if wanted == "httptools" and not has_httptools:
        raise ValueError(f"{HTTP_ENV}=httptools but httptools cannot be imported")
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    return ("httptools" if has_httptools else "h11"), loop


def _importable(module: str) -> bool:
    # An import, not find_spec: an installed extension that fails to load must count as absent.
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def make_server(
    app: Any,
    limits: ServerLimits | None = None,
    *,
    log_level: str = "warning",
    access_log: bool = True,
    graceful_shutdown: int | None = None,
) -> uvicorn.Server:
    """A uvicorn server for ``app`` (lifespan on) whose connections obey ``limits``.

    Its protocol and loop are ``http_stack()``'s.
    """
    import uvicorn

    limits = limits or ServerLimits()
    protocol, loop = http_stack()
    guarded = _guarded_httptools if protocol == "httptools" else _guarded_h11
    config = uvicorn.Config(
        _quiet_when_abandoned(app),
        http=guarded(limits),
        loop=loop,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=graceful_shutdown,
    )
    return uvicorn.Server(config)


def serve_forever(
    app: Any, sock: socket.socket, limits: ServerLimits | None = None, *, log_level: str = "warning"
) -> None:
    """Serve ``app`` on the bound ``sock`` until SIGINT/SIGTERM (blocking); the socket is closed after."""
    try:
        make_server(app, limits, log_level=log_level).run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def serve_in_thread(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: ServerLimits | None = None,
    name: str = "asgi-server",
    startup_timeout: float = 10.0,
) -> Iterator[str]:
    """Serve ``app`` in a daemon thread for the ``with`` block; yields its ``http://host:port``."""
    sock = bind_socket(host, port)
    server = make_server(app, limits, access_log=False, graceful_shutdown=1)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the server {name!r} did not start")
        time.sleep(0.01)
    try:
        yield listening_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
