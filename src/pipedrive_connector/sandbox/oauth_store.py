"""Persistence for the sandbox OAuth server: registered apps, authorization codes and tokens.

Rows live in the sandbox's SQLite store (``state.db``, guarded by ``state.db_lock``) so that a
``--db`` sandbox keeps its installed apps across restarts. Codes and tokens are stored as SHA-256
digests only: the secrets themselves are never written anywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipedrive_connector.sandbox.plugin_tables import PluginTables

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_LIFETIME = timedelta(minutes=60)
REFRESH_IDLE_LIFETIME = timedelta(days=60)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_oauth_clients (
    client_id TEXT PRIMARY KEY,
    secret_digest TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    any_loopback_redirect INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sandbox_oauth_codes (
    digest TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    code_challenge TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sandbox_oauth_refresh_tokens (
    digest TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sandbox_oauth_access_tokens (
    digest TEXT PRIMARY KEY,
    refresh_digest TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""
_TABLES = (
    "sandbox_oauth_clients",
    "sandbox_oauth_codes",
    "sandbox_oauth_refresh_tokens",
    "sandbox_oauth_access_tokens",
)


def _stamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so that SQL string comparison orders like time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secrets_match(secret: str, stored_digest: str) -> bool:
    return secrets.compare_digest(digest(secret), stored_digest)


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    secret_digest: str
    redirect_uri: str
    any_loopback_redirect: bool


@dataclass(frozen=True)
class Grant:
    """What a code or token was issued for."""

    client_id: str
    user_id: int
    company_id: int
    scope: str
    expires_at: datetime
    # As sent to /oauth/authorize: "" when it was left out (then the app's registered URI was used).
    redirect_uri: str = ""
    refresh_digest: str = ""
    code_challenge: str = ""  # RFC 7636 S256 challenge sent to /oauth/authorize; "" without PKCE


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    scope: str = ""


class OAuthStore(PluginTables):
    SCHEMA = _SCHEMA
    TABLES = _TABLES

    def _create_tables(self) -> None:
        super()._create_tables()
        # A --db sandbox created before PKCE support has the codes table without this column.
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(sandbox_oauth_codes)")}
        if "code_challenge" not in columns:
            self._db.execute(
                "ALTER TABLE sandbox_oauth_codes ADD COLUMN code_challenge TEXT NOT NULL DEFAULT ''"
            )

    # -- clients -------------------------------------------------------------------------------

    def register_client(
        self, client_id: str, client_secret: str, redirect_uri: str, any_loopback_redirect: bool = False
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO sandbox_oauth_clients VALUES (?, ?, ?, ?)",
                (client_id, digest(client_secret), redirect_uri, int(any_loopback_redirect)),
            )

    def get_client(self, client_id: str) -> OAuthClient | None:
        with self._lock:
            row = self._db.execute(
                "SELECT client_id, secret_digest, redirect_uri, any_loopback_redirect "
                "FROM sandbox_oauth_clients WHERE client_id = ?",
                (client_id,),
            ).fetchone()
        if row is None:
            return None
        return OAuthClient(row[0], row[1], row[2], bool(row[3]))

    def list_clients(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT client_id, redirect_uri, any_loopback_redirect FROM sandbox_oauth_clients "
                "ORDER BY client_id"
            ).fetchall()
        return [{"client_id": r[0], "redirect_uri": r[1], "any_loopback_redirect": bool(r[2])} for r in rows]

    # -- authorization codes -------------------------------------------------------------------

    def issue_code(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._db.execute(
                "INSERT INTO sandbox_oauth_codes (digest, client_id, redirect_uri, user_id, company_id, "
                "scope, expires_at, code_challenge) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    digest(code),
                    grant.client_id,
                    grant.redirect_uri,
                    grant.user_id,
                    grant.company_id,
                    grant.scope,
                    _stamp(grant.expires_at),
                    grant.code_challenge,
                ),
            )
        return code

    def take_code(self, code: str) -> Grant | None:
        """The code's grant, deleting it: a code is single-use whatever happens next."""
        with self._lock:
            row = self._db.execute(
                "SELECT client_id, user_id, company_id, scope, expires_at, redirect_uri, code_challenge "
                "FROM sandbox_oauth_codes WHERE digest = ?",
                (digest(code),),
            ).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM sandbox_oauth_codes WHERE digest = ?", (digest(code),))
        return Grant(
            row[0],
            row[1],
            row[2],
            row[3],
            datetime.fromisoformat(row[4]),
            redirect_uri=row[5],
            code_challenge=row[6],
        )

    # -- tokens --------------------------------------------------------------------------------

    def issue_tokens(self, grant: Grant, now: datetime, refresh_token: str | None = None) -> IssuedTokens:
        """A new access token; a new refresh token unless ``refresh_token`` (whose window is reset)."""
        access_token = "v1u:" + secrets.token_urlsafe(48)
        refresh_expiry = _stamp(now + REFRESH_IDLE_LIFETIME)
        with self._lock:
            if refresh_token is None:
                refresh_token = f"{grant.company_id}:{grant.user_id}:" + secrets.token_hex(40)
                self._db.execute(
                    "INSERT INTO sandbox_oauth_refresh_tokens VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        digest(refresh_token),
                        grant.client_id,
                        grant.user_id,
                        grant.company_id,
                        grant.scope,
                        refresh_expiry,
                    ),
                )
            else:
                self._db.execute(
                    "UPDATE sandbox_oauth_refresh_tokens SET expires_at = ? WHERE digest = ?",
                    (refresh_expiry, digest(refresh_token)),
                )
            self._db.execute(
                "INSERT INTO sandbox_oauth_access_tokens VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    digest(access_token),
                    digest(refresh_token),
                    grant.client_id,
                    grant.user_id,
                    grant.company_id,
                    grant.scope,
                    _stamp(now + ACCESS_LIFETIME),
                ),
            )
        return IssuedTokens(access_token, refresh_token, grant.scope)

    def get_refresh(self, refresh_token: str) -> Grant | None:
        with self._lock:
            row = self._db.execute(
                "SELECT client_id, user_id, company_id, scope, expires_at "
                "FROM sandbox_oauth_refresh_tokens WHERE digest = ?",
                (digest(refresh_token),),
            ).fetchone()
        if row is None:
            return None
        return Grant(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]))

    def get_access(self, access_token: str) -> Grant | None:
        with self._lock:
            row = self._db.execute(
                "SELECT client_id, user_id, company_id, scope, expires_at, refresh_digest "
                "FROM sandbox_oauth_access_tokens WHERE digest = ?",
                (digest(access_token),),
            ).fetchone()
        if row is None:
            return None
        return Grant(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]), refresh_digest=row[5])

    def revoke(self, token: str, client_id: str, hint: str | None) -> None:
        """Revoke an access or refresh token of ``client_id``; a refresh token takes its access tokens.

        Unknown tokens and other clients' tokens are ignored (RFC 7009 answers 200 either way).
        """
        token_digest = digest(token)
        with self._lock:
            order = ("access", "refresh") if hint == "access_token" else ("refresh", "access")
            for kind in order:
                if kind == "refresh":
                    deleted = self._db.execute(
                        "DELETE FROM sandbox_oauth_refresh_tokens WHERE digest = ? AND client_id = ?",
                        (token_digest, client_id),
                    ).rowcount
                    if deleted:
                        self._db.execute(
                            "DELETE FROM sandbox_oauth_access_tokens WHERE refresh_digest = ?",
                            (token_digest,),
                        )
                        break
                else:
                    deleted = self._db.execute(
                        "DELETE FROM sandbox_oauth_access_tokens WHERE digest = ? AND client_id = ?",
                        (token_digest, client_id),
                    ).rowcount
                    if deleted:
                        break

    def count_live(self, now: datetime) -> dict[str, int]:
        stamp = _stamp(now)
        with self._lock:
            access = self._db.execute(
                "SELECT COUNT(*) FROM sandbox_oauth_access_tokens WHERE expires_at > ?", (stamp,)
            ).fetchone()[0]
            refresh = self._db.execute(
                "SELECT COUNT(*) FROM sandbox_oauth_refresh_tokens WHERE expires_at > ?", (stamp,)
            ).fetchone()[0]
            issued = self._db.execute("SELECT COUNT(*) FROM sandbox_oauth_access_tokens").fetchone()[0]
            codes = self._db.execute(
                "SELECT COUNT(*) FROM sandbox_oauth_codes WHERE expires_at > ?", (stamp,)
            ).fetchone()[0]
        return {
            "access_tokens": int(access),
            "refresh_tokens": int(refresh),
            "access_tokens_issued": int(issued),
            "authorization_codes": int(codes),
        }
