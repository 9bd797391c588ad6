"""Where OAuth2 tokens live between runs: the ``TokenStore`` protocol, a file store and an in-memory store.

``FileTokenStore`` keeps one JSON file per profile in the per-user config directory
(``$PIPEDRIVE_CONFIG_DIR`` or ``~/.config/pipedrive-connector/``). Files are written atomically
(temp file in the same directory, then ``os.replace``) with mode 0600 inside a 0700 directory, and a
lock file beside each token file lets several processes agree on who refreshes (``fcntl.flock``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipedrive_connector.client.errors import PipedriveError

try:  # POSIX only; elsewhere the cross-process lock degrades to a no-op.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CONFIG_DIR_ENV = "PIPEDRIVE_CONFIG_DIR"
_REDACTED = "***"


def config_dir() -> Path:
    """The per-user configuration directory (not created here)."""
    configured = os.environ.get(CONFIG_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "pipedrive-connector"


class TokenStoreError(PipedriveError):
    """A token file that cannot be read or written (the message names the file, never its content)."""


@dataclass(frozen=True)
class OAuthToken:
    """An OAuth2 token set as Pipedrive's token endpoint returns it; ``expires_at`` is epoch seconds."""

    access_token: str
    refresh_token: str | None
    expires_at: float | None
    token_type: str = "Bearer"
    scope: str = ""
    api_domain: str | None = None

    def __repr__(self) -> str:
        refresh = _REDACTED if self.refresh_token else None
        return (
            f"OAuthToken(access_token={_REDACTED!r}, refresh_token={refresh!r}, "
            f"expires_at={self.expires_at!r}, token_type={self.token_type!r}, scope={self.scope!r}, "
            f"api_domain={self.api_domain!r})"
        )

    __str__ = __repr__

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.scope.replace(",", " ").split() if s]

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """True when the access token is expired or will be within ``seconds``."""
        if self.expires_at is None:
            return False
        current = time.time() if now is None else now
        return self.expires_at - current <= seconds

    @classmethod
    def from_response(
        cls, payload: Mapping[str, Any], *, now: float, previous: OAuthToken | None = None
    ) -> OAuthToken:
        """Build a token from a token-endpoint JSON body.

        A refresh answer may omit ``refresh_token`` / ``api_domain`` / ``scope``; those carry over from
        ``previous``. Raises ``ValueError`` (naming the field, not its value) on a malformed body.
        """
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token response has no access_token")
        refresh = payload.get("refresh_token")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("the token response's refresh_token is not a string")
        expires_in = payload.get("expires_in")
        expires_at: float | None
        if expires_in is None:
            expires_at = None
        else:
            try:
                expires_at = now + float(expires_in)
            except (TypeError, ValueError):
                raise ValueError("the token response's expires_in is not a number") from None
        scope = payload.get("scope")
        api_domain = payload.get("api_domain")
        return cls(
            access_token=access,
            refresh_token=refresh or (previous.refresh_token if previous else None),
            expires_at=expires_at,
            token_type=str(payload.get("token_type") or "Bearer"),
            scope=str(scope) if scope is not None else (previous.scope if previous else ""),
            api_domain=(str(api_domain).rstrip("/") if api_domain else None)
            or (previous.api_domain if previous else None),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "token_type": self.token_type,
            "scope": self.scope,
            "api_domain": self.api_domain,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OAuthToken:
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("no access_token")
        expires_at = data.get("expires_at")
        return cls(
            access_token=access,
            refresh_token=data.get("refresh_token") or None,
            expires_at=float(expires_at) if expires_at is not None else None,
            token_type=str(data.get("token_type") or "Bearer"),
            scope=str(data.get("scope") or ""),
            api_domain=data.get("api_domain") or None,
        )

    def with_updates(self, **changes: Any) -> OAuthToken:
        return replace(self, **changes)


@runtime_checkable
class TokenStore(Protocol):
    """Persistence for one OAuth2 token set.

    ``lock()`` must exclude every other holder of the same store (threads, and processes where the
    store is shared between processes); ``OAuth2Auth`` holds it while it re-reads and refreshes.
    """

    def load(self) -> OAuthToken | None: ...

    def save(self, token: OAuthToken) -> None: ...

    def delete(self) -> None: ...

    def lock(self) -> AbstractContextManager[None]: ...


class MemoryTokenStore:
    """A token held in memory: for tests, or for apps that persist tokens via ``on_token_update``."""

    def __init__(self, token: OAuthToken | None = None) -> None:
        self._token = token
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(has_token={self._token is not None})"

    def load(self) -> OAuthToken | None:
        return self._token

    def save(self, token: OAuthToken) -> None:
        self._token = token

    def delete(self) -> None:
        self._token = None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 (existing folders are left as they are)."""
    if path.is_dir():
        return
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise TokenStoreError(f"cannot create the config directory {path}: {exc.strerror}") from None


def write_private_json(path: Path, data: Mapping[str, Any]) -> None:
    """Atomically replace ``path`` with ``data`` as JSON, file mode 0600."""
    ensure_private_dir(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise TokenStoreError(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise TokenStoreError(f"cannot write {path}: {exc.strerror}") from None


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TokenStoreError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise TokenStoreError(f"{path} is not valid JSON; delete it and log in again") from None
    if not isinstance(data, dict):
        raise TokenStoreError(f"{path} does not hold a JSON object; delete it and log in again")
    return data


class FileTokenStore:
    """One token set in a JSON file (mode 0600), shared safely by threads and processes.

    ``FileTokenStore.for_profile("work")`` uses ``<config dir>/tokens/work.json``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.Lock()

    @classmethod
    def for_profile(cls, profile: str, directory: Path | None = None) -> FileTokenStore:
        base = directory if directory is not None else config_dir()
        return cls(base / "tokens" / f"{profile}.json")

    def __repr__(self) -> str:
        return f"FileTokenStore(path={str(self.path)!r})"

    def load(self) -> OAuthToken | None:
        data = read_json(self.path)
        if data is None:
            return None
        try:
            return OAuthToken.from_dict(data)
        except (TypeError, ValueError):
            raise TokenStoreError(
                f"{self.path} does not hold a usable token; delete it and log in again"
            ) from None

    def save(self, token: OAuthToken) -> None:
        write_private_json(self.path, token.to_dict())

    def delete(self) -> None:
        # The lock file stays: removing it while another process holds it would split the lock.
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive across threads (a threading lock) and processes (``flock`` on the lock file)."""
        with self._thread_lock:
            if fcntl is None:  # pragma: no cover - Windows
                yield
                return
            ensure_private_dir(self.lock_path.parent)
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise TokenStoreError(f"cannot open the lock file {self.lock_path}: {exc.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
