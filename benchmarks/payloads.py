"""Webhook bodies: well-formed Pipedrive v2 deal events, and a generator of malformed ones."""

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
    # Only the fields an event cannot be identified without: a wrong-typed meta.timestamp or
    # meta.attempt is tolerated by the receiver by design (read as missing), so it is not "malformed".
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


def malformed_body(n: int, rng: random.Random) -> tuple[str, bytes]:
    """The ``n``-th malformed webhook body: (kind, bytes). Every one is invalid by construction."""
    base = v2_deal_created(100_000 + n)
    choice = rng.randrange(10)
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
