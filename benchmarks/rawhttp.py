"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

httpx's async client tops out near 500 requests/s on this class of machine (measured: 520/s with
32 concurrent tasks against a bare Starlette endpoint), which would make the generator, not the
server, the thing measured at 1,000/s. This client does only what the generator needs: POST a body
to a loopback server and read status and body back, reusing connections.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


class RawHTTPError(Exception):
    """The connection failed or the server answered something that is not HTTP/1.1."""


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


class RawPool:
    def __init__(self, host: str, port: int, *, max_connections: int = 64, timeout: float = 10.0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"RawPool only talks to loopback addresses, not {host}")
        self.host = host
        self.port = port
        self.timeout = timeout
        self._idle: list[_Conn] = []
        self._slots = asyncio.Semaphore(max_connections)

    async def _connect(self) -> _Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Conn(reader, writer)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("POST", path, body, headers)

    async def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                status, payload, keep = await asyncio.wait_for(
                    self._exchange(conn, method, path, body, headers), self.timeout
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.writer.close()
                raise RawHTTPError(f"{type(exc).__name__}: {exc}") from exc
            if keep:
                self._idle.append(conn)
            else:
                conn.writer.close()
            return status, payload

    async def _exchange(
        self, conn: _Conn, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, bool]:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        conn.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await conn.writer.drain()
        raw_head = await conn.reader.readuntil(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
        status = int(parts[1])
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            payload = await conn.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            payload = await _read_chunked(conn.reader)
        else:
            payload = await conn.reader.read()
            return status, payload, False
        keep = fields.get("connection", "").lower() != "close"
        return status, payload, keep

    async def close(self) -> None:
        for conn in self._idle:
            conn.writer.close()
        self._idle.clear()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
