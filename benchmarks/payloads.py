"""Webhook bodies: well-formed Pipedrive v2 deal events, a generator of malformed ones, and the
hostile classes that once made the receiver answer 500 (issue 10)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def v2_deal_created(deal_id: int, *, webhook_id: str = "1") -> dict[str, Any]:
    """A v2 ``create``/``deal`` delivery shaped like Pipedrive's (a unique event id per call)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "data": {
            "id": deal_id,
            "title": f"Load deal {deal_id}",
            "owner_id": 1,
            "creator_user_id": 1,
            "person_id": None,
            "org_id": None,
            "stage_id": 1,
            "pipeline_id": 1,
            "value": 1000,
            "currency": "EUR",
            "status": "open",
            "add_time": now,
            "update_time": now,
            "is_deleted": False,
            "custom_fields": {},
        },
        "previous": None,
        "meta": {
            "action": "create",
            "entity": "deal",
            "entity_id": str(deal_id),
            "id": str(uuid.uuid4()),
            "timestamp": now,
            "version": "2.0",
            "attempt": 1,
            "company_id": "1",
            "user_id": "1",
            "correlation_id": str(uuid.uuid4()),
            "change_source": "api",
            "type": "general",
            "host": "sandbox.pipedrive.com",
            "is_bulk_edit": False,
            "permitted_user_ids": ["1"],
            "webhook_id": webhook_id,
            "webhook_owner_id": "1",
        },
    }


def _drop(payload: dict[str, Any], rng: random.Random) -> Any:
    meta = dict(payload["meta"])
    meta.pop(rng.choice(["id", "action", "entity"]), None)
    return {**payload, "meta": meta}


def _wrong_type(payload: dict[str, Any], rng: random.Random) -> Any:
    # Only the fields an event cannot be identified without (many wrong-typed values of
    # meta.timestamp or meta.attempt are valid: 42 is an epoch time, None is "absent").
    meta = dict(payload["meta"])
    key = rng.choice(["id", "action", "entity"])
    meta[key] = rng.choice([None, 42, [], {}, True, 1.5, ""])
    return {**payload, "meta": meta}


def _unknown_action(payload: dict[str, Any], rng: random.Random) -> Any:
    return {
        **payload,
        "meta": {**payload["meta"], "action": rng.choice(["explode", "CREATE", "added.x", "🚀"])},
    }


def _meta_not_object(payload: dict[str, Any], rng: random.Random) -> Any:
    return {**payload, "meta": rng.choice([None, "meta", 7, [payload["meta"]]])}


def _data_not_object(payload: dict[str, Any], rng: random.Random) -> Any:
    return {**payload, "data": rng.choice(["deal", 3, [1, 2], True])}


def _not_an_object(payload: dict[str, Any], rng: random.Random) -> Any:
    return rng.choice([[payload], "payload", 12, None, True])


# Structural mutations produce JSON; byte mutations produce invalid bodies.
STRUCTURAL: list[Callable[[dict[str, Any], random.Random], Any]] = [
    _drop,
    _wrong_type,
    _unknown_action,
    _meta_not_object,
    _data_not_object,
    _not_an_object,
]


_RAW = "@@raw-json@@"
# A v2 set-type custom field key (40 hex characters, like Pipedrive's).
SET_FIELD_KEY = "b" * 40


def _with(deal_id: int, *, raw: str | None = None, **changes: dict[str, Any]) -> bytes:
    """A valid create.deal body with ``meta``/``data`` entries replaced; ``raw`` is JSON text spliced
    in where a value is ``_RAW`` (for what ``json.dumps`` cannot write: 1e400, 5,000 digits...)."""
    body = v2_deal_created(deal_id)
    for section, values in changes.items():
        body[section] = {**body[section], **values}
    text = json.dumps(body)
    return (text.replace(json.dumps(_RAW), raw) if raw is not None else text).encode()


# Authenticated bodies that made the receiver answer 500 before issue 10; each must get a 400.
HOSTILE: dict[str, Callable[[int], bytes]] = {
    "deep_nesting": lambda n: _with(n, raw="[" * 100_000 + "]" * 100_000, data={"custom_fields": _RAW}),
    "moderately_deep_nesting": lambda n: _with(n, raw="[" * 200 + "]" * 200, data={"custom_fields": _RAW}),
    "integer_5000_digits": lambda n: _with(n, raw="9" * 5000, meta={"attempt": _RAW}),
    "integer_400_digits": lambda n: _with(n, raw="7" * 400, meta={"timestamp": _RAW}),
    "attempt_1e400": lambda n: _with(n, raw="1e400", meta={"attempt": _RAW}),
    "attempt_nan": lambda n: _with(n, raw="NaN", meta={"attempt": _RAW}),
    "attempt_negative": lambda n: _with(n, meta={"attempt": -1}),
    "superscript_timestamp": lambda n: _with(n, meta={"timestamp": "²"}),
    "superscript_entity_id": lambda n: _with(n, meta={"entity_id": "²"}),
    "year_1_with_offset": lambda n: _with(n, meta={"timestamp": "0001-01-01T00:00:00+01:00"}),
    "year_9999_update_time": lambda n: _with(n, data={"update_time": "9999-12-31T23:59:59-01:00"}),
    "path_in_entity_id": lambda n: _with(n, meta={"entity_id": "1/../../../../v1/users/me"}),
    "entity_id_not_positive": lambda n: _with(n, meta={"entity_id": "-3"}),
    "mixed_option_ids": lambda n: _with(
        n, data={"custom_fields": {SET_FIELD_KEY: {"type": "set", "values": [{"id": 1}, {"id": "x"}]}}}
    ),
    "lone_surrogate": lambda n: _with(n, data={"title": "\ud800"}),
    # PostgreSQL text cannot hold a NUL: an event id with one must be a 400, not a 503 on every retry.
    "nul_in_event_id": lambda n: _with(n, meta={"id": f"evt-{n}\u0000x"}),
}


def malformed_body(n: int, rng: random.Random) -> tuple[str, bytes]:
    """The ``n``-th malformed webhook body: (kind, bytes). Every one is invalid by construction."""
    base = v2_deal_created(100_000 + n)
    choice = rng.randrange(10 + len(HOSTILE))
    if choice >= 10:
        kind = list(HOSTILE)[choice - 10]
        return kind, HOSTILE[kind](100_000 + n)
    if choice < 6:
        mutate = STRUCTURAL[choice]
        return mutate.__name__.lstrip("_"), json.dumps(mutate(base, rng)).encode()
    raw = json.dumps(base).encode()
    if choice == 6:
        cut = rng.randrange(1, len(raw) - 1)
        return "truncated", raw[:cut]
    if choice == 7:
        return "not_utf8", b"\xff\xfe" + raw[: rng.randrange(0, 64)] + bytes([rng.randrange(0x80, 0xC0)])
    if choice == 8:
        return "empty_or_blank", rng.choice([b"", b" ", b"\n\t", b"null"])
    garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    return "random_bytes", b"{" + garbage
