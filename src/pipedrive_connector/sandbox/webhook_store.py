"""Webhook subscriptions in the sandbox's SQLite store (``state.db``; persistent with ``--db``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipedrive_connector.sandbox.plugin_tables import PluginTables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    event_action TEXT NOT NULL,
    event_object TEXT NOT NULL,
    subscription_url TEXT NOT NULL,
    version TEXT NOT NULL,
    add_time TEXT NOT NULL,
    type TEXT NOT NULL,
    http_auth_user TEXT,
    http_auth_password TEXT,
    last_delivery_time TEXT,
    last_http_status INTEGER,
    admin_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    app_credential TEXT
);
"""

_COLUMNS = (
    "id",
    "company_id",
    "owner_id",
    "user_id",
    "event_action",
    "event_object",
    "subscription_url",
    "version",
    "add_time",
    "type",
    "http_auth_user",
    "http_auth_password",
    "last_delivery_time",
    "last_http_status",
    "admin_id",
    "name",
    "app_credential",
)


def api_time(moment: datetime) -> str:
    """Webhook timestamps as the spec shows them: ``2019-10-25T08:25:27.000Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Webhook:
    id: int
    company_id: int
    owner_id: int
    user_id: int
    event_action: str
    event_object: str
    subscription_url: str
    version: str
    add_time: str
    type: str
    http_auth_user: str | None
    http_auth_password: str | None
    last_delivery_time: str | None
    last_http_status: int | None
    admin_id: int
    name: str
    app_credential: str | None

    def __repr__(self) -> str:  # the password must never reach logs or tracebacks
        return f"Webhook(id={self.id}, event={self.event_action}.{self.event_object}, version={self.version})"

    def to_api(self, is_active: bool) -> dict[str, Any]:
        """The v1 API shape (``BaseWebhook``); like Pipedrive, it includes ``http_auth_password``."""
        return {
            "id": self.id,
            "company_id": self.company_id,
            "owner_id": self.owner_id,
            "user_id": self.user_id,
            "event_action": self.event_action,
            "event_object": self.event_object,
            "subscription_url": self.subscription_url,
            "version": self.version,
            "is_active": 1 if is_active else 0,
            "add_time": self.add_time,
            "remove_time": None,
            "type": self.type,
            "http_auth_user": self.http_auth_user,
            "http_auth_password": self.http_auth_password,
            "remove_reason": None,
            "last_delivery_time": self.last_delivery_time,
            "last_http_status": self.last_http_status,
            "admin_id": self.admin_id,
            "name": self.name,
        }


class WebhookStore(PluginTables):
    SCHEMA = _SCHEMA
    TABLES = ("sandbox_webhooks",)

    def add(self, fields: dict[str, Any]) -> Webhook:
        names = [c for c in _COLUMNS if c != "id" and c in fields]
        with self._lock:
            cursor = self._db.execute(
                f"INSERT INTO sandbox_webhooks ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                [fields[n] for n in names],
            )
            new_id = cursor.lastrowid
        found = self.get(int(new_id or 0))
        assert found is not None
        return found

    def get(self, webhook_id: int) -> Webhook | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM sandbox_webhooks WHERE id = ?", (webhook_id,)
            ).fetchone()
        return Webhook(*row) if row else None

    def all(self) -> list[Webhook]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM sandbox_webhooks ORDER BY id"
            ).fetchall()
        return [Webhook(*row) for row in rows]

    def count_for_user(self, user_id: int) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM sandbox_webhooks WHERE user_id = ?", (user_id,)
            ).fetchone()
        return int(row[0])

    def delete(self, webhook_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sandbox_webhooks WHERE id = ?", (webhook_id,))

    def record_delivery(self, webhook_id: int, when: str, http_status: int | None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE sandbox_webhooks SET last_delivery_time = ?, last_http_status = ? WHERE id = ?",
                (when, http_status, webhook_id),
            )
