"""Seed data: ``empty`` (a fresh account: the admin, currencies, one pipeline, lead labels, standard
fields) and ``demo`` (a believable small company on top of that). Deterministic: the same ids,
custom-field keys and lead-label UUIDs every time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.custom_fields import field_key
from pipedrive_connector.sandbox.resources import blobs
from pipedrive_connector.sandbox.store import Record, Store

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

SEED_NAMESPACE = uuid.UUID("6f1c1e7a-0d1b-4c55-9a9e-5a1d6b0c0de5")


def seeded_uuid(name: str) -> str:
    return str(uuid.uuid5(SEED_NAMESPACE, name))


def permission_set_id(app: str, admin: bool) -> str:
    """The id of an app's admin or regular permission set (``resources/roles.py`` lists the sets)."""
    return seeded_uuid(f"permissionSet:{app}:{'admin' if admin else 'regular'}")


CURRENCIES = [
    ("EUR", "Euro", "€"),
    ("USD", "US Dollar", "$"),
    ("GBP", "British Pound", "£"),
    ("SEK", "Swedish Krona", "kr"),
    ("CHF", "Swiss Franc", "CHF"),
    ("JPY", "Japanese Yen", "¥"),
    ("CAD", "Canadian Dollar", "CA$"),
    ("AUD", "Australian Dollar", "A$"),
    ("NOK", "Norwegian Krone", "kr"),
    ("DKK", "Danish Krone", "kr"),
]
LEAD_LABELS = [("Hot", "red"), ("Warm", "yellow"), ("Cold", "blue")]
# Demo custom fields: (entity, name, field_type, options)
DEMO_CUSTOM_FIELDS: list[tuple[str, str, str, list[str] | None]] = [
    ("deal", "Budget", "monetary", None),
    ("deal", "Region", "enum", ["EMEA", "AMER", "APAC"]),
    ("deal", "Renewal date", "date", None),
    ("deal", "Source note", "varchar", None),
    ("deal", "Score", "double", None),
    ("deal", "Products of interest", "set", ["CRM", "Analytics", "Support"]),
    ("person", "LinkedIn profile", "varchar", None),
    ("organization", "Tier", "enum", ["Gold", "Silver", "Bronze"]),
]
STANDARD_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "dealField": [
        ("title", "Title", "varchar"),
        ("value", "Value", "monetary"),
        ("currency", "Currency", "varchar_auto"),
        ("org_id", "Organization", "org"),
        ("person_id", "Contact person", "people"),
        ("user_id", "Owner", "user"),
        ("stage_id", "Stage", "double"),
        ("pipeline_id", "Pipeline", "double"),
        ("status", "Status", "enum"),
        ("add_time", "Deal created", "date"),
        ("update_time", "Update time", "date"),
        ("expected_close_date", "Expected close date", "date"),
        ("label", "Label", "set"),
        ("probability", "Probability", "double"),
        ("lost_reason", "Lost reason", "varchar"),
        ("visible_to", "Visible to", "visible_to"),
    ],
    "personField": [
        ("name", "Name", "varchar"),
        ("first_name", "First name", "varchar"),
        ("last_name", "Last name", "varchar"),
        ("org_id", "Organization", "org"),
        ("email", "Email", "varchar"),
        ("phone", "Phone", "phone"),
        ("owner_id", "Owner", "user"),
        ("add_time", "Person created", "date"),
        ("update_time", "Update time", "date"),
        ("label", "Label", "enum"),
        ("visible_to", "Visible to", "visible_to"),
    ],
    "activityField": [
        ("subject", "Subject", "varchar"),
        ("type", "Type", "varchar"),
        ("due_date", "Due date", "date"),
        ("due_time", "Due time", "time"),
        ("duration", "Duration", "time"),
        ("user_id", "Assigned to user", "user"),
        ("deal_id", "Deal", "double"),
        ("person_id", "Contact person", "people"),
        ("org_id", "Organization", "org"),
        ("done", "Done", "varchar"),
        ("note", "Note", "text"),
        ("location", "Location", "address"),
        ("public_description", "Public description", "text"),
        ("add_time", "Add time", "date"),
    ],
    "organizationField": [
        ("name", "Name", "varchar"),
        ("owner_id", "Owner", "user"),
        ("address", "Address", "address"),
        ("add_time", "Organization created", "date"),
        ("update_time", "Update time", "date"),
        ("label", "Label", "enum"),
        ("visible_to", "Visible to", "visible_to"),
    ],
    # Only types GET /v1/productFields/{id} documents.
    "productField": [
        ("name", "Name", "varchar"),
        ("code", "Product code", "varchar"),
        ("description", "Description", "text"),
        ("unit", "Unit", "varchar"),
        ("tax", "Tax", "double"),
        ("owner_id", "Owner", "user"),
        ("add_time", "Add time", "date"),
        ("update_time", "Update time", "date"),
    ],
    "projectField": [
        ("title", "Title", "varchar"),
        ("description", "Description", "text"),
        ("status", "Status", "status"),
        ("board_id", "Board", "projects_board"),
        ("phase_id", "Phase", "projects_phase"),
        ("owner_id", "Owner", "user"),
        ("start_date", "Start date", "date"),
        ("end_date", "End date", "date"),
        ("deal_ids", "Deals", "deals"),
        ("person_ids", "Contact persons", "people"),
        ("org_ids", "Organizations", "org"),
        ("label_ids", "Labels", "set"),
        ("add_time", "Add time", "date"),
        ("update_time", "Update time", "date"),
    ],
}
FIELD_KIND_OF = {
    "deal": "dealField",
    "person": "personField",
    "organization": "organizationField",
    "product": "productField",
}


