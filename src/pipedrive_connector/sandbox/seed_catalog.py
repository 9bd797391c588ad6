"""The demo seed's notes, note comments, products, product variations, products on deals, call logs
and a goal.

Products are attached to deals so that each deal's value stays what the demo seed gave it (the
attachments' sums add up to it); the deals only gain ``products_count``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipedrive_connector.sandbox.resources.deal_products import attachment_sum
from pipedrive_connector.sandbox.resources.notes import TARGETS
from pipedrive_connector.sandbox.seed import seeded_uuid
from pipedrive_connector.sandbox.store import Record, Store

# (name, code, unit, [(currency, price)], billing_frequency, cycles)
PRODUCTS: list[tuple[str, str, str, list[tuple[str, int]], str, int | None]] = [
    ("CRM seat licence", "1001", "seat", [("EUR", 4000), ("USD", 4400)], "one-time", None),
    ("Premium support", "1002", "month", [("EUR", 1000), ("USD", 1100)], "monthly", 12),
    ("Analytics add-on", "1003", "licence", [("USD", 5000), ("EUR", 4600)], "one-time", None),
    ("Onboarding package", "1004", "package", [("EUR", 2500)], "one-time", None),
]
# (deal id, product index, quantity, item price): quantity x price is the deal's seeded value.
DEAL_PRODUCTS = [(1, 0, 12, 4000), (2, 1, 12, 1000), (3, 2, 3, 5000)]
# (content, target field, target id, pinned)
NOTES: list[tuple[str, str, Any, bool]] = [
    ("<p>Kick-off call: 12 seats, rollout in two waves.</p>", "deal_id", 1, True),
    ("<p>Security review passed; legal is reading the MSA.</p>", "deal_id", 1, False),
    ("<p>Renewal signed for another year of premium support.</p>", "deal_id", 2, False),
    ("<p>Pilot scope: three analytics seats for the BI team.</p>", "deal_id", 3, True),
    ("<p>Prefers email over calls; based in Tallinn.</p>", "person_id", 1, False),
    ("<p>Gold tier customer since 2021.</p>", "org_id", 1, True),
    ("<p>Data team of eight, evaluating warehouses.</p>", "lead_id", "lead:Hooli data team", False),
]


# (call log id seed, user, deal, person, outcome, days ago, seconds)
CALL_LOGS = [
    ("call:acme-kickoff", 1, 1, 1, "connected", 12, 1260),
    ("call:globex-voicemail", 2, 3, 3, "left_voicemail", 6, 40),
]


def seed_demo_catalog(store: Store, at: Callable[[float], str]) -> None:
    """Add the demo catalog; ``at(days_ago)`` gives the seed's timestamps."""
    product_ids: list[int] = []
    for index, (name, code, unit, prices, frequency, cycles) in enumerate(PRODUCTS):
        product_id = store.next_id("product")
        product_ids.append(product_id)
        store.put(
            "product",
            {
                "id": product_id,
                "name": name,
                "code": code,
                "unit": unit,
                "description": None,
                "category": None,
                "tax": 0,
                "is_deleted": False,
                "is_linkable": True,
                "visible_to": 3,
                "owner_id": 1,
                "add_time": at(90 - index),
                "update_time": at(45 - index),
                "billing_frequency": frequency,
                "billing_frequency_cycles": cycles,
                "custom_fields": {},
                "prices": [
                    {"price": price, "currency": currency, "cost": 0, "direct_cost": 0, "notes": None}
                    for currency, price in prices
                ],
            },
        )
    for variation in ("Annual", "Monthly"):
        store.put(
            "productVariation",
            {
                "id": store.next_id("productVariation"),
                "product_id": product_ids[0],
                "name": variation,
                "add_time": at(44),
                "update_time": at(44),
                "prices": [{"price": 4000, "currency": "EUR", "cost": 0, "direct_cost": 0, "notes": None}],
            },
        )
    for order, (deal_id, product_index, quantity, price) in enumerate(DEAL_PRODUCTS, start=1):
        deal = store.get("deal", deal_id)
        assert deal is not None and deal["value"] == quantity * price
        name, _, _, _, frequency, cycles = PRODUCTS[product_index]
        attachment: Record = {
            "id": store.next_id("dealProduct"),
            "deal_id": deal_id,
            "product_id": product_ids[product_index],
            "name": name,
            "quantity": quantity,
            "item_price": price,
            "discount": 0,
            "discount_type": "percentage",
            "tax": 0,
            "tax_method": "exclusive",
            "is_enabled": True,
            "comments": None,
            "product_variation_id": None,
            "order_nr": order,
            "currency": deal["currency"],
            "billing_frequency": frequency,
            "billing_frequency_cycles": cycles,
            "billing_start_date": None,
            "add_time": at(30 - order),
            "update_time": at(30 - order),
        }
        attachment["sum"] = attachment_sum(attachment)
        store.put("dealProduct", attachment)
        store.put("deal", dict(deal, products_count=1))
    for index, (content, field, target, pinned) in enumerate(NOTES):
        note_id = store.next_id("note")
        record: Record = {
            "id": note_id,
            "content": content,
            "user_id": 1 + index % 2,
            "last_update_user_id": 1 + index % 2,
            "active_flag": True,
            "add_time": at(20 - index),
            "update_time": at(20 - index),
            **{other: None for other in TARGETS},
            **{flag: False for _, flag, _, _ in TARGETS.values()},
        }
        record[field] = seeded_uuid(target) if field == "lead_id" else target
        record[TARGETS[field][1]] = pinned
        store.put("note", record)
        if index == 0:
            store.put(
                "noteComment",
                {
                    "id": seeded_uuid("noteComment:kick-off"),
                    "_note_id": note_id,
                    "content": "Second wave moved to next quarter.",
                    "user_id": 2,
                    "updater_id": None,
                    "company_id": 1,
                    "active_flag": True,
                    "add_time": at(19),
                    "update_time": at(19),
                },
            )
    for key, user_id, deal_id, person_id, outcome, days_ago, seconds in CALL_LOGS:
        deal = store.get("deal", deal_id)
        assert deal is not None
        start = at(days_ago)
        store.put(
            "callLog",
            {
                "id": seeded_uuid(key).replace("-", ""),
                "user_id": user_id,
                "company_id": 1,
                "activity_id": None,
                "subject": f"Call about {deal['title']}",
                "duration": str(seconds),
                "outcome": outcome,
                "from_phone_number": "+372 5555 0001",
                "to_phone_number": f"+372 5555 {1000 + person_id}",
                "start_time": start,
                "end_time": at(days_ago - seconds / 86400),
                "person_id": person_id,
                "org_id": deal.get("org_id"),
                "deal_id": deal_id,
                "lead_id": None,
                "note": None,
                "has_recording": False,
                "add_time": start,
                "update_time": start,
            },
        )
    store.put(
        "goal",
        {
            "id": seeded_uuid("goal:deals won").replace("-", ""),
            "owner_id": 1,
            "title": "Deals won this year",
            "type": {"name": "deals_won", "params": {"pipeline_id": None}},
            "assignee": {"id": 1, "type": "person"},
            "interval": "quarterly",
            "duration": {"start": at(365)[:10], "end": None},
            "expected_outcome": {"target": 100000, "tracking_metric": "sum", "currency_id": 1},
            "is_active": True,
            "report_ids": [seeded_uuid("report:deals won").replace("-", "")],
            "is_deleted": False,
            "add_time": at(365),
        },
    )
