"""API v2 persons, organizations and activities over HTTP, and the change events every write publishes."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_testkit import Api

from pipedrive_connector.sandbox.contracts import ChangeEvent
from pipedrive_connector.sandbox.seed import custom_field_key

LINKEDIN = custom_field_key("person", "LinkedIn profile")
TIER = custom_field_key("organization", "Tier")


def events_of(api: Api) -> list[ChangeEvent]:
    received: list[ChangeEvent] = []
    api.state.bus.subscribe(received.append)
    return received


def test_person_crud_with_emails_custom_fields_and_filters(api: Api) -> None:
    body = {
        "name": "Ada Lovelace",
        "org_id": 2,
        "emails": [{"value": "ada@example.com", "primary": True, "label": "work"}],
        "custom_fields": {LINKEDIN: "https://linkedin.com/in/ada"},
    }
    created = api.post("/api/v2/persons", json=body)
    assert created.status_code == 200
    person = created.json()["data"]
    assert (person["first_name"], person["last_name"]) == ("Ada", "Lovelace")
    assert person["emails"][0]["value"] == "ada@example.com"
    assert person["custom_fields"][LINKEDIN] == "https://linkedin.com/in/ada"
    in_org = api.get("/api/v2/persons", params={"org_id": 2}).json()["data"]
    assert person["id"] in [p["id"] for p in in_org] and all(p["org_id"] == 2 for p in in_org)
    patched = api.patch(
        f"/api/v2/persons/{person['id']}", json={"phones": [{"value": "+1 555", "primary": True}]}
    )
    assert patched.json()["data"]["phones"][0]["value"] == "+1 555"
    assert patched.json()["data"]["emails"] == person["emails"]
    assert api.delete(f"/api/v2/persons/{person['id']}").json()["data"] == {"id": person["id"]}
    assert person["id"] not in [
        p["id"] for p in api.get("/api/v2/persons", params={"limit": 500}).json()["data"]
    ]


def test_person_requires_name_and_rejects_unknown_org(api: Api) -> None:
    assert api.post("/api/v2/persons", json={"emails": []}).status_code == 400
    response = api.post("/api/v2/persons", json={"name": "X", "org_id": 9999})
    assert response.status_code == 400 and "org_id" in response.json()["error"]


def test_organization_address_enum_custom_field_and_include_fields(api: Api) -> None:
    fields = api.get("/v1/organizationFields", params={"limit": 500}).json()["data"]
    tier = next(f for f in fields if f["key"] == TIER)
    gold = next(o["id"] for o in tier["options"] if o["label"] == "Gold")
    body = {
        "name": "Cyberdyne",
        "address": {"value": "Sunnyvale, USA", "country": "USA"},
        "custom_fields": {TIER: gold},
    }
    org = api.post("/api/v2/organizations", json=body).json()["data"]
    assert org["address"] == {"value": "Sunnyvale, USA", "country": "USA"}
    labelled = api.get(f"/api/v2/organizations/{org['id']}", params={"include_option_labels": "true"}).json()[
        "data"
    ]
    assert labelled["custom_fields"][TIER] == {"id": gold, "label": "Gold"}
    counted = api.get(
        "/api/v2/organizations/1", params={"include_fields": "people_count,open_deals_count"}
    ).json()
    assert counted["data"]["people_count"] == 2 and counted["data"]["open_deals_count"] >= 1
    bad = api.get("/api/v2/organizations/1", params={"include_fields": "nonsense"})
    assert bad.status_code == 400 and "include_fields" in bad.json()["error"]


def test_activity_crud_done_filter_and_due_date_sort(api: Api) -> None:
    created = api.post(
        "/api/v2/activities",
        json={
            "subject": "Demo call",
            "type": "call",
            "deal_id": 1,
            "due_date": "2030-01-02",
            "due_time": "10:30",
        },
    )
    assert created.status_code == 200
    activity = created.json()["data"]
    assert activity["person_id"] == 1 and activity["org_id"] == 1  # taken from the deal
    done = api.patch(f"/api/v2/activities/{activity['id']}", json={"done": True}).json()["data"]
    assert done["done"] is True and done["marked_as_done_time"]
    only_done = api.get("/api/v2/activities", params={"done": "true", "limit": 500}).json()["data"]
    assert only_done and all(a["done"] for a in only_done)
    by_due = api.get("/api/v2/activities", params={"sort_by": "due_date", "limit": 500}).json()["data"]
    dates = [a["due_date"] for a in by_due]
    assert dates == sorted(dates)
    assert api.post("/api/v2/activities", json={"subject": "x", "type": "nap"}).status_code == 400
    assert api.post("/api/v2/activities", json={"subject": "x", "busy": "yes"}).status_code == 400


def test_updated_since_until_filters_use_rfc3339(api: Api) -> None:
    deals = api.get("/api/v2/deals", params={"limit": 500}).json()["data"]
    pivot = sorted(d["update_time"] for d in deals)[len(deals) // 2]
    since = api.get("/api/v2/deals", params={"updated_since": pivot, "limit": 500}).json()["data"]
    until = api.get("/api/v2/deals", params={"updated_until": pivot, "limit": 500}).json()["data"]
    assert all(d["update_time"] >= pivot for d in since) and all(d["update_time"] < pivot for d in until)
    assert len(since) + len(until) == len(deals)
    for bad_value in ("yesterday", "2025-01-01T10:20:00.123Z", "2025-13-01T00:00:00Z"):
        bad = api.get("/api/v2/deals", params={"updated_since": bad_value})
        assert bad.status_code == 400 and "updated_since" in bad.json()["error"]
        assert bad.json()["code"] == "ERR_SCHEMA_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("entity", "path", "body", "patch"),
    [
        ("deal", "/api/v2/deals", {"title": "Evented"}, {"title": "Evented 2"}),
        ("person", "/api/v2/persons", {"name": "Evented Person"}, {"name": "Evented Person 2"}),
        ("organization", "/api/v2/organizations", {"name": "Evented Org"}, {"name": "Evented Org 2"}),
        ("activity", "/api/v2/activities", {"subject": "Evented", "type": "task"}, {"subject": "Evented 2"}),
    ],
)
def test_every_write_publishes_a_change_event_with_both_serializations(
    api: Api, entity: str, path: str, body: dict[str, Any], patch: dict[str, Any]
) -> None:
    events = events_of(api)
    entity_id = api.post(path, json=body).json()["data"]["id"]
    api.patch(f"{path}/{entity_id}", json=patch)
    api.delete(f"{path}/{entity_id}")
    assert [(e.entity, e.action, e.entity_id) for e in events] == [
        (entity, "create", entity_id),
        (entity, "change", entity_id),
        (entity, "delete", entity_id),
    ]
    create, change, delete = events
    assert create.current_v2 is not None and create.current_v1 is not None and create.previous_v2 is None
    assert create.current_v1["id"] == entity_id and create.user_id == 1 and create.company_id == 1
    name_key = "title" if entity == "deal" else ("subject" if entity == "activity" else "name")
    assert change.previous_v2 is not None and change.current_v2 is not None
    assert change.previous_v2[name_key] == body[name_key] and change.current_v2[name_key] == patch[name_key]
    assert delete.current_v1 is None and delete.current_v2 is None and delete.previous_v2 is not None
    if entity == "deal":
        assert isinstance(create.current_v1["user_id"], dict) and create.current_v1["user_id"]["value"] == 1
        assert create.current_v2["owner_id"] == 1


def test_v1_writes_publish_events_too(api: Api) -> None:
    events = events_of(api)
    deal = api.post("/v1/deals", json={"title": "From v1"}).json()["data"]
    assert [(e.entity, e.action) for e in events] == [("deal", "create")]
    assert events[0].current_v2 is not None and events[0].current_v2["title"] == "From v1"
    assert deal["id"] == events[0].entity_id
