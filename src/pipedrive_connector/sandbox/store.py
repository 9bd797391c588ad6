"""The one store behind both API versions: SQLite, one JSON document per entity, queried in SQL.

Entities of every kind live in the ``entities`` table keyed by (kind, id); ``seq`` keeps insertion
order and ``sequences`` hands out Pipedrive-style integer ids. Documents are the canonical (v2-like)
records the serializers turn into v1 or v2 shapes.

Besides the document, ``put`` copies the fields lists filter and sort on into indexed columns
(``INDEXED_FIELDS``), so lookups, filters and pages run in SQL and decode only the rows they return.
Every other field can still be filtered on (``json_extract`` over the document, unindexed): fine for
the small kinds, slow for a kind with 100k records. Every method takes ``lock`` so the store can be
shared by the server thread and test threads.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

Record = dict[str, Any]
T = TypeVar("T")

# Canonical fields copied into their own indexed column (same name) on every put.
INDEXED_FIELDS = (
    "owner_id",
    "person_id",
    "org_id",
    "deal_id",
    "lead_id",
    "stage_id",
    "pipeline_id",
    "status",
    "add_time",
    "update_time",
)
# Truthiness flags kept as 0/1 columns: ``not record.get(field)`` in SQL.
FLAG_FIELDS = ("is_deleted", "is_archived")
_INT64 = (-(2**63), 2**63 - 1)
_FIELD = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS entities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id NOT NULL,
    data TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    is_archived INTEGER NOT NULL DEFAULT 0,
    deleted_at TEXT,
    {", ".join(INDEXED_FIELDS)}
);
CREATE UNIQUE INDEX IF NOT EXISTS entities_key ON entities (kind, id);
CREATE INDEX IF NOT EXISTS entities_purge ON entities (deleted_at) WHERE deleted_at IS NOT NULL;
{"".join(f"CREATE INDEX IF NOT EXISTS entities_{f} ON entities (kind, {f}, id);" for f in INDEXED_FIELDS)}
CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COLUMNS = ("kind", "id", "data", *FLAG_FIELDS, "deleted_at", *INDEXED_FIELDS)
_UPSERT = (
    f"INSERT INTO entities ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
    "ON CONFLICT (kind, id) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[2:])
)


def open_database(path: str | None) -> sqlite3.Connection:
    """An in-memory database, or a file in WAL mode that persists across restarts."""
    db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
    if path:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        _convert_old_layout(db)
    db.executescript(_SCHEMA)
    db.create_function("pd_lower", 1, _lower, deterministic=True)
    return db


def _convert_old_layout(db: sqlite3.Connection) -> None:
    """Files written before the indexed columns existed are re-laid out (documents kept)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(entities)")}
    if not columns or "deleted_at" in columns:
        return
    rows = db.execute("SELECT kind, data FROM entities ORDER BY kind, seq").fetchall()
    db.execute("DROP TABLE entities")
    db.executescript(_SCHEMA)
    for kind, data in rows:
        db.execute(_UPSERT, _row(str(kind), json.loads(data)))


