"""Child processes: servers on loopback (sandbox, receivers) and one-shot measurement workers.

Servers run in their own processes so that the code being measured never shares a GIL with the
server it talks to.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from benchmarks.probe import parse_result

REPO = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONHASHSEED", "0")
    if extra:
        env.update(extra)
    return env


class ChildError(RuntimeError):
    """A child process failed; the message carries the end of its stderr."""


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


class ChildServer:
    """A server started as ``python -m <module> --port <port> ...``, ready once ``health_path`` answers."""

    def __init__(
        self,
        module: str,
        args: Sequence[str] = (),
        *,
        health_path: str = "/",
        port: int | None = None,
        python: str = sys.executable,
        env: dict[str, str] | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.module = module
        self.args = list(args)
        self.health_path = health_path
        self.port = port or free_port()
        self.python = python
        self.env = child_env(env)
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.mkstemp(prefix=f"bench-{module.rsplit('.', 1)[-1]}-", suffix=".log")[1])
        self.restarts = 0

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> ChildServer:
        cmd = [self.python, "-m", self.module, "--port", str(self.port), *self.args]
        with self._log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        url = self.base_url + self.health_path
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                code = self.proc.returncode
                raise ChildError(f"{self.module} exited with {code} before it was ready:\n{_tail(self._log)}")
            try:
                if httpx.get(url, timeout=1.0).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ChildError(f"{self.module} not ready after {self.ready_timeout:.0f}s:\n{_tail(self._log)}")

    def sigkill(self) -> None:
        """Kill the server abruptly (the fault drills' crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.sigkill()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self) -> str:
        return _tail(self._log)

    def __enter__(self) -> ChildServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._log.unlink(missing_ok=True)


def run_worker(cmd: Sequence[str], *, timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a one-shot measurement child and return the result it printed."""
    try:
        done = subprocess.run(
            list(cmd),
            cwd=REPO,
            env=child_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildError(f"{' '.join(cmd[:4])} ... timed out after {timeout:.0f}s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise ChildError(f"{' '.join(cmd[:4])} ... exited with {done.returncode}:\n{tail}")
    try:
        return parse_result(done.stdout)
    except ValueError as exc:
        raise ChildError(f"{exc}; stderr: {done.stderr.strip()[-500:]}") from exc
