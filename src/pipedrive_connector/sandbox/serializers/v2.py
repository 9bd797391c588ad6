"""API v2 shapes: plain integer ids, real booleans, RFC 3339 times, nested ``custom_fields``."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.sandbox import custom_fields, relations
from pipedrive_connector.sandbox.store import Record, Store

DEAL_KEYS = (
    "id",
    "title",
    "creator_user_id",
    "owner_id",
    "value",
    "person_id",
    "org_id",
    "stage_id",
    "pipeline_id",
    "currency",
    "archive_time",
    "add_time",
    "update_time",
    "stage_change_time",
    "status",
    "is_archived",
    "is_deleted",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "won_time",
    "lost_time",
    "local_won_date",
    "local_lost_date",
    "local_close_date",
    "expected_close_date",
    "label_ids",
    "origin",
    "origin_id",
    "channel",
    "channel_id",
    "source_lead_id",
    "acv",
    "arr",
    "mrr",
)
DEAL_INCLUDE_FIELDS = (
    "next_activity_id",
    "last_activity_id",
    "first_won_time",
    "products_count",
    "files_count",
    "notes_count",
    "followers_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "participants_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "smart_bcc_email",
    "source_lead_id",
)
PERSON_KEYS = (
    "id",
    "name",
    "first_name",
    "last_name",
    "owner_id",
    "org_id",
    "add_time",
    "update_time",
    "emails",
    "phones",
    "is_deleted",
    "visible_to",
    "label_ids",
    "picture_id",
)
PERSON_OPTIONAL_KEYS = ("notes", "im", "birthday", "job_title", "postal_address")
PERSON_INCLUDE_FIELDS = (
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "participant_open_deals_count",
    "participant_closed_deals_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "marketing_status",
    "doi_status",
    "smart_bcc_email",
    *PERSON_OPTIONAL_KEYS,
)
ORGANIZATION_KEYS = (
    "id",
    "name",
    "owner_id",
    "add_time",
    "update_time",
    "address",
    "is_deleted",
    "visible_to",
    "label_ids",
    "website",
    "linkedin",
    "industry",
    "annual_revenue",
    "employee_count",
)
ORGANIZATION_INCLUDE_FIELDS = (
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "email_messages_count",
    "people_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "smart_bcc_email",
)
ACTIVITY_KEYS = (
    "id",
    "subject",
    "type",
    "owner_id",
    "creator_user_id",
    "is_deleted",
    "add_time",
    "update_time",
    "deal_id",
    "lead_id",
    "person_id",
    "org_id",
    "project_id",
    "due_date",
    "due_time",
    "duration",
    "busy",
    "done",
    "marked_as_done_time",
    "location",
    "participants",
    "public_description",
    "priority",
    "note",
)
ACTIVITY_INCLUDE_FIELDS = ("attendees",)
INCLUDE_FIELDS = {
    "deal": DEAL_INCLUDE_FIELDS,
    "person": PERSON_INCLUDE_FIELDS,
    "organization": ORGANIZATION_INCLUDE_FIELDS,
    "activity": ACTIVITY_INCLUDE_FIELDS,
}
KEYS = {
    "deal": DEAL_KEYS,
    "person": PERSON_KEYS,
    "organization": ORGANIZATION_KEYS,
    "activity": ACTIVITY_KEYS,
}

# kind → (local date key, the time field it is the date of), e.g. local_won_date ← won_time
_LOCAL_DATES = {
    kind: tuple(
        (key, key.replace("local_", "").replace("_date", "_time")) for key in keys if key.startswith("local_")
    )
    for kind, keys in KEYS.items()
}


def _local_date(value: str | None) -> str | None:
    return value[:10] if value else None


def _counts(store: Store, kind: str, record: Record) -> dict[str, Any]:
    """Relationship counts and next/last activity, computed from the store on demand."""
    link = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}.get(kind)
    if link is None:
        return {}
    live = {link: record["id"], "is_deleted": False}
    activities = store.query("activity", where=live, order_by=None)
    done = [a for a in activities if a.get("done")]
    undone = sorted(
        (a for a in activities if not a.get("done")), key=lambda a: (a.get("due_date") or "", a["id"])
    )
    result: dict[str, Any] = {
        "activities_count": len(activities),
        "done_activities_count": len(done),
        "undone_activities_count": len(undone),
        "next_activity_id": undone[0]["id"] if undone else None,
        "last_activity_id": done[-1]["id"] if done else None,
        "files_count": store.count("file", where={link: record["id"], "is_deleted": False}),
        "notes_count": store.count("note", where={link: record["id"]}),
        "followers_count": relations.followers_count(store, kind, record["id"]),
        "email_messages_count": 0,
        "last_incoming_mail_time": None,
        "last_outgoing_mail_time": None,
        "smart_bcc_email": f"sandbox+{kind}{record['id']}@pipedrivemail.com",
    }
    if kind == "deal":
        result.update(
            products_count=record.get("products_count") or 0,
            participants_count=relations.participants_count(store, record["id"]),
        )
        result["first_won_time"] = record.get("first_won_time")
        result["source_lead_id"] = record.get("source_lead_id")
    else:
        counted = store.count_by("deal", "status", where=live)
        by_status = {status: counted.get(status, 0) for status in ("open", "won", "lost")}
        result.update(
            open_deals_count=by_status["open"],
            related_open_deals_count=0,
            closed_deals_count=by_status["won"] + by_status["lost"],
            related_closed_deals_count=0,
            won_deals_count=by_status["won"],
            related_won_deals_count=0,
            lost_deals_count=by_status["lost"],
            related_lost_deals_count=0,
        )
        if kind == "person":
            result.update(
                participant_open_deals_count=0,
                participant_closed_deals_count=0,
                marketing_status=record.get("marketing_status"),
                doi_status=None,
            )
            for key in PERSON_OPTIONAL_KEYS:
                result[key] = record.get(key)
        else:
            result["people_count"] = store.count("person", where=live)
    return result


def entity_v2(
    store: Store,
    kind: str,
    record: Record,
    *,
    include_fields: tuple[str, ...] = (),
    option_labels: bool = False,
    custom_field_keys: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A deal, person, organization or activity as API v2 returns it."""
    get = record.get
    result: dict[str, Any] = {key: get(key) for key in KEYS[kind]}
    for key, source in _LOCAL_DATES.get(kind, ()):
        result[key] = _local_date(get(source))
    if kind == "person":
        for key in PERSON_OPTIONAL_KEYS:
            if record.get(key) is not None:
                result[key] = record[key]
    if kind != "activity":
        defs = custom_fields.custom_definitions(store, kind)
        if custom_field_keys:
            defs = {key: value for key, value in defs.items() if key in custom_field_keys}
        result["custom_fields"] = custom_fields.to_v2(
            defs, record.get("custom_fields") or {}, option_labels=option_labels
        )
    if include_fields:
        extras = _counts(store, kind, record)
        if kind == "activity":
            extras["attendees"] = record.get("attendees") or []
        for name in include_fields:
            if name in extras:
                result[name] = extras[name]
    return result