def _lower(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def entity_key(entity_id: Any) -> Any:
    """The ``id`` column's value for an id: integers (and their decimal strings) as integers, else text."""
    if isinstance(entity_id, bool):
        return str(entity_id)
    if isinstance(entity_id, int):
        return entity_id if _INT64[0] <= entity_id <= _INT64[1] else str(entity_id)
    text = str(entity_id)
    if text.isascii() and text.isdigit() and str(int(text)) == text:
        return entity_key(int(text))
    return text


def _column_value(value: Any) -> Any:
    if value is None or isinstance(value, str | float):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else str(value)
    return json.dumps(value, separators=(",", ":"))


def _row(kind: str, record: Record) -> tuple[Any, ...]:
    return (
        kind,
        entity_key(record["id"]),
        json.dumps(record, separators=(",", ":")),
        *(1 if record.get(flag) else 0 for flag in FLAG_FIELDS),
        record.get("_deleted_at") if record.get("is_deleted") else None,
        *(_column_value(record.get(field)) for field in INDEXED_FIELDS),
    )


# ---- query conditions (values of ``Store.query``'s ``where``) ----


@dataclass(frozen=True)
class Cmp:
    """``field <op> value`` with op one of ``= != < <= > >=`` (numbers before text, as in SQLite).

    A null or absent field matches only ``!=`` (like ``record.get(field) != value`` in Python).
    """

    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in ("=", "!=", "<", "<=", ">", ">="):
            raise ValueError(f"unknown comparison {self.op!r}")


@dataclass(frozen=True)
class AllOf:
    """Several conditions on the same field, all of which must hold (e.g. a time range)."""

    conditions: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    """The opposite of a condition, except that a null or absent field matches neither (SQL's NOT);
    ``Not(None)`` is "the field is not null"."""

    condition: Any


@dataclass(frozen=True)
class Prefix:
    """``str(field).lower().startswith(text.lower())``."""

    text: str


@dataclass(frozen=True)
class Contains:
    """``text.lower() in str(field).lower()``."""

    text: str


@dataclass(frozen=True)
class Includes:
    """The field is a list holding ``value`` (``value in record.get(field) or []``)."""

    value: Any


def _expression(field: str) -> str:
    if field == "id" or field in INDEXED_FIELDS or field in FLAG_FIELDS:
        return field
    if not _FIELD.match(field):
        raise ValueError(f"not a field name: {field!r}")
    return f"json_extract(data, '$.{field}')"


def _condition(field: str, value: Any, params: list[Any]) -> str:
    expr = _expression(field)
    if value is None:
        return f"{expr} IS NULL"
    if isinstance(value, bool):
        falsy = f"{expr} = 0" if field in FLAG_FIELDS else f"coalesce({expr}, 0) IN (0, '')"
        return f"NOT ({falsy})" if value else falsy
    if isinstance(value, Cmp):
        params.append(_param(value.value))
        if value.op == "!=":
            return f"({expr} IS NULL OR {expr} != ?)"
        return f"{expr} {value.op} ?"
    if isinstance(value, Not):
        if value.condition is None:
            return f"{expr} IS NOT NULL"
        return f"NOT ({_condition(field, value.condition, params)})"
    if isinstance(value, AllOf):
        return " AND ".join(_condition(field, part, params) for part in value.conditions) or "1"
    if isinstance(value, Includes):
        params.append(_param(value.value))
        return f"EXISTS (SELECT 1 FROM json_each({expr}) AS item WHERE item.value = ?)"
    if isinstance(value, Prefix | Contains):
        pattern = value.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"{pattern}%" if isinstance(value, Prefix) else f"%{pattern}%")
        return f"pd_lower({expr}) LIKE ? ESCAPE '\\'"
    if isinstance(value, list | tuple | set | frozenset):
        items = [_param(item) for item in value]
        if not items:
            return "0"
        params.extend(items)
        return f"{expr} IN ({', '.join('?' for _ in items)})"
    params.append(_param(value))
    return f"{expr} = ?"


