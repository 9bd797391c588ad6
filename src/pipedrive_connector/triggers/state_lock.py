"""One dispatching process per trigger state file: an exclusive ``flock`` on ``<state>.lock``.

Two dispatchers on one state would each release the other's in-flight events at start and run the
same handlers twice at once. The kernel drops the lock when its holder dies (even by SIGKILL), so
a crashed process never blocks the next one; the holder's PID is written into the file so that the
refusal can name it. Readers (``triggers events``, ``list``) never take the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os


class StateInUse(RuntimeError):
    """Another process dispatches events from this state file."""

    def __init__(self, state_path: str, pid: int | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(
            f"the trigger state {state_path} is in use by {holder} (a running `pipedrive triggers serve`, "
            "`listen` or `poll`?): stop it, or use another --state"
        )
        self.state_path = state_path
        self.pid = pid


class StateLock:
    """``acquire()`` takes the lock (or raises ``StateInUse``); ``release()`` lets it go."""

    def __init__(self, state_path: str) -> None:
        self.state_path = state_path
        self.path = f"{state_path}.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise StateInUse(self.state_path, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # The file stays: deleting it would let a waiting process lock a file nobody else sees.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