def lead_v2(store: Store, record: Record) -> dict[str, Any]:
    """A lead in the v2 webhook ``data`` shape (v2 has no lead CRUD; this feeds webhooks)."""
    keys = (
        "id",
        "title",
        "owner_id",
        "creator_id",
        "label_ids",
        "person_id",
        "organization_id",
        "source_name",
        "origin",
        "origin_id",
        "channel",
        "channel_id",
        "is_archived",
        "was_seen",
        "value",
        "expected_close_date",
        "next_activity_id",
        "add_time",
        "update_time",
        "visible_to",
    )
    result = {key: record.get(key) for key in keys}
    defs = custom_fields.custom_definitions(store, "lead")
    result["custom_fields"] = custom_fields.to_v2(defs, record.get("custom_fields") or {})
    return result


def pipeline_v2(record: Record) -> dict[str, Any]:
    keys = ("id", "name", "order_nr", "is_deleted", "is_deal_probability_enabled", "add_time", "update_time")
    return {key: record.get(key) for key in keys}


def stage_v2(record: Record) -> dict[str, Any]:
    keys = (
        "id",
        "order_nr",
        "name",
        "is_deleted",
        "deal_probability",
        "pipeline_id",
        "is_deal_rot_enabled",
        "days_to_rotten",
        "add_time",
        "update_time",
    )
    return {key: record.get(key) for key in keys}
