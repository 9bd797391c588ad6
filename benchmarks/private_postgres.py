"""A throwaway PostgreSQL cluster of its own, for drills that stop and restart the database.

The machine's PostgreSQL (127.0.0.1:5432) serves other work, so a drill that restarts PostgreSQL
makes its own cluster instead: ``initdb`` into a temporary directory, its own port on 127.0.0.1 and
its own socket directory, with the durability settings a production server has (``fsync``,
``synchronous_commit`` and ``full_page_writes`` on). As root the server runs as the ``postgres``
user (PostgreSQL refuses to run as root), through ``runuser``. ``available()`` says why not when
the binaries (``initdb``, ``pg_ctl``) or that user are missing; callers then fall back to a relay.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from benchmarks.procs import free_port

SERVER_USER = "postgres"


def find_bindir() -> Path | None:
    """``PIPEDRIVE_PG_BINDIR``, else the newest ``/usr/lib/postgresql/*/bin``, else ``initdb`` on PATH."""
    candidates = [os.environ.get("PIPEDRIVE_PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for candidate in candidates:
        if candidate and all((Path(candidate) / tool).is_file() for tool in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


def _major(path: str) -> int:
    digits = "".join(ch for ch in Path(path).parent.name if ch.isdigit())
    return int(digits) if digits else 0


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be made here, or None when it can."""
    if find_bindir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


class PrivateCluster:
    """``with PrivateCluster() as pg:`` a running cluster at ``pg.dsn``; removed on exit."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) found")
        self.bindir = found
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pipedrive-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.restarts = 0

    @property
    def dsn(self) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args[:2])} failed ({done.returncode}): {self._tail(done)}")

    def _tail(self, done: subprocess.CompletedProcess[str]) -> str:
        text = (done.stderr or done.stdout or "").strip()
        if self.log.exists():
            text += "\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-5:])
        return text[-800:]

    def init(self) -> PrivateCluster:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        # --no-sync only skips initdb's own final flush of the new files; the server runs with fsync on.
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "max_connections": "100",
            "logging_collector": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# pipedrive-connector drill cluster\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: roll back sessions and shut down cleanly; ``immediate``: a crash (no checkpoint,
        the next start recovers from the WAL)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, down_seconds: float = 0.0, mode: str = "immediate") -> float:
        """Stop (a crash by default), stay down ``down_seconds``, start; returns the seconds down."""
        started = time.monotonic()
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1
        return time.monotonic() - started

    def close(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        try:
            self.init().start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
