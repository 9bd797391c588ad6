"""Ready-made handlers: append to a JSONL file, run a command, forward over HTTP."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from pipedrive_connector.triggers.definitions import TriggerDefinition
from pipedrive_connector.triggers.events import Event


class SinkError(RuntimeError):
    """A sink could not hand the event on; the dispatcher retries it."""


def event_document(event: Event, trigger: TriggerDefinition | None = None) -> dict[str, Any]:
    """What sinks emit: the trigger's output plus the event's identity and metadata."""
    return {
        "trigger": event.trigger or (trigger.name if trigger else None),
        "event_key": event.event_key,
        "content_key": event.content_key,
        "object": event.object,
        "action": event.action,
        "entity_id": event.entity_id,
        "source": event.source,
        "version": event.version,
        "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        "changed": list(event.changed),
        "output": trigger.output(event) if trigger else event.record,
        "previous": event.previous,
    }


class JsonlSink:
    """Appends one JSON line per event; writes each event key at most once, even across restarts."""

    def __init__(self, path: str | os.PathLike[str], document: Any) -> None:
        self.path = Path(path)
        self.document = document
        self._lock = threading.Lock()
        self._seen: set[str] | None = None
        self.name = f"out:{self.path.resolve()}"

    def _load_seen(self) -> set[str]:
        seen: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text("utf-8").splitlines():
                try:
                    document = json.loads(line)
                    seen.add(f"{document.get('trigger')}|{document['event_key']}")
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
        return seen

    def __call__(self, event: Event) -> None:
        with self._lock:
            if self._seen is None:
                self._seen = self._load_seen()
            key = f"{event.trigger}|{event.event_key}"
            if key in self._seen:
                return
            line = json.dumps(self.document(event), default=str, sort_keys=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            append_line(self.path, line.encode("utf-8"))
            self._seen.add(key)


def append_line(path: Path, line: bytes) -> None:
    """Append ``line`` and a newline as a whole, durably, or not at all.

    A failed write (disk full, file size limit) is cut back off, so that the retry does not glue
    onto half a line; a partial last line left by a crash is ended first. New files are 0600.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        if start and os.pread(fd, 1, start - 1) != b"\n":
            line = b"\n" + line
        data = line + b"\n"
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise SinkError(f"cannot append to {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


class ExecSink:
    """Runs a command with the event JSON on stdin; a non-zero exit is a failure."""

    def __init__(self, command: str, document: Any, timeout: float = 60.0) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("--exec needs a command")
        self.document = document
        self.timeout = timeout
        # Name by digest: a command line may carry secrets and names end up in the state file.
        self.name = f"exec:{self.argv[0]}:{hashlib.sha256(command.encode()).hexdigest()[:12]}"

    def __call__(self, event: Event) -> None:
        payload = json.dumps(self.document(event), default=str)
        try:
            # Its own process group, so that a timeout ends whatever the command started, too.
            process = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise SinkError(f"command not found: {self.argv[0]}") from None
        except PermissionError:
            raise SinkError(f"command not executable: {self.argv[0]}") from None
        try:
            _, stderr = process.communicate(payload, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise SinkError(f"command {self.argv[0]} timed out after {self.timeout:g} s") from None
        except BaseException:
            _kill_group(process)
            raise
        if process.returncode != 0:
            tail = (stderr or "").strip().splitlines()[-1:] or [""]
            raise SinkError(f"command {self.argv[0]} exited with {process.returncode}: {tail[0][:200]}")


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.kill()
    # A grandchild that left the group may still hold the pipes: do not wait for it forever.
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=5)
    process.wait()


class ForwardSink:
    """POSTs the event JSON to a URL (``Idempotency-Key`` = event key); non-2xx is a failure."""

    def __init__(self, url: str, document: Any, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--forward needs an http(s) URL, got {safe_url(url)!r}")
        self.url = url
        self.document = document
        self.timeout = timeout
        self.name = f"forward:{hashlib.sha256(url.encode()).hexdigest()[:12]}"
        self._client = httpx.Client(timeout=timeout)

    def __call__(self, event: Event) -> None:
        try:
            response = self._client.post(
                self.url, json=self.document(event), headers={"Idempotency-Key": event.event_key}
            )
        except httpx.HTTPError as exc:
            raise SinkError(f"forward to {safe_url(self.url)} failed: {type(exc).__name__}") from None
        if not response.is_success:
            raise SinkError(f"forward to {safe_url(self.url)} answered {response.status_code}")

    def close(self) -> None:
        self._client.close()


def safe_url(url: str) -> str:
    """The URL without credentials or query (either may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"
