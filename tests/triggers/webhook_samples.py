"""Webhook bodies shaped like Pipedrive's (notes §7.2 v1, §7.3 v2), for the parsing tests and fuzzers."""

from __future__ import annotations

from typing import Any

# A set-type custom field of deals (40-hex key like Pipedrive's).
SET_FIELD = "b" * 40


def v2_payload(action: str = "change", entity: str = "deal", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meta": {
            "action": action,
            "entity": entity,
            "company_id": "8087566",
            "correlation_id": "4095519f-02cb-44bc-bd2f-551d5383f202",
            "entity_id": "8",
            "id": "71825ee0-0054-4267-b5fd-d28b7a414212",
            "is_bulk_edit": False,
            "timestamp": "2022-11-24T13:18:56.089Z",
            "type": "general",
            "user_id": "12415231",
            "version": "2.0",
            "webhook_id": "4710827",
            "webhook_owner_id": "12094821",
            "change_source": "app",
            "attempt": 1,
            "host": "pd-us.pipedrive.com",
            "permitted_user_ids": ["123", "456"],
        },
        "data": {
            "id": 8,
            "title": "Sample Org deal",
            "status": "open",
            "value": 100,
            "custom_fields": {"a" * 40: {"type": "varchar", "value": "new"}},
            "update_time": "2022-11-24T13:18:55Z",
        },
        "previous": {"title": "Old title", "custom_fields": {"a" * 40: {"type": "varchar", "value": "old"}}},
    }
    body.update(overrides)
    return body


def v1_payload(action: str = "updated", obj: str = "deal", **overrides: Any) -> dict[str, Any]:
    current = {"id": 123, "title": "New", "value": 10, "update_time": "2018-04-11 09:50:13"}
    previous = {"id": 123, "title": "Old", "value": 10, "update_time": "2018-04-11 09:40:00"}
    body: dict[str, Any] = {
        "v": 1,
        "matches_filters": {"current": [], "previous": []},
        "meta": {
            "v": 1,
            "action": action,
            "object": obj,
            "change_source": "app",
            "id": 123,
            "company_id": 456,
            "user_id": 789,
            "host": "company.pipedrive.com",
            "timestamp": 1523440213,
            "timestamp_micro": 1523440213384700,
            "permitted_user_ids": [],
            "trans_pending": False,
            "is_bulk_update": False,
            "pipedrive_service_name": False,
            "webhook_id": 1,
        },
        "retry": 0,
        "current": current if action != "deleted" else None,
        "previous": previous if action != "added" else None,
        "event": f"{action}.{obj}",
    }
    body.update(overrides)
    return body


def v1_merged_deal(survivor_id: int = 5, merged_id: int = 6) -> dict[str, Any]:
    """A v1 ``merged.deal``: ``current`` is the survivor after the merge, ``previous`` the deal that
    was merged away (another id, title and owner)."""
    current = {
        "id": survivor_id,
        "title": "Survivor deal",
        "user_id": 11,
        "value": 100,
        "stage_id": 2,
        SET_FIELD: "13,14",
        "update_time": "2026-11-27 10:00:05",
    }
    previous = {
        "id": merged_id,
        "title": "Merged-away deal",
        "user_id": 12,
        "value": 100,
        "stage_id": 3,
        SET_FIELD: "14",
        "update_time": "2026-11-20 08:00:00",
    }
    body = v1_payload(action="merged", current=current, previous=previous)
    body["meta"]["id"] = survivor_id
    return body


def v2_user_change(
    user_id: int, name: str, old_name: str, timestamp: str, attempt: int = 1
) -> dict[str, Any]:
    """A v2 ``change.user``: for user events ``meta.id`` is the user's id, not an event id."""
    return {
        "meta": {
            "action": "change",
            "entity": "user",
            "company_id": "8087566",
            "correlation_id": "4095519f-02cb-44bc-bd2f-551d5383f202",
            "entity_id": str(user_id),
            "id": str(user_id),
            "is_bulk_edit": False,
            "timestamp": timestamp,
            "type": "general",
            "user_id": "12415231",
            "version": "2.0",
            "webhook_id": "4710827",
            "webhook_owner_id": "12094821",
            "change_source": "app",
            "attempt": attempt,
            "host": "pd-us.pipedrive.com",
        },
        "data": {"id": user_id, "name": name, "email": "user@example.com", "active_flag": True},
        "previous": {"name": old_name},
    }