def custom_field_key(entity: str, name: str) -> str:
    """The stable 40-hex key of a seeded custom field, e.g. ``custom_field_key("deal", "Budget")``."""
    return field_key(f"{entity}:{name}")


def make_field(
    store: Store,
    kind: str,
    *,
    key: str,
    name: str,
    field_type: str,
    options: list[str] | None,
    custom: bool,
    now: str,
    user_id: int = 1,
) -> Record:
    field_id = store.next_id(kind)
    option_items = None
    if options is not None:
        option_items = [{"id": store.next_id("fieldOption"), "label": label} for label in options]
    record: Record = {
        "id": field_id,
        "key": key,
        "name": name,
        "order_nr": field_id,
        "field_type": field_type,
        "add_time": timefmt.v1(now),
        "update_time": timefmt.v1(now),
        "last_updated_by_user_id": user_id if custom else None,
        "created_by_user_id": user_id if custom else None,
        "active_flag": True,
        "edit_flag": custom,
        "index_visible_flag": True,
        "details_visible_flag": True,
        "add_visible_flag": True,
        "important_flag": False,
        "bulk_edit_allowed": True,
        "searchable_flag": custom,
        "filtering_allowed": True,
        "sortable_flag": True,
        "options": option_items,
        "mandatory_flag": False,
    }
    return store.put(kind, record)


def _user(user_id: int, name: str, email: str, *, admin: bool, currency: str, now: str) -> Record:
    return {
        "id": user_id,
        "name": name,
        "default_currency": currency,
        "timezone_name": "Europe/Tallinn",
        "timezone_offset": "+02:00",
        "locale": "en_US",
        "lang": 1,
        "email": email,
        "phone": None,
        "activated": True,
        "last_login": timefmt.v1(now),
        "created": timefmt.v1(now),
        "modified": timefmt.v1(now),
        "has_created_company": admin,
        "access": [{"app": "sales", "admin": admin, "permission_set_id": permission_set_id("sales", admin)}],
        "active_flag": True,
        "is_admin": 1 if admin else 0,
        "role_id": 1,
        "icon_url": None,
        "is_deleted": False,
    }


