"""Tables a sandbox plug-in keeps in the shared SQLite database (a private one when used alone)."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any, ClassVar


class PluginTables:
    """Base of the plug-in stores: schema creation, the shared lock, and a control-plane ``clear``."""

    SCHEMA: ClassVar[str] = ""
    TABLES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, db: sqlite3.Connection | None, lock: AbstractContextManager[Any] | None) -> None:
        self._db = (
            db
            if db is not None
            else sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        )
        self._lock: AbstractContextManager[Any] = lock if lock is not None else threading.RLock()
        self.ensure_schema()

    def ensure_schema(self) -> None:
        with self._lock:
            self._create_tables()

    def _create_tables(self) -> None:
        # One statement at a time: executescript() would COMMIT a transaction the caller has open.
        for statement in self.SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def clear(self) -> None:
        with self._lock:
            self._create_tables()
            for table in self.TABLES:
                self._db.execute(f"DELETE FROM {table}")
