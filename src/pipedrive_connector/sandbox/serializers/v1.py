"""Legacy API v1 shapes: expanded related objects (``value`` holds the id), flat custom fields,
``YYYY-MM-DD HH:MM:SS`` times, ``related_objects`` blocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipedrive_connector.sandbox import custom_fields, relations, timefmt
from pipedrive_connector.sandbox.store import Record, Store


def _visible_to(value: Any) -> str | None:
    return None if value is None else str(value)


def user_ref(store: Store, user_id: int | None, *, numeric_flags: bool = False) -> dict[str, Any] | None:
    """An expanded user; persons and organizations carry ``has_pic`` as 0/1, deals as a boolean."""
    if user_id is None:
        return None
    user = store.get("user", user_id)
    if user is None:
        return {
            "id": user_id,
            "name": None,
            "email": None,
            "has_pic": 0 if numeric_flags else False,
            "pic_hash": None,
            "active_flag": False,
            "value": user_id,
        }
    return {
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "has_pic": 0 if numeric_flags else False,
        "pic_hash": None,
        "active_flag": user["active_flag"],
        "value": user["id"],
    }


def _contact_list(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if not items:
        return [{"value": "", "primary": True}]
    return [
        {"label": item.get("label", "work"), "value": item.get("value"), "primary": bool(item.get("primary"))}
        for item in items
    ]


def person_ref(store: Store, person_id: int | None) -> dict[str, Any] | None:
    if person_id is None:
        return None
    person = store.get("person", person_id)
    if person is None:
        return {"active_flag": False, "name": None, "email": [], "phone": [], "value": person_id}
    return {
        "active_flag": not person.get("is_deleted"),
        "name": person["name"],
        "email": _contact_list(person.get("emails")),
        "phone": _contact_list(person.get("phones")),
        "owner_id": person.get("owner_id"),
        "value": person["id"],
    }


def _address_text(org: Record) -> str | None:
    address = org.get("address")
    return address.get("value") if isinstance(address, dict) else None


def _people_count(store: Store, org_id: int) -> int:
    return store.count("person", where={"org_id": org_id, "is_deleted": False})


def org_ref(store: Store, org_id: int | None) -> dict[str, Any] | None:
    if org_id is None:
        return None
    org = store.get("organization", org_id)
    if org is None:
        return {
            "name": None,
            "people_count": 0,
            "owner_id": None,
            "address": None,
            "active_flag": False,
            "cc_email": None,
            "value": org_id,
        }
    return {
        "name": org["name"],
        "people_count": _people_count(store, org["id"]),
        "owner_id": org.get("owner_id"),
        "address": _address_text(org),
        "active_flag": not org.get("is_deleted"),
        "cc_email": f"sandbox+org{org['id']}@pipedrivemail.com",
        "value": org["id"],
    }


def _activity_summary(store: Store, link: str, entity_id: int) -> dict[str, Any]:
    activities = store.query("activity", where={link: entity_id, "is_deleted": False}, order_by=None)
    done = [a for a in activities if a.get("done")]
    undone = sorted(
        (a for a in activities if not a.get("done")), key=lambda a: (a.get("due_date") or "", a["id"])
    )
    nxt = undone[0] if undone else None
    last = done[-1] if done else None
    return {
        "activities_count": len(activities),
        "done_activities_count": len(done),
        "undone_activities_count": len(undone),
        "next_activity_id": nxt["id"] if nxt else None,
        "next_activity_date": nxt.get("due_date") if nxt else None,
        "next_activity_time": nxt.get("due_time") if nxt else None,
        "next_activity_subject": nxt.get("subject") if nxt else None,
        "next_activity_type": nxt.get("type") if nxt else None,
        "next_activity_duration": nxt.get("duration") if nxt else None,
        "next_activity_note": nxt.get("note") if nxt else None,
        "last_activity_id": last["id"] if last else None,
        "last_activity_date": last.get("due_date") if last else None,
    }


def _format_money(value: Any, currency: str | None) -> str:
    symbols = {"EUR": "€", "USD": "$", "GBP": "£"}
    amount = f"{float(value or 0):,.0f}"
    symbol = symbols.get(currency or "", f"{currency} " if currency else "")
    return f"{symbol}{amount}"


def deal_v1(store: Store, record: Record) -> dict[str, Any]:
    owner = user_ref(store, record.get("owner_id"))
    creator = user_ref(store, record.get("creator_user_id"))
    person = person_ref(store, record.get("person_id"))
    org = org_ref(store, record.get("org_id"))
    stage = store.get("stage", record["stage_id"]) if record.get("stage_id") else None
    probability = record.get("probability")
    if probability is None and stage is not None:
        probability_used = stage.get("deal_probability", 100)
    else:
        probability_used = probability if probability is not None else 100
    weighted = (record.get("value") or 0) * probability_used / 100
    deleted = bool(record.get("is_deleted"))
    result: dict[str, Any] = {
        "id": record["id"],
        "creator_user_id": creator,
        "user_id": owner,
        "person_id": person,
        "org_id": org,
        "stage_id": record.get("stage_id"),
        "title": record["title"],
        "value": record.get("value"),
        "acv": record.get("acv"),
        "mrr": record.get("mrr"),
        "arr": record.get("arr"),
        "currency": record.get("currency"),
        "add_time": timefmt.v1(record.get("add_time")),
        "update_time": timefmt.v1(record.get("update_time")),
        "stage_change_time": timefmt.v1(record.get("stage_change_time")),
        "active": not deleted and record.get("status") == "open",
        "deleted": deleted,
        "is_archived": bool(record.get("is_archived")),
        "archive_time": timefmt.v1(record.get("archive_time")),
        "status": "deleted" if deleted else record.get("status"),
        "probability": probability,
        "lost_reason": record.get("lost_reason"),
        "visible_to": _visible_to(record.get("visible_to")),
        "close_time": timefmt.v1(record.get("close_time")),
        "pipeline_id": record.get("pipeline_id"),
        "won_time": timefmt.v1(record.get("won_time")),
        "first_won_time": timefmt.v1(record.get("first_won_time")),
        "lost_time": timefmt.v1(record.get("lost_time")),
        "products_count": record.get("products_count") or 0,
        "files_count": store.count("file", where={"deal_id": record["id"], "is_deleted": False}),
        "notes_count": store.count("note", where={"deal_id": record["id"]}),
        "followers_count": relations.followers_count(store, "deal", record["id"]),
        "email_messages_count": 0,
        "participants_count": relations.participants_count(store, record["id"]),
        "expected_close_date": record.get("expected_close_date"),
        "last_incoming_mail_time": None,
        "last_outgoing_mail_time": None,
        "label": ",".join(str(label) for label in record.get("label_ids") or []) or None,
        "local_won_date": (record.get("won_time") or "")[:10] or None,
        "local_lost_date": (record.get("lost_time") or "")[:10] or None,
        "local_close_date": (record.get("close_time") or "")[:10] or None,
        "origin": record.get("origin"),
        "origin_id": record.get("origin_id"),
        "channel": record.get("channel"),
        "channel_id": record.get("channel_id"),
        "stage_order_nr": stage.get("order_nr") if stage else None,
        "person_name": person["name"] if person else None,
        "org_name": org["name"] if org else None,
        "owner_name": owner["name"] if owner else None,
        "cc_email": f"sandbox+deal{record['id']}@pipedrivemail.com",
        "formatted_value": _format_money(record.get("value"), record.get("currency")),
        "weighted_value": weighted,
        "formatted_weighted_value": _format_money(weighted, record.get("currency")),
        "weighted_value_currency": record.get("currency"),
        "rotten_time": None,
        "org_hidden": False,
        "person_hidden": False,
    }
    result.update(_activity_summary(store, "deal_id", record["id"]))
    defs = custom_fields.custom_definitions(store, "deal")
    result.update(custom_fields.to_v1(defs, record.get("custom_fields") or {}))
    return result


def _duration(seconds: int) -> dict[str, int]:
    minutes, s = divmod(max(seconds, 0), 60)
    hours, i = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    years, d_of_year = divmod(days, 365)
    months, d = divmod(d_of_year, 30)
    return {"y": years, "m": months, "d": d, "h": h, "i": i, "s": s, "total_seconds": max(seconds, 0)}


def deal_details(store: Store, record: Record, now: datetime) -> dict[str, Any]:
    """The extra fields ``GET /v1/deals/{id}`` adds to the list shape (age, stage statistics...)."""
    added = timefmt.parse_any_datetime(record.get("add_time") or "") or now
    stages = sorted(
        (
            s
            for s in store.all("stage")
            if s["pipeline_id"] == record.get("pipeline_id") and not s.get("is_deleted")
        ),
        key=lambda s: s.get("order_nr") or 0,
    )
    changed = timefmt.parse_any_datetime(record.get("stage_change_time") or "") or added
    in_stage = int((now - changed).total_seconds())
    summary = _activity_summary(store, "deal_id", record["id"])
    next_activity = (
        store.get("activity", summary["next_activity_id"]) if summary["next_activity_id"] else None
    )
    last_activity = (
        store.get("activity", summary["last_activity_id"]) if summary["last_activity_id"] else None
    )
    order = [s["id"] for s in stages]
    position = order.index(record["stage_id"]) + 1 if record.get("stage_id") in order else 0
    return {
        "age": _duration(int((now - added).total_seconds())),
        "average_time_to_won": _duration(0),
        "average_stage_progress": round(position / len(order) * 5, 2) if order else 0,
        "stay_in_pipeline_stages": {
            "times_in_stages": {str(record["stage_id"]): in_stage} if record.get("stage_id") else {},
            "order_of_stages": order,
        },
        "next_activity": activity_v1(store, next_activity) if next_activity else None,
        "last_activity": activity_v1(store, last_activity) if last_activity else None,
    }


def _deal_statuses(store: Store, link: str, entity_id: int) -> dict[Any, int]:
    """Live deals linked to a person or organization, counted by status."""
    return store.count_by("deal", "status", where={link: entity_id, "is_deleted": False})


def person_v1(store: Store, record: Record) -> dict[str, Any]:
    owner = user_ref(store, record.get("owner_id"), numeric_flags=True)
    org = org_ref(store, record.get("org_id"))
    deals = _deal_statuses(store, "person_id", record["id"])
    result: dict[str, Any] = {
        "id": record["id"],
        "company_id": 1,
        "owner_id": owner,
        "org_id": org,
        "name": record["name"],
        "first_name": record.get("first_name"),
        "last_name": record.get("last_name"),
        "open_deals_count": deals.get("open", 0),
        "related_open_deals_count": 0,
        "closed_deals_count": sum(deals.values()) - deals.get("open", 0),
        "related_closed_deals_count": 0,
        "participant_open_deals_count": 0,
        "participant_closed_deals_count": 0,
        "email_messages_count": 0,
        "files_count": store.count("file", where={"person_id": record["id"], "is_deleted": False}),
        "notes_count": store.count("note", where={"person_id": record["id"]}),
        "followers_count": relations.followers_count(store, "person", record["id"]),
        "won_deals_count": deals.get("won", 0),
        "related_won_deals_count": 0,
        "lost_deals_count": deals.get("lost", 0),
        "related_lost_deals_count": 0,
        "active_flag": not record.get("is_deleted"),
        "phone": _contact_list(record.get("phones")),
        "email": _contact_list(record.get("emails")),
        "primary_email": next((e["value"] for e in record.get("emails") or [] if e.get("primary")), None),
        "first_char": (record["name"] or " ")[0].lower(),
        "update_time": timefmt.v1(record.get("update_time")),
        "add_time": timefmt.v1(record.get("add_time")),
        "visible_to": _visible_to(record.get("visible_to")),
        "picture_id": record.get("picture_id"),
        "label": (record.get("label_ids") or [None])[0],
        "label_ids": record.get("label_ids") or [],
        "org_name": org["name"] if org else None,
        "owner_name": owner["name"] if owner else None,
        "cc_email": f"sandbox+person{record['id']}@pipedrivemail.com",
        "last_incoming_mail_time": None,
        "last_outgoing_mail_time": None,
        "marketing_status": record.get("marketing_status"),
        "job_title": record.get("job_title"),
    }
    result.update(_activity_summary(store, "person_id", record["id"]))
    defs = custom_fields.custom_definitions(store, "person")
    result.update(custom_fields.to_v1(defs, record.get("custom_fields") or {}))
    return result


_ADDRESS_PARTS = (
    "subpremise",
    "street_number",
    "route",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
)


def organization_v1(store: Store, record: Record) -> dict[str, Any]:
    owner = user_ref(store, record.get("owner_id"), numeric_flags=True)
    address = record.get("address") if isinstance(record.get("address"), dict) else {}
    deals = _deal_statuses(store, "org_id", record["id"])
    result: dict[str, Any] = {
        "id": record["id"],
        "company_id": 1,
        "owner_id": owner,
        "name": record["name"],
        "open_deals_count": deals.get("open", 0),
        "related_open_deals_count": 0,
        "closed_deals_count": sum(deals.values()) - deals.get("open", 0),
        "related_closed_deals_count": 0,
        "email_messages_count": 0,
        "people_count": _people_count(store, record["id"]),
        "files_count": store.count("file", where={"org_id": record["id"], "is_deleted": False}),
        "notes_count": store.count("note", where={"org_id": record["id"]}),
        "followers_count": relations.followers_count(store, "organization", record["id"]),
        "won_deals_count": deals.get("won", 0),
        "related_won_deals_count": 0,
        "lost_deals_count": deals.get("lost", 0),
        "related_lost_deals_count": 0,
        "active_flag": not record.get("is_deleted"),
        "picture_id": None,
        "country_code": None,
        "first_char": (record["name"] or " ")[0].lower(),
        "update_time": timefmt.v1(record.get("update_time")),
        "add_time": timefmt.v1(record.get("add_time")),
        "visible_to": _visible_to(record.get("visible_to")),
        "label": (record.get("label_ids") or [None])[0],
        "label_ids": record.get("label_ids") or [],
        "owner_name": owner["name"] if owner else None,
        "cc_email": f"sandbox+org{record['id']}@pipedrivemail.com",
        "address": address.get("value") if address else None,
        "address_formatted_address": address.get("value") if address else None,
    }
    for part in _ADDRESS_PARTS:
        result[f"address_{part}"] = address.get(part) if address else None
    result.update(_activity_summary(store, "org_id", record["id"]))
    defs = custom_fields.custom_definitions(store, "organization")
    result.update(custom_fields.to_v1(defs, record.get("custom_fields") or {}))
    return result


def activity_v1(store: Store, record: Record) -> dict[str, Any]:
    owner = store.get("user", record["owner_id"]) if record.get("owner_id") else None
    person = store.get("person", record["person_id"]) if record.get("person_id") else None
    org = store.get("organization", record["org_id"]) if record.get("org_id") else None
    deal = store.get("deal", record["deal_id"]) if record.get("deal_id") else None
    location = record.get("location") if isinstance(record.get("location"), dict) else None
    return {
        "id": record["id"],
        "company_id": 1,
        "user_id": record.get("owner_id"),
        "done": bool(record.get("done")),
        "type": record.get("type"),
        "reference_type": None,
        "reference_id": None,
        "conference_meeting_client": None,
        "conference_meeting_url": None,
        "due_date": record.get("due_date"),
        "due_time": record.get("due_time") or "",
        "duration": record.get("duration") or "",
        "busy_flag": bool(record.get("busy")),
        "add_time": timefmt.v1(record.get("add_time")),
        "marked_as_done_time": timefmt.v1(record.get("marked_as_done_time")) or "",
        "last_notification_time": None,
        "last_notification_user_id": None,
        "notification_language_id": None,
        "subject": record.get("subject"),
        "public_description": record.get("public_description"),
        "calendar_sync_include_context": None,
        "location": location.get("value") if location else None,
        "org_id": record.get("org_id"),
        "person_id": record.get("person_id"),
        "deal_id": record.get("deal_id"),
        "lead_id": record.get("lead_id"),
        "project_id": record.get("project_id"),
        "active_flag": not record.get("is_deleted"),
        "update_time": timefmt.v1(record.get("update_time")),
        "update_user_id": record.get("owner_id"),
        "source_timezone": None,
        "rec_rule": None,
        "rec_rule_extension": None,
        "rec_master_activity_id": None,
        "note": record.get("note"),
        "created_by_user_id": record.get("creator_user_id"),
        "location_subpremise": location.get("subpremise") if location else None,
        "location_street_number": location.get("street_number") if location else None,
        "location_route": location.get("route") if location else None,
        "location_sublocality": location.get("sublocality") if location else None,
        "location_locality": location.get("locality") if location else None,
        "location_admin_area_level_1": location.get("admin_area_level_1") if location else None,
        "location_admin_area_level_2": location.get("admin_area_level_2") if location else None,
        "location_country": location.get("country") if location else None,
        "location_postal_code": location.get("postal_code") if location else None,
        "location_formatted_address": location.get("value") if location else None,
        "attendees": record.get("attendees"),
        "participants": [
            {"person_id": p.get("person_id"), "primary_flag": bool(p.get("primary"))}
            for p in record.get("participants") or []
        ]
        or None,
        "series": None,
        "is_recurring": None,
        "org_name": org["name"] if org else None,
        "person_name": person["name"] if person else None,
        "deal_title": deal["title"] if deal else None,
        "lead_title": None,
        "owner_name": owner["name"] if owner else None,
        "person_dropbox_bcc": None,
        "deal_dropbox_bcc": None,
        "assigned_to_user_id": record.get("owner_id"),
        "file": None,
    }


def lead_v1(store: Store, record: Record) -> dict[str, Any]:
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
        "source_deal_id",
        "is_archived",
        "was_seen",
        "value",
        "expected_close_date",
        "next_activity_id",
        "add_time",
        "update_time",
        "visible_to",
        "cc_email",
    )
    result = {key: record.get(key) for key in keys}
    defs = custom_fields.custom_definitions(store, "lead")
    # Leads inherit the deal custom fields; unset ones are omitted.
    result.update(custom_fields.to_v1(defs, record.get("custom_fields") or {}, omit_unset=True))
    return result


def user_v1(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def pipeline_v1(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "url_title": str(record["name"]).lower().replace(" ", "-"),
        "order_nr": record.get("order_nr"),
        "active": not record.get("is_deleted"),
        "deal_probability": bool(record.get("is_deal_probability_enabled")),
        "add_time": timefmt.v1(record.get("add_time")),
        "update_time": timefmt.v1(record.get("update_time")),
        "selected": record["id"] == 1,
    }


def stage_v1(store: Store, record: Record) -> dict[str, Any]:
    pipeline = store.get("pipeline", record["pipeline_id"]) or {}
    return {
        "id": record["id"],
        "order_nr": record.get("order_nr"),
        "name": record["name"],
        "active_flag": not record.get("is_deleted"),
        "deal_probability": record.get("deal_probability"),
        "pipeline_id": record.get("pipeline_id"),
        "rotten_flag": bool(record.get("is_deal_rot_enabled")),
        "rotten_days": record.get("days_to_rotten"),
        "add_time": timefmt.v1(record.get("add_time")),
        "update_time": timefmt.v1(record.get("update_time")),
        "pipeline_name": pipeline.get("name"),
        "pipeline_deal_probability": bool(pipeline.get("is_deal_probability_enabled")),
    }


REFERENCE_FIELDS = ("user_id", "creator_user_id", "owner_id", "person_id", "org_id")


def flat_ids(item: dict[str, Any]) -> dict[str, Any]:
    """The current v1 spec's variant (merge, pipeline/stage deal lists): references as plain ids."""
    return {
        key: value["value"] if key in REFERENCE_FIELDS and isinstance(value, dict) else value
        for key, value in item.items()
    }


