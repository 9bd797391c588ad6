"""The one store behind both API versions: SQLite, one JSON document per entity.

Entities of every kind live in the ``entities`` table keyed by (kind, id); ``seq`` keeps insertion
order and ``sequences`` hands out Pipedrive-style integer ids. Documents are the canonical (v2-like)
records the serializers turn into v1 or v2 shapes. Every method takes ``lock`` so the store can be
shared by the server thread and test threads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Record = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS entities_kind_seq ON entities (kind, seq);
CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def open_database(path: str | None) -> sqlite3.Connection:
    """An in-memory database, or a file in WAL mode that persists across restarts."""
    db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
    if path:
        db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA)
    return db


class Store:
    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one SQLite transaction (bulk loads in tests use it: much faster on disk)."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def next_id(self, kind: str) -> int:
        with self.lock:
            row = self.db.execute("SELECT value FROM sequences WHERE kind = ?", (kind,)).fetchone()
            value = (row[0] if row else 0) + 1
            self.db.execute(
                "INSERT INTO sequences (kind, value) VALUES (?, ?) "
                "ON CONFLICT (kind) DO UPDATE SET value = excluded.value",
                (kind, value),
            )
            return int(value)

    def put(self, kind: str, record: Record) -> Record:
        """Insert or replace ``record`` (its ``id`` is the key); insertion order is kept on replace."""
        key = str(record["id"])
        data = json.dumps(record, separators=(",", ":"))
        with self.lock:
            row = self.db.execute(
                "SELECT seq FROM entities WHERE kind = ? AND id = ?", (kind, key)
            ).fetchone()
            if row:
                self.db.execute("UPDATE entities SET data = ? WHERE kind = ? AND id = ?", (data, kind, key))
            else:
                seq_row = self.db.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM entities WHERE kind = ?", (kind,)
                ).fetchone()
                self.db.execute(
                    "INSERT INTO entities (kind, id, seq, data) VALUES (?, ?, ?, ?)",
                    (kind, key, seq_row[0], data),
                )
        return record

    def get(self, kind: str, entity_id: int | str) -> Record | None:
        with self.lock:
            row = self.db.execute(
                "SELECT data FROM entities WHERE kind = ? AND id = ?", (kind, str(entity_id))
            ).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str) -> list[Record]:
        with self.lock:
            rows = self.db.execute(
                "SELECT data FROM entities WHERE kind = ? ORDER BY seq", (kind,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def remove(self, kind: str, entity_id: int | str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM entities WHERE kind = ? AND id = ?", (kind, str(entity_id)))

    def counts(self) -> dict[str, int]:
        with self.lock:
            rows = self.db.execute("SELECT kind, COUNT(*) FROM entities GROUP BY kind").fetchall()
        return {str(kind): int(count) for kind, count in rows}

    def wipe(self) -> None:
        with self.lock:
            self.db.execute("DELETE FROM entities")
            self.db.execute("DELETE FROM sequences")
            self.db.execute("DELETE FROM meta")

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def dump(self) -> dict[str, list[Record]]:
        with self.lock:
            rows = self.db.execute("SELECT kind, data FROM entities ORDER BY kind, seq").fetchall()
        result: dict[str, list[Record]] = {}
        for kind, data in rows:
            result.setdefault(str(kind), []).append(json.loads(data))
        return result
