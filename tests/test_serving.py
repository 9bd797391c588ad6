"""``pipedrive_connector.serving``: binding first, and the deadlines and cap of its guarded protocol,
driven over real loopback sockets."""

from __future__ import annotations

import errno
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pipedrive_connector.serving import (
    HTTP_ENV,
    BindError,
    ServerLimits,
    bind_socket,
    http_stack,
    listening_url,
    make_server,
    serve_in_thread,
)
from slow_clients import closed_within, still_open


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"received": len(await request.body())})


APP = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])])
GET = b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
    length = int({name.lower(): value for name, value in fields.items()}[b"content-length"])
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_bind_socket_on_port_0_listens_on_a_real_port_at_once() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        url = listening_url(sock)
        assert url.startswith("http://127.0.0.1:") and port_of(url) > 0
        # Listening already: a client connects (and waits in the backlog) before any server runs.
        socket.create_connection(("127.0.0.1", port_of(url)), timeout=2).close()
    finally:
        sock.close()


def test_a_taken_port_is_one_clear_error(taken_port: int) -> None:
    with pytest.raises(BindError) as caught:
        bind_socket("127.0.0.1", taken_port)
    assert str(caught.value) == f"cannot listen on 127.0.0.1:{taken_port}: address already in use"
    assert caught.value.errno == errno.EADDRINUSE
    assert isinstance(caught.value, OSError)


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("127.0.0.1", 70000, "the port must be 0-65535"),
        ("no-such-host.invalid", 0, "unknown host 'no-such-host.invalid'"),
    ],
)
def test_bad_addresses_are_named(host: str, port: int, message: str) -> None:
    with pytest.raises(BindError, match=message):
        bind_socket(host, port)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("header_timeout", 0),
        ("body_timeout", -1.0),
        ("keep_alive_timeout", float("nan")),
        ("header_timeout", float("inf")),
        ("max_connections", 0),
        ("max_connections", 2.5),
    ],
)
def test_limits_refuse_nonsense(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        ServerLimits(**{field: value})  # type: ignore[arg-type]


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(http_protocol: str) -> None:
    limits = ServerLimits(header_timeout=30.0, body_timeout=30.0, keep_alive_timeout=0.5)
    with serve_in_thread(APP, limits=limits) as url:
        sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
        with sock:
            sock.sendall(GET)
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")
            started = time.monotonic()
            assert closed_within([sock], 5)[sock] == b""  # closed quietly, long before the 30 s
            assert time.monotonic() - started >= 0.4


def test_trickling_headers_on_a_kept_alive_connection_get_408(http_protocol: str) -> None:
    # One byte every 0.2 s keeps resetting the keep-alive timer; the header deadline still ends it.
    limits = ServerLimits(header_timeout=1.0, body_timeout=30.0, keep_alive_timeout=0.5)
    with serve_in_thread(APP, limits=limits) as url:
        sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
        with sock:
            sock.sendall(GET)
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")
            started = time.monotonic()
            for byte in b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaa":
                if not still_open(sock):
                    break
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
            assert closed_within([sock], 5)[sock].startswith(b"HTTP/1.1 408 Request Timeout")
            assert 0.9 <= time.monotonic() - started < 4


def test_a_body_slower_than_its_deadline_gets_408_without_an_application_error(http_protocol: str) -> None:
    handler = Records()
    limits = ServerLimits(header_timeout=5.0, body_timeout=0.5)
    with serve_in_thread(APP, limits=limits) as url:
        logging.getLogger("uvicorn.error").addHandler(handler)
        try:
            sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
            with sock:
                sock.sendall(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n12345")
                assert closed_within([sock], 5)[sock].startswith(b"HTTP/1.1 408 ")
            # A body that arrives in time, in pieces, is read whole.
            sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
            with sock:
                sock.sendall(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n12345")
                time.sleep(0.1)
                sock.sendall(b"67890")
                assert read_response(sock).endswith(b'{"received":10}')
            time.sleep(0.2)
        finally:
            logging.getLogger("uvicorn.error").removeHandler(handler)
    assert [record.getMessage() for record in handler.records if record.levelno >= logging.ERROR] == []


def test_connections_beyond_the_cap_get_503_and_the_slot_frees_up(http_protocol: str) -> None:
    limits = ServerLimits(header_timeout=1.0, keep_alive_timeout=1.0, max_connections=20)
    with serve_in_thread(APP, limits=limits) as url:
        idle = [socket.create_connection(("127.0.0.1", port_of(url)), timeout=5) for _ in range(20)]
        try:
            time.sleep(0.1)  # let the server accept them all
            extra = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
            with extra:
                assert closed_within([extra], 5)[extra].startswith(b"HTTP/1.1 503 Service Unavailable")
            closed_within(idle, 10)
        finally:
            for sock in idle:
                sock.close()
        assert httpx.get(f"{url}/echo", timeout=5).json() == {"received": 0}


def test_the_cap_is_lowered_to_fit_the_open_file_limit() -> None:
    script = (
        "import resource\n"
        "from pipedrive_connector.serving import FD_RESERVE, connection_cap\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (200, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "print(connection_cap(1000), connection_cap(100), 200 - FD_RESERVE)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lowered, kept, expected = done.stdout.split()
    assert (int(lowered), int(kept)) == (int(expected), 100)
    assert "accepting at most" in done.stderr


@pytest.mark.parametrize(
    ("setting", "protocol_class", "loop"),
    [
        (None, "HttpToolsProtocol", "uvloop"),
        ("httptools", "HttpToolsProtocol", "uvloop"),
        ("h11", "H11Protocol", "asyncio"),
    ],
)
def test_the_server_runs_the_protocol_the_environment_asks_for(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, protocol_class: str, loop: str
) -> None:
    if setting is None:
        monkeypatch.delenv(HTTP_ENV, raising=False)
    else:
        monkeypatch.setenv(HTTP_ENV, setting)
    config = make_server(APP).config
    assert protocol_class in [base.__name__ for base in config.http.__mro__]  # type: ignore[union-attr]
    assert config.loop == loop


def test_an_unknown_protocol_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HTTP_ENV, "h2")
    with pytest.raises(ValueError, match="PIPEDRIVE_HTTP must be h11, httptools or auto, got 'h2'"):
        http_stack()


def test_without_httptools_and_uvloop_the_h11_stack_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HTTP_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "httptools", None)  # a None entry makes `import httptools` fail
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert http_stack() == ("h11", "asyncio")
    with serve_in_thread(APP) as url:
        assert httpx.post(f"{url}/echo", content=b"12345", timeout=5).json() == {"received": 5}
    monkeypatch.setenv(HTTP_ENV, "httptools")
    with pytest.raises(ValueError, match="PIPEDRIVE_HTTP=httptools but httptools cannot be imported"):
        http_stack()


def test_blank_lines_between_requests_do_not_hold_a_connection_open(http_protocol: str) -> None:
    # Each byte resets the keep-alive timer. h11 refuses the blank lines at once (400); httptools skips
    # them, so there the header deadline has to end it.
    limits = ServerLimits(header_timeout=1.0, body_timeout=30.0, keep_alive_timeout=0.5)
    with serve_in_thread(APP, limits=limits) as url:
        sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
        with sock:
            sock.sendall(GET)
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")
            started = time.monotonic()
            for _ in range(20):
                if not still_open(sock):
                    break
                sock.sendall(b"\r\n")
                time.sleep(0.2)
            answer = closed_within([sock], 5)[sock]
            assert time.monotonic() - started < 3
            assert answer.startswith(b"HTTP/1.1 400 " if http_protocol == "h11" else b"HTTP/1.1 408 ")