def seed(state: SandboxState, name: str) -> None:
    """Wipe the store and load the named seed."""
    store = state.store
    with state.db_lock:
        store.wipe()
        blobs.clear(state)
        now_dt = state.clock.now()
        _seed_account(state, now_dt)
        # Imported here: the catalog uses the resource modules, one of which imports this module.
        from pipedrive_connector.sandbox.resources.activity_types import seed_activity_types
        from pipedrive_connector.sandbox.resources.files import seed_demo_file
        from pipedrive_connector.sandbox.resources.roles import seed_roles
        from pipedrive_connector.sandbox.seed_catalog import seed_demo_catalog
        from pipedrive_connector.sandbox.seed_projects import seed_demo_projects

        def at(days_ago: float) -> str:
            return timefmt.iso(now_dt - timedelta(days=days_ago))

        seed_activity_types(store, at)
        seed_roles(store)
        if name == "demo":
            _seed_demo(state, now_dt)
            seed_demo_catalog(store, at)
            seed_demo_projects(store, at)
            seed_demo_file(state, 1, at(3))
        store.set_meta("seed", name)


def _seed_account(state: SandboxState, now_dt: datetime) -> None:
    store = state.store
    now = timefmt.iso(now_dt - timedelta(days=90))
    store.put(
        "user",
        _user(
            store.next_id("user"),
            "Alex Admin",
            "alex.admin@sandbox.example",
            admin=True,
            currency="EUR",
            now=now,
        ),
    )
    for code, label, symbol in CURRENCIES:
        store.put(
            "currency",
            {
                "id": store.next_id("currency"),
                "code": code,
                "name": label,
                "decimal_points": 0 if code == "JPY" else 2,
                "symbol": symbol,
                "active_flag": True,
                "is_custom_flag": False,
            },
        )
    _pipeline(
        store,
        "Sales",
        ["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"],
        [10, 20, 40, 60, 80],
        now,
    )
    for label, color in LEAD_LABELS:
        lead_now = timefmt.iso_millis(now_dt - timedelta(days=90))
        store.put(
            "leadLabel",
            {
                "id": seeded_uuid(f"leadLabel:{label}"),
                "name": label,
                "color": color,
                "add_time": lead_now,
                "update_time": lead_now,
            },
        )
    for kind, fields in STANDARD_FIELDS.items():
        for key, label, field_type in fields:
            options = ["open", "won", "lost", "deleted"] if (kind, key) == ("dealField", "status") else None
            make_field(
                store,
                kind,
                key=key,
                name=label,
                field_type=field_type,
                options=options,
                custom=False,
                now=now,
            )


def _pipeline(store: Store, name: str, stages: list[str], probabilities: list[int], now: str) -> int:
    pipeline_id = store.next_id("pipeline")
    store.put(
        "pipeline",
        {
            "id": pipeline_id,
            "name": name,
            "order_nr": pipeline_id - 1,
            "is_deleted": False,
            "is_deal_probability_enabled": True,
            "add_time": now,
            "update_time": now,
        },
    )
    for order, (stage_name, probability) in enumerate(zip(stages, probabilities, strict=True), start=1):
        store.put(
            "stage",
            {
                "id": store.next_id("stage"),
                "order_nr": order,
                "name": stage_name,
                "is_deleted": False,
                "deal_probability": probability,
                "pipeline_id": pipeline_id,
                "is_deal_rot_enabled": False,
                "days_to_rotten": None,
                "add_time": now,
                "update_time": now,
            },
        )
    return pipeline_id


