"""Connection options shared by every command that talks to Pipedrive: flags > env > profile.

Decorate a command with ``@connection_options()``: the options are added to its signature once, here,
and the command receives them as one ``conn: ConnectionFlags`` parameter::

    @app.command("list")
    @connection_options()
    def list_(limit: int = 100, *, conn: ConnectionFlags) -> None:
        connection = conn.connection()

Nothing heavy is imported at module level: ``pipedrive --help`` must not load httpx or pydantic.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from pipedrive_connector.cli._output import InputError, print_retry

if TYPE_CHECKING:
    from pipedrive_connector.component import Connection

PANEL = "Connection"

API_TOKEN = typer.Option(
    None,
    "--api-token",
    envvar="PIPEDRIVE_API_TOKEN",
    show_envvar=True,
    help="Pipedrive API token.",
    show_default=False,
    rich_help_panel=PANEL,
)
BASE_URL = typer.Option(
    None,
    "--base-url",
    envvar="PIPEDRIVE_BASE_URL",
    show_envvar=True,
    help="API base URL, e.g. a sandbox's http://127.0.0.1:PORT.",
    rich_help_panel=PANEL,
)
COMPANY_DOMAIN = typer.Option(
    None,
    "--company-domain",
    envvar="PIPEDRIVE_COMPANY_DOMAIN",
    show_envvar=True,
    help="Company subdomain: https://<domain>.pipedrive.com.",
    rich_help_panel=PANEL,
)
ADD_TO = typer.Option(
    "header",
    "--add-to",
    help="Send the token as a header (x-api-token) or query (api_token).",
    rich_help_panel=PANEL,
)
API_VERSION = typer.Option(
    "v2",
    "--api-version",
    help="v2 (today's endpoints) or v1 (the seed's legacy shapes).",
    rich_help_panel=PANEL,
)
PROFILE = typer.Option(
    None,
    "--connection",
    "--profile",
    envvar="PIPEDRIVE_PROFILE",
    show_envvar=True,
    help="A saved connection profile (see `pipedrive auth`).",
    rich_help_panel=PANEL,
)
TIMEOUT = typer.Option(
    None,
    "--timeout",
    help="Seconds each HTTP attempt may take (default 30).",
    show_default=False,
    rich_help_panel=PANEL,
)
MAX_RETRIES = typer.Option(
    None,
    "--max-retries",
    min=0,
    help="Retries of a failed idempotent request (default 3); each retry is shown on stderr.",
    show_default=False,
    rich_help_panel=PANEL,
)
LIMITER = typer.Option(
    None,
    "--limiter",
    envvar="PIPEDRIVE_LIMITER_URL",
    show_envvar=True,
    help="Share the rate limiter (windows, daily budget) with other processes through Redis: "
    "redis://host:6379/0.",
    show_default=False,
    rich_help_panel=PANEL,
)


@dataclass(frozen=True)
class ConnectionFlags:
    api_token: str | None = None
    base_url: str | None = None
    company_domain: str | None = None
    add_to: str = "header"
    api_version: str = "v2"
    profile: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    limiter: str | None = None

    def __post_init__(self) -> None:
        if self.add_to not in ("header", "query"):
            raise InputError(f"--add-to must be header or query, got {self.add_to!r}")
        if self.api_version not in ("v1", "v2"):
            raise InputError(f"--api-version must be v1 or v2, got {self.api_version!r}")
        if self.timeout is not None and not 0 < self.timeout < float("inf"):  # also refuses nan
            raise InputError(f"--timeout must be a number of seconds above 0, got {self.timeout}")
        if self.max_retries is not None and self.max_retries < 0:
            raise InputError(f"--max-retries must be 0 or more, got {self.max_retries}")
        check_base_url(self.base_url)
        if self.limiter and not self.limiter.strip().startswith(("redis://", "rediss://", "unix://")):
            raise InputError("--limiter must be a redis:// (rediss://, unix://) URL")

    def client_options(self) -> dict[str, Any]:
        """Options for the ``Pipedrive`` client: timeout, retries, and retries reported on stderr."""
        options: dict[str, Any] = {"on_retry": print_retry}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        if self.limiter:
            options["limiter"] = self.limiter
        return options

    def connection(self) -> Connection:
        from pipedrive_connector.component import Connection
        from pipedrive_connector.component.errors import ConnectionConfigError

        version: Any = self.api_version
        options = self.client_options()
        if self.api_token and not self.profile:
            return Connection.api_key(
                self.api_token,
                self.add_to,  # type: ignore[arg-type]
                self.base_url,
                self.company_domain,
                version,
                **options,
            )
        from pipedrive_connector.client.profiles import ProfileError, resolve_credentials

        try:
            resolved = resolve_credentials(
                profile=self.profile,
                api_token=None,
                base_url=self.base_url,
                company_domain=self.company_domain,
            )
        except ProfileError as error:
            raise ConnectionConfigError(str(error)) from None
        if resolved.auth is not None:
            return Connection.oauth2(
                resolved.auth, resolved.base_url, resolved.company_domain, version, **options
            )
        if not resolved.api_token:
            raise ConnectionConfigError("no Pipedrive credentials: pass --api-token or --connection PROFILE")
        return Connection.api_key(
            resolved.api_token,
            self.add_to,  # type: ignore[arg-type]
            resolved.base_url,
            resolved.company_domain,
            version,
            **options,
        )


def check_base_url(url: str | None) -> None:
    """A usable http(s) URL, checked before anything is sent (httpx's own errors name no option)."""
    if not url:
        return
    import re
    from urllib.parse import urlsplit

    shown = re.sub(r"//[^/?#]*@", "//***@", url)  # a password in the URL is never printed
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as error:
        raise InputError(f"--base-url {shown!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--base-url must be an http:// or https:// URL with a host, got {shown!r}")
    if any(not c.isprintable() or c.isspace() or c in _NOT_IN_HOSTS for c in parts.hostname):
        raise InputError(f"--base-url {shown!r} has a host name with characters a host cannot have")


_NOT_IN_HOSTS = frozenset('<>"{}|\\^`%/?#@')

# name, annotation, option: the order they appear in every command's --help.
_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("api_token", str | None, API_TOKEN),
    ("base_url", str | None, BASE_URL),
    ("company_domain", str | None, COMPANY_DOMAIN),
    ("add_to", str, ADD_TO),
    ("api_version", str, API_VERSION),
    ("profile", str | None, PROFILE),
    ("timeout", float | None, TIMEOUT),
    ("max_retries", int | None, MAX_RETRIES),
    ("limiter", str | None, LIMITER),
)

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(*, api_version: bool = True) -> Callable[[F], F]:
    """Add the connection options to a command that takes ``conn: ConnectionFlags``.

    ``api_version=False`` leaves out ``--api-version`` (commands that send raw paths).
    """
    chosen = [entry for entry in _OPTIONS if api_version or entry[0] != "api_version"]
    names = [name for name, _, _ in chosen]

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        if "conn" not in signature.parameters:
            raise TypeError(f"{func.__name__} must take a 'conn: ConnectionFlags' parameter")
        own = [p for p in signature.parameters.values() if p.name != "conn"]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
            for name, annotation, option in chosen
        ]
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added

        def command(**kwargs: Any) -> Any:
            flags = ConnectionFlags(**{name: kwargs.pop(name) for name in names})
            return func(**kwargs, conn=flags)

        command.__name__ = func.__name__
        command.__qualname__ = func.__qualname__
        command.__doc__ = func.__doc__
        command.__module__ = func.__module__
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command  # type: ignore[return-value]

    return decorate
