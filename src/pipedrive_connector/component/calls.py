"""Sans-IO plumbing: action logic yields ``Call``s; a driver sends them on a sync or async client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    # A multipart upload: form fields and files (httpx's ``data=``/``files=``); ``raw``: bytes back.
    data: Mapping[str, Any] | None = None
    files: Any = None
    raw: bool = False

    def transfer(self) -> dict[str, Any]:
        """The client keywords of an upload or download (none for a JSON call)."""
        extra: dict[str, Any] = {}
        if self.files is not None:
            extra.update(data=self.data, files=self.files)
        if self.raw:
            extra["raw"] = True
        return extra


@dataclass(frozen=True)
class Pause:
    """Not a request: wait ``seconds`` before the next call (polling a conversion job)."""

    seconds: float


class Requester(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = ...,
        json: Any = ...,
        data: Any = ...,
        files: Any = ...,
        raw: bool = ...,
    ) -> dict[str, Any]: ...


class AsyncRequester(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = ...,
        json: Any = ...,
        data: Any = ...,
        files: Any = ...,
        raw: bool = ...,
    ) -> Awaitable[dict[str, Any]]: ...


Flow = Generator[Call | Pause, Any, T]


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == "":
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned


def drive(flow: Flow[T], requester: Requester) -> T:
    """Run a flow to completion with a synchronous client."""
    try:
        call = next(flow)
        while True:
            if isinstance(call, Pause):
                time.sleep(call.seconds)
                call = flow.send(None)
                continue
            response = requester.request(
                call.method, call.path, params=_clean_params(call.params), json=call.json, **call.transfer()
            )
            call = flow.send(response)
    except StopIteration as stop:
        return stop.value


async def adrive(flow: Flow[T], requester: AsyncRequester) -> T:
    """Run a flow to completion with an asynchronous client."""
    try:
        call = next(flow)
        while True:
            if isinstance(call, Pause):
                await asyncio.sleep(call.seconds)
                call = flow.send(None)
                continue
            try:
                response = await requester.request(
                    call.method,
                    call.path,
                    params=_clean_params(call.params),
                    json=call.json,
                    **call.transfer(),
                )
            except Exception as error:
                call = flow.throw(error)
                continue
            call = flow.send(response)
    except StopIteration as stop:
        return stop.value


def request(method: str, path: str, params: Mapping[str, Any] | None = None, json: Any = None) -> Flow[Any]:
    """One call inside a flow: ``body = yield from request("GET", "/v1/users/me")``."""
    body = yield Call(method, path, params, json)
    return body


def pause(seconds: float) -> Flow[None]:
    """Wait inside a flow without blocking the event loop when it runs on the async client."""
    yield Pause(seconds)