ORGANIZATIONS = [
    ("Acme Corporation", "Tallinn, Estonia", "Gold"),
    ("Globex Inc", "Springfield, USA", "Silver"),
    ("Initech", "Austin, USA", "Bronze"),
    ("Umbrella Group", "London, UK", "Gold"),
    ("Hooli", "Palo Alto, USA", "Silver"),
    ("Stark Industries", "New York, USA", "Gold"),
    ("Wayne Enterprises", "Gotham, USA", "Silver"),
    ("Nordic Timber AB", "Stockholm, Sweden", "Bronze"),
    ("Kaiju Robotics KK", "Tokyo, Japan", "Silver"),
    ("Baltic Freight OÜ", "Riga, Latvia", "Bronze"),
    ("Helvetia Analytics AG", "Zurich, Switzerland", "Gold"),
    ("Maple Leaf Foods", "Toronto, Canada", "Bronze"),
]
PERSONS = [
    ("Jane Doe", 1),
    ("John Smith", 1),
    ("Maria Garcia", 2),
    ("Wei Chen", 3),
    ("Priya Patel", 4),
    ("Lars Nilsson", 8),
    ("Yuki Tanaka", 9),
    ("Anna Kask", 10),
    ("Tom Becker", 11),
    ("Olivia Brown", 12),
    ("Carlos Silva", 5),
    ("Fatima Khan", 6),
    ("Mikko Virtanen", None),
    ("Sofia Rossi", 7),
    ("Ahmed Hassan", None),
]
# (title, value, currency, person index, org index, pipeline, stage order, status, owner, region, score)
DEALS: list[tuple[str, int, str, int, int | None, int, int, str, int, str, float]] = [
    ("Acme CRM rollout", 48000, "EUR", 1, 1, 1, 3, "open", 1, "EMEA", 8.5),
    ("Acme support renewal", 12000, "EUR", 2, 1, 1, 5, "won", 1, "EMEA", 9.0),
    ("Globex analytics pilot", 15000, "USD", 3, 2, 1, 2, "open", 2, "AMER", 6.0),
    ("Initech licence expansion", 22000, "USD", 4, 3, 1, 4, "lost", 2, "AMER", 3.5),
    ("Umbrella data migration", 64000, "GBP", 5, 4, 1, 1, "open", 1, "EMEA", 7.0),
    ("Nordic Timber onboarding", 9000, "SEK", 6, 8, 1, 2, "open", 3, "EMEA", 5.5),
    ("Kaiju Robotics integration", 30000, "USD", 7, 9, 1, 3, "open", 2, "APAC", 8.0),
    ("Baltic Freight tracking", 7500, "EUR", 8, 10, 1, 1, "open", 3, "EMEA", 4.0),
    ("Helvetia dashboard suite", 41000, "CHF", 9, 11, 1, 4, "won", 1, "EMEA", 9.5),
    ("Maple Leaf POS upgrade", 18000, "USD", 10, 12, 1, 2, "open", 2, "AMER", 6.5),
    ("Hooli partnership", 100000, "USD", 11, 5, 2, 1, "open", 1, "AMER", 7.5),
    ("Stark co-marketing", 55000, "USD", 12, 6, 2, 2, "open", 2, "AMER", 8.0),
    ("Wayne reseller agreement", 70000, "USD", 14, 7, 2, 3, "won", 1, "AMER", 9.0),
    ("Freelance consulting", 3000, "EUR", 13, None, 1, 1, "open", 3, "EMEA", 2.0),
    ("Globex renewal 2027", 25000, "USD", 3, 2, 1, 5, "open", 1, "AMER", 7.0),
]