def _param(value: Any) -> Any:
    return entity_key(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _where_sql(
    kind: str, where: Mapping[str, Any], any_of: Sequence[Mapping[str, Any]]
) -> tuple[str, list[Any]]:
    params: list[Any] = [kind]
    clauses = ["kind = ?"]
    clauses.extend(_condition(field, value, params) for field, value in where.items())
    if any_of:
        alternatives = []
        for group in any_of:
            parts = [_condition(field, value, params) for field, value in group.items()]
            alternatives.append("(" + (" AND ".join(parts) or "1") + ")")
        clauses.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(clauses), params


def _after_segments(expr: str, descending: bool, after: tuple[Any, Any]) -> list[tuple[str, list[Any]]]:
    """The rows strictly after the keyset position ``(sort value, id)``, in page order, as one or two
    conditions to run one after the other (NULL sort values come first ascending, last descending).

    Each condition starts with a range on the sort expression, so SQLite seeks its index to the
    position instead of scanning from the start of the list (an ``OR`` of the cases would scan).
    """
    value, last_id = _param(after[0]), entity_key(after[1])
    before, op = ("<", "<=") if descending else (">", ">=")
    if expr == "id":
        return [(f"id {before} ?", [last_id])]
    if value is None:
        nulls = (f"{expr} IS NULL AND id {before} ?", [last_id])
        return [nulls] if descending else [nulls, (f"{expr} IS NOT NULL", [])]
    values = (f"{expr} {op} ? AND ({expr} {before} ? OR id {before} ?)", [value, value, last_id])
    return [values, (f"{expr} IS NULL", [])] if descending else [values]


class Store:
    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock
        self._generation: dict[str, int] = {}
        self._memo: dict[Any, tuple[tuple[int, ...], Any]] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one SQLite transaction (all or nothing; much faster on disk)."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                self._generation.clear()
                self._memo.clear()
                raise
            self.db.execute("COMMIT")

    def next_id(self, kind: str) -> int:
        with self.lock:
            row = self.db.execute(
                "INSERT INTO sequences (kind, value) VALUES (?, 1) "
                "ON CONFLICT (kind) DO UPDATE SET value = value + 1 RETURNING value",
                (kind,),
            ).fetchone()
            return int(row[0])

    def _changed(self, kind: str) -> None:
        self._generation[kind] = self._generation.get(kind, 0) + 1

    def put(self, kind: str, record: Record) -> Record:
        """Insert or replace ``record`` (its ``id`` is the key); insertion order is kept on replace."""
        row = _row(kind, record)
        with self.lock:
            self.db.execute(_UPSERT, row)
            self._changed(kind)
        return record

    def get(self, kind: str, entity_id: int | str) -> Record | None:
        with self.lock:
            row = self.db.execute(
                "SELECT data FROM entities WHERE kind = ? AND id = ?", (kind, entity_key(entity_id))
            ).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str) -> list[Record]:
        """Every record of ``kind`` in insertion order (for the small kinds: fields, stages, users...)."""
        return self.query(kind, order_by=None)

    def query(
        self,
        kind: str,
        *,
        where: Mapping[str, Any] | None = None,
        any_of: Sequence[Mapping[str, Any]] = (),
        order_by: str | None = "id",
        descending: bool = False,
        after: tuple[Any, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Record]:
        """Records of ``kind`` matching ``where``, sorted and cut in SQL; only returned rows are decoded.

        ``where`` maps a canonical field name (dots reach into nested objects:
        ``"custom_fields.<key>"``) to a condition, all of which must hold:

        - a scalar: equality (``record.get(field) == value``); ``None``: the field is null or absent;
        - ``True`` / ``False``: the field is truthy / falsy (``False`` matches null, absent, 0, "");
        - a list, tuple or set: the field equals one of the values (an empty one matches nothing);
        - ``Cmp(op, value)``, ``AllOf((cond, ...))``, ``Not(cond)``, ``Prefix(text)``,
          ``Contains(text)`` (the last two compare lower-cased text), ``Includes(value)`` (a list
          field holds the value).

        ``any_of`` adds one more condition: at least one of its mappings must hold as a whole.
        Fields in ``INDEXED_FIELDS``, ``FLAG_FIELDS`` and ``id`` are indexed columns; other fields
        are read from the document (``json_extract``) and scan every row of the kind.

        Order: ``order_by`` field (then ``id``), NULLs first, numbers before text, ``descending``
        reverses both; ``order_by=None`` is insertion order. ``after=(sort value, id)`` is an
        exclusive keyset position in that order (what a cursor holds: the last row's sort value
        and id); then ``offset`` rows are skipped and at most ``limit`` returned.
        """
        sql, params = _where_sql(kind, where or {}, any_of)
        if order_by is None:
            order = "seq"
            if after is not None:
                raise ValueError("after needs an order_by field")
        else:
            expr = _expression(order_by)
            direction = " DESC" if descending else ""
            order = f"{expr}{direction}, id{direction}" if order_by != "id" else f"id{direction}"
            if after is not None:
                return self._segments(
                    sql, params, order, _after_segments(expr, descending, after), limit, offset
                )
        return self._segments(sql, params, order, [("1", [])], limit, offset)

    def _segments(
        self,
        sql: str,
        params: list[Any],
        order: str,
        segments: list[tuple[str, list[Any]]],
        limit: int | None,
        offset: int,
    ) -> list[Record]:
        """Run ``sql AND segment`` for each segment in turn until ``offset + limit`` rows are read."""
        if len(segments) == 1:  # the usual case: SQLite skips the offset rows itself
            segment, extra = segments[0]
            query = f"SELECT data FROM entities WHERE {sql} AND {segment} ORDER BY {order} LIMIT ? OFFSET ?"
            bound = [*params, *extra, -1 if limit is None else limit, offset]
            with self.lock:
                return [json.loads(row[0]) for row in self.db.execute(query, bound).fetchall()]
        wanted = None if limit is None else offset + limit
        rows: list[Any] = []
        with self.lock:
            for segment, extra in segments:
                query = f"SELECT data FROM entities WHERE {sql} AND {segment} ORDER BY {order}"
                bound = [*params, *extra]
                if wanted is not None:
                    query += " LIMIT ?"
                    bound.append(wanted - len(rows))
                rows.extend(self.db.execute(query, bound).fetchall())
                if wanted is not None and len(rows) >= wanted:
                    break
        return [json.loads(row[0]) for row in rows[offset:wanted]]

    def count(
        self, kind: str, *, where: Mapping[str, Any] | None = None, any_of: Sequence[Mapping[str, Any]] = ()
    ) -> int:
        """How many records of ``kind`` match (same conditions as ``query``)."""
        sql, params = _where_sql(kind, where or {}, any_of)
        with self.lock:
            row = self.db.execute(f"SELECT COUNT(*) FROM entities WHERE {sql}", params).fetchone()
        return int(row[0])

    def count_by(
        self,
        kind: str,
        field: str,
        *,
        where: Mapping[str, Any] | None = None,
        any_of: Sequence[Mapping[str, Any]] = (),
    ) -> dict[Any, int]:
        """How many matching records of ``kind`` have each value of ``field`` (absent values omitted)."""
        sql, params = _where_sql(kind, where or {}, any_of)
        expr = _expression(field)
        # Counted here, not with GROUP BY or IS NOT NULL on the counted column, either of which can
        # lead SQLite to walk that column's index instead of seeking the conditions' one.
        with self.lock:
            rows = self.db.execute(f"SELECT {expr} FROM entities WHERE {sql}", params)
            counted = Counter(row[0] for row in rows)
        counted.pop(None, None)
        return dict(counted)

    def memo(self, key: Any, kinds: tuple[str, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result, recomputed only after a record of one of ``kinds`` was written.

        For values derived from small kinds that every render needs (custom field definitions):
        treat the result as read-only.
        """
        with self.lock:
            stamp = tuple(self._generation.get(kind, 0) for kind in kinds)
            cached = self._memo.get(key)
            if cached is not None and cached[0] == stamp:
                value: T = cached[1]
                return value
            value = compute()
            self._memo[key] = (stamp, value)
            return value

    def remove(self, kind: str, entity_id: int | str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM entities WHERE kind = ? AND id = ?", (kind, entity_key(entity_id)))
            self._changed(kind)

    def purge_deleted(self, cutoff: str) -> int:
        """Remove soft-deleted records whose ``_deleted_at`` is at or before ``cutoff`` (indexed)."""
        with self.lock:
            kinds = [
                str(row[0])
                for row in self.db.execute(
                    "SELECT DISTINCT kind FROM entities WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                    (cutoff,),
                )
            ]
            if not kinds:
                return 0
            cursor = self.db.execute(
                "DELETE FROM entities WHERE deleted_at IS NOT NULL AND deleted_at <= ?", (cutoff,)
            )
            for kind in kinds:
                self._changed(kind)
            return int(cursor.rowcount)

    def counts(self) -> dict[str, int]:
        with self.lock:
            rows = self.db.execute("SELECT kind, COUNT(*) FROM entities GROUP BY kind").fetchall()
        return {str(kind): int(count) for kind, count in rows}

    def wipe(self) -> None:
        with self.lock:
            self.db.execute("DELETE FROM entities")
            self.db.execute("DELETE FROM sequences")
            self.db.execute("DELETE FROM meta")
            self._generation.clear()
            self._memo.clear()

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