def related_objects(store: Store, records: list[Record]) -> dict[str, Any]:
    """The v1 ``related_objects`` block for a list of deals, persons, organizations or activities."""
    users: dict[str, Any] = {}
    persons: dict[str, Any] = {}
    orgs: dict[str, Any] = {}
    stages: dict[str, Any] = {}
    pipelines: dict[str, Any] = {}
    deals: dict[str, Any] = {}
    for record in records:
        for key in ("owner_id", "creator_user_id"):
            ref = user_ref(store, record.get(key))
            if ref:
                users[str(ref["id"])] = {k: v for k, v in ref.items() if k != "value"}
        if record.get("person_id"):
            ref = person_ref(store, record["person_id"])
            if ref:
                persons[str(record["person_id"])] = {
                    "id": record["person_id"],
                    **{k: v for k, v in ref.items() if k != "value"},
                }
        if record.get("org_id"):
            ref = org_ref(store, record["org_id"])
            if ref:
                orgs[str(record["org_id"])] = {
                    "id": record["org_id"],
                    **{k: v for k, v in ref.items() if k != "value"},
                }
        if record.get("stage_id"):
            stage = store.get("stage", record["stage_id"])
            if stage:
                stages[str(stage["id"])] = {"company_id": 1, **stage_v1(store, stage)}
        if record.get("pipeline_id"):
            pipeline = store.get("pipeline", record["pipeline_id"])
            if pipeline:
                pipelines[str(pipeline["id"])] = pipeline_v1(pipeline)
        if record.get("deal_id"):
            deal = store.get("deal", record["deal_id"])
            if deal:
                deals[str(deal["id"])] = {
                    "id": deal["id"],
                    "title": deal["title"],
                    "status": deal["status"],
                    "value": deal.get("value"),
                    "currency": deal.get("currency"),
                    "stage_id": deal.get("stage_id"),
                    "pipeline_id": deal.get("pipeline_id"),
                }
    result: dict[str, Any] = {"user": users}
    if persons:
        result["person"] = persons
    if orgs:
        result["organization"] = orgs
    if stages:
        result["stage"] = stages
    if pipelines:
        result["pipeline"] = pipelines
    if deals:
        result["deal"] = deals
    return result
