"""Raw loopback sockets that hold a server's connections the way slow or hostile clients do.

``hold`` opens ``count`` sockets per kind: ``headers`` sends half a request line and headers and stops,
``body`` sends complete headers announcing a body and only part of it, ``idle`` sends nothing.
``closed_within`` then reads every socket until the server closes it (bounded by a deadline).
"""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass, field

PARTIAL_HEADERS = b"POST /webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"


def partial_body(path: str, headers: dict[str, str] | None = None) -> bytes:
    """Headers that promise a 1,000-byte JSON body, and its first few bytes."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines.append("Content-Length: 1000")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + b'{"meta": {'


@dataclass
class HeldSockets:
    by_kind: dict[str, list[socket.socket]] = field(default_factory=dict)

    def all(self) -> list[socket.socket]:
        return [sock for socks in self.by_kind.values() for sock in socks]

    def close(self) -> None:
        for sock in self.all():
            sock.close()


def hold(port: int, count: int, body_request: bytes) -> HeldSockets:
    """``count`` sockets of each kind (headers, body, idle), connected and written to."""
    held = HeldSockets({"headers": [], "body": [], "idle": []})
    payloads = {"headers": PARTIAL_HEADERS, "body": body_request, "idle": b""}
    try:
        for kind, payload in payloads.items():
            for _ in range(count):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                held.by_kind[kind].append(sock)
                if payload:
                    sock.sendall(payload)
    except BaseException:
        held.close()
        raise
    return held


def still_open(sock: socket.socket) -> bool:
    """True when the server has neither answered nor closed this socket yet."""
    timeout = sock.gettimeout()
    sock.setblocking(False)  # with a timeout set, recv would wait for data despite MSG_DONTWAIT
    try:
        return not sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except ConnectionError:
        return False
    finally:
        sock.settimeout(timeout)


def closed_within(socks: list[socket.socket], seconds: float) -> dict[socket.socket, bytes]:
    """What the server sent on each socket before closing it; fails if any is still open at the end."""
    received: dict[socket.socket, bytes] = {sock: b"" for sock in socks}
    selector = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, sock)
    deadline = time.monotonic() + seconds
    open_count = len(socks)
    try:
        while open_count and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
                sock = key.data
                try:
                    chunk = sock.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionError:
                    chunk = b""
                if chunk:
                    received[sock] += chunk
                else:
                    selector.unregister(sock)
                    open_count -= 1
    finally:
        selector.close()
    assert open_count == 0, f"{open_count} of {len(socks)} slow connections still open after {seconds} s"
    return received