def _seed_demo(state: SandboxState, now_dt: datetime) -> None:
    store = state.store

    def at(days_ago: float) -> str:
        return timefmt.iso(now_dt - timedelta(days=days_ago))

    base = at(60)
    store.put(
        "user",
        _user(
            store.next_id("user"),
            "Sam Seller",
            "sam.seller@sandbox.example",
            admin=False,
            currency="USD",
            now=base,
        ),
    )
    store.put(
        "user",
        _user(
            store.next_id("user"),
            "Riley Rep",
            "riley.rep@sandbox.example",
            admin=False,
            currency="EUR",
            now=base,
        ),
    )
    _pipeline(store, "Partnerships", ["Intro", "Evaluation", "Contract"], [25, 50, 90], base)
    keys: dict[str, Record] = {}
    for entity, name, field_type, options in DEMO_CUSTOM_FIELDS:
        keys[f"{entity}:{name}"] = make_field(
            store,
            FIELD_KIND_OF[entity],
            key=custom_field_key(entity, name),
            name=name,
            field_type=field_type,
            options=options,
            custom=True,
            now=base,
        )

    def option_id(entity: str, name: str, label: str) -> int:
        return next(int(o["id"]) for o in keys[f"{entity}:{name}"]["options"] if o["label"] == label)

    for index, (name, city, tier) in enumerate(ORGANIZATIONS, start=1):
        store.put(
            "organization",
            {
                "id": store.next_id("organization"),
                "name": name,
                "owner_id": 1 + (index % 3),
                "add_time": at(80 - index),
                "update_time": at(40 - index),
                "address": {"value": city, "country": city.split(", ")[-1]},
                "is_deleted": False,
                "visible_to": 3,
                "label_ids": [],
                "website": None,
                "linkedin": None,
                "industry": None,
                "annual_revenue": None,
                "employee_count": None,
                "custom_fields": {
                    custom_field_key("organization", "Tier"): option_id("organization", "Tier", tier)
                },
            },
        )
    for index, (name, org_index) in enumerate(PERSONS, start=1):
        first, _, last = name.partition(" ")
        email = f"{first.lower()}.{last.lower()}@example.com"
        store.put(
            "person",
            {
                "id": store.next_id("person"),
                "name": name,
                "first_name": first,
                "last_name": last,
                "owner_id": 1 + (index % 3),
                "org_id": org_index,
                "add_time": at(75 - index),
                "update_time": at(35 - index),
                "emails": [{"value": email, "primary": True, "label": "work"}],
                "phones": [{"value": f"+372 5555 {1000 + index}", "primary": True, "label": "work"}],
                "is_deleted": False,
                "visible_to": 3,
                "label_ids": [],
                "picture_id": None,
                "custom_fields": {
                    custom_field_key(
                        "person", "LinkedIn profile"
                    ): f"https://linkedin.com/in/{first.lower()}{last.lower()}"
                },
            },
        )
    stages = store.all("stage")
    for index, spec in enumerate(DEALS, start=1):
        title, value, currency, person, org, pipeline_id, order, status, owner, region, score = spec
        stage = next(s for s in stages if s["pipeline_id"] == pipeline_id and s["order_nr"] == order)
        add = at(50 - index)
        closed = at(10 - index / 2) if status != "open" else None
        custom: dict[str, Any] = {
            custom_field_key("deal", "Budget"): {"value": value * 1.2, "currency": currency},
            custom_field_key("deal", "Region"): option_id("deal", "Region", region),
            custom_field_key("deal", "Score"): score,
            custom_field_key("deal", "Source note"): f"Inbound via {'website' if index % 2 else 'referral'}",
            custom_field_key("deal", "Renewal date"): (now_dt + timedelta(days=30 * index)).strftime(
                "%Y-%m-%d"
            ),
        }
        store.put(
            "deal",
            {
                "id": store.next_id("deal"),
                "title": title,
                "creator_user_id": owner,
                "owner_id": owner,
                "value": value,
                "person_id": person,
                "org_id": org,
                "stage_id": stage["id"],
                "pipeline_id": pipeline_id,
                "currency": currency,
                "archive_time": None,
                "add_time": add,
                "update_time": closed or at(20 - index / 2),
                "stage_change_time": at(25 - index / 2),
                "status": status,
                "is_archived": False,
                "is_deleted": False,
                "probability": None,
                "lost_reason": "Budget cut" if status == "lost" else None,
                "visible_to": 3,
                "close_time": closed,
                "won_time": closed if status == "won" else None,
                "lost_time": closed if status == "lost" else None,
                "first_won_time": closed if status == "won" else None,
                "expected_close_date": (now_dt + timedelta(days=7 * index)).strftime("%Y-%m-%d"),
                "label_ids": [],
                "origin": "ManuallyCreated",
                "origin_id": None,
                "channel": None,
                "channel_id": None,
                "source_lead_id": None,
                "acv": None,
                "arr": None,
                "mrr": None,
                "custom_fields": custom,
            },
        )
    labels = {label["name"]: label["id"] for label in store.all("leadLabel")}
    leads = [
        ("Stark Industries expansion", 6, 12, "Hot", 20000, "USD"),
        ("Hooli data team", 5, 11, "Warm", None, None),
        ("Nordic Timber upsell", 8, 6, "Cold", 5000, "SEK"),
        ("Umbrella security audit", 4, 5, "Hot", 35000, "GBP"),
        ("Freelancer referral", None, 13, "Warm", 1500, "EUR"),
        ("Maple Leaf franchise", 12, None, "Cold", None, None),
    ]
    for index, (lead_title, lead_org, lead_person, label, amount, lead_currency) in enumerate(leads, start=1):
        stamp = timefmt.iso_millis(now_dt - timedelta(days=30 - index))
        store.put(
            "lead",
            {
                "id": seeded_uuid(f"lead:{lead_title}"),
                "title": lead_title,
                "owner_id": 1 + (index % 3),
                "creator_id": 1,
                "label_ids": [labels[label]],
                "person_id": lead_person,
                "organization_id": lead_org,
                "source_name": "Manually created",
                "origin": "ManuallyCreated",
                "origin_id": None,
                "channel": None,
                "channel_id": None,
                "source_deal_id": None,
                "is_archived": False,
                "archive_time": None,
                "was_seen": index % 2 == 0,
                "value": {"amount": amount, "currency": lead_currency} if amount else None,
                "expected_close_date": None,
                "next_activity_id": None,
                "add_time": stamp,
                "update_time": stamp,
                "visible_to": "3",
                "cc_email": f"sandbox+lead{index}@pipedrivemail.com",
                "custom_fields": {},
                "is_deleted": False,
            },
        )
    deal_titles = {deal["id"]: deal["title"] for deal in store.all("deal")}
    activity_types = ["call", "meeting", "email", "task", "deadline", "lunch"]
    for index in range(1, 13):
        about = deal_titles.get(index, "follow-up")
        deal_id = index if index <= len(DEALS) else None
        deal = store.get("deal", deal_id) if deal_id else None
        due = now_dt + timedelta(days=index - 6)
        done = index <= 5
        store.put(
            "activity",
            {
                "id": store.next_id("activity"),
                "subject": f"{activity_types[index % 6].title()} about {about}",
                "type": activity_types[index % 6],
                "owner_id": 1 + (index % 3),
                "creator_user_id": 1,
                "is_deleted": False,
                "add_time": at(20 - index),
                "update_time": at(10 - index / 2),
                "deal_id": deal_id,
                "lead_id": None,
                "person_id": deal["person_id"] if deal else None,
                "org_id": deal["org_id"] if deal else None,
                "project_id": None,
                "due_date": due.strftime("%Y-%m-%d"),
                "due_time": "10:00" if index % 2 else None,
                "duration": "00:30" if index % 2 else None,
                "busy": index % 2 == 1,
                "done": done,
                "marked_as_done_time": at(1) if done else None,
                "location": None,
                "participants": [{"person_id": deal["person_id"], "primary": True}]
                if deal and deal["person_id"]
                else [],
                "attendees": [],
                "public_description": None,
                "priority": None,
                "note": None,
            },
        )
    filter_time = timefmt.v1(base)

    def saved_filter(name: str, filter_type: str, conditions: list[dict[str, Any]]) -> None:
        store.put(
            "filter",
            {
                "id": store.next_id("filter"),
                "name": name,
                "active_flag": True,
                "type": filter_type,
                "temporary_flag": None,
                "user_id": 1,
                "add_time": filter_time,
                "update_time": filter_time,
                "visible_to": "7",
                "custom_view_id": None,
                "filter_code": None,
                "is_editable": True,
                "last_used_time": None,
                "conditions": {
                    "glue": "and",
                    "conditions": [
                        {"glue": "and", "conditions": conditions},
                        {"glue": "or", "conditions": []},
                    ],
                },
            },
        )

    deal_field_ids = {field["key"]: field["id"] for field in store.all("dealField")}
    saved_filter(
        "All open deals",
        "deals",
        [
            {
                "object": "deal",
                "field_id": str(deal_field_ids["status"]),
                "operator": "=",
                "value": "open",
                "extra_value": None,
            }
        ],
    )
    saved_filter(
        "Big deals",
        "deals",
        [
            {
                "object": "deal",
                "field_id": str(deal_field_ids["value"]),
                "operator": ">",
                "value": "40000",
                "extra_value": None,
            }
        ],
    )
    saved_filter(
        "Persons in organizations",
        "people",
        [
            {
                "object": "person",
                "field_id": str(next(f["id"] for f in store.all("personField") if f["key"] == "org_id")),
                "operator": "IS NOT NULL",
                "value": None,
                "extra_value": None,
            }
        ],
    )
