"""Helpers for the client tests: a socket-served sandbox, control-plane calls, sync/async parity."""

from __future__ import annotations

import inspect
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from pipedrive_connector.sandbox import SandboxSettings, create_app


@dataclass
class Served:
    base_url: str
    api_token: str
    state: Any

    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST (or GET without body) to the sandbox control plane."""
        url = f"{self.base_url}/_sandbox/{path}"
        response = httpx.post(url, json=body) if body is not None else httpx.get(url)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def serve_sandbox(settings: SandboxSettings) -> Iterator[Served]:
    """The sandbox app on uvicorn in a thread, like ``run_sandbox``.

    The listening socket is created with ``IPPROTO_TCP`` so that asyncio turns on TCP_NODELAY for
    accepted connections; with protocol 0 it does not, and every response body waits ~40 ms for a
    delayed ACK (uvicorn writes headers and body separately).
    """
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("sandbox did not start")
        time.sleep(0.01)
    try:
        yield Served(f"http://127.0.0.1:{port}", settings.api_token, app.state.sandbox)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


# -- sync/async parity ------------------------------------------------------------------------
# Tests are written once as async code against ``Either``: with the async client every call is
# awaited as usual; with the sync client the call runs immediately and ``await`` just hands back
# its result (sync iterators become async iterators). Same test body, both clients.


_PLAIN = (str, int, float, bool, bytes, type(None), dict, list, tuple)


def wrap(value: Any) -> Any:
    if isinstance(value, _PLAIN) or hasattr(value, "model_dump"):
        return value
    return Either(value)


class Either:
    def __init__(self, target: Any) -> None:
        self._target = target

    @property
    def unwrapped(self) -> Any:
        return self._target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if callable(attr) and not isinstance(attr, type):
            return lambda *args, **kwargs: _result(attr(*args, **kwargs))
        return wrap(attr)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)

    def __getitem__(self, index: int) -> Any:
        return self._target[index]


def _result(value: Any) -> Any:
    # Methods that are plain on both clients (has_next(), names()) answer directly; everything
    # else (models, pages, None from next_page(), coroutines, iterators) must be awaited/iterated.
    if isinstance(value, str | int | float | bool | list):
        return value
    if hasattr(value, "_core"):  # with_options() gives a client view on both kinds
        return Either(value)
    return _Result(value)


class _Result:
    def __init__(self, value: Any) -> None:
        self._value = value

    def __await__(self) -> Any:
        value = self._value
        if inspect.isawaitable(value):
            value = yield from value.__await__()
        return wrap(value)

    def __aiter__(self) -> AsyncIterator[Any]:
        value = self._value
        if hasattr(value, "__aiter__"):
            return _wrap_async(value)
        return _from_sync(value)


async def _from_sync(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    for item in iterator:
        yield wrap(item)


async def _wrap_async(iterator: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for item in iterator:
        yield wrap(item)


class SyncASGITransport(httpx.BaseTransport):
    """A synchronous httpx transport that runs an ASGI app in-process, on an event loop in a thread.

    Starlette's ``TestClient`` is built on httpx2 when that package is installed (the ``mcp`` SDK
    brings it), so it is no ``httpx.Client``; this drives ``httpx.ASGITransport`` from sync code instead.
    """

    def __init__(self, app: Any) -> None:
        from anyio.from_thread import start_blocking_portal

        self._inner = httpx.ASGITransport(app=app)
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._inner.handle_async_request(copy)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)
