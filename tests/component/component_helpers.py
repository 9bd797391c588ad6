"""Transports that count the requests leaving for the sandbox (the proof that validation sends none)."""

from __future__ import annotations

import httpx


class CountingTransport(httpx.HTTPTransport):
    """Counts the requests that really leave for the sandbox (the proof that validation sends none)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)


class AsyncCountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await super().handle_async_request(request)
