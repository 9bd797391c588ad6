"""The still-live v1 resources: leads, lead labels/sources, filters, currencies, *Fields; and
pipelines/stages (v2 CRUD plus the legacy v1 lists)."""

from __future__ import annotations

import re
import uuid

from sandbox_testkit import Api

from pipedrive_connector.sandbox.seed import custom_field_key, seeded_uuid

HOT = seeded_uuid("leadLabel:Hot")
SOURCE_NOTE = custom_field_key("deal", "Source note")


def test_lead_crud_with_uuid_value_labels_and_api_source(api: Api) -> None:
    body = {
        "title": "Inbound lead",
        "organization_id": 2,
        "value": {"amount": 1500, "currency": "USD"},
        "label_ids": [HOT],
        "expected_close_date": "2030-01-31",
        SOURCE_NOTE: "webinar",
    }
    created = api.post("/v1/leads", json=body)
    assert created.status_code == 201
    lead = created.json()["data"]
    uuid.UUID(lead["id"])
    assert lead["source_name"] == "API" and lead["origin"] == "API" and lead["is_archived"] is False
    assert lead["value"] == {"amount": 1500, "currency": "USD"} and lead["label_ids"] == [HOT]
    assert lead[SOURCE_NOTE] == "webinar"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", lead["add_time"])
    assert api.get(f"/v1/leads/{lead['id']}").json()["data"] == lead
    patched = api.patch(f"/v1/leads/{lead['id']}", json={"value": None, "was_seen": True}).json()["data"]
    assert patched["value"] is None and patched["was_seen"] is True and patched["title"] == "Inbound lead"
    assert api.delete(f"/v1/leads/{lead['id']}").json() == {"success": True, "data": {"id": lead["id"]}}
    gone = api.get(f"/v1/leads/{lead['id']}")
    assert gone.status_code == 404
    assert gone.json() == {
        "success": False,
        "error": "requested lead not found",
        "error_info": "Object was not found.",
        "data": None,
        "additional_data": None,
    }


def test_lead_validation_names_the_field(api: Api) -> None:
    cases = [
        ({"title": "x"}, "person"),
        ({"title": "x", "person_id": 1, "value": {"amount": 5}}, "currency"),
        ({"title": "x", "person_id": 1, "value": {"amount": "5", "currency": "EUR"}}, "value.amount"),
        ({"title": "x", "person_id": 1, "label_ids": ["not-a-uuid"]}, "label_ids"),
        ({"title": "x", "person_id": 1, "visible_to": 3}, "visible_to"),
        ({"person_id": 1}, "title"),
    ]
    for body, field in cases:
        response = api.post("/v1/leads", json=body)
        assert response.status_code == 400, body
        assert field in response.json()["error"], (body, response.json())


def test_archived_leads_live_in_their_own_list(api: Api) -> None:
    leads = api.get("/v1/leads").json()
    first = leads["data"][0]
    assert leads["additional_data"]["pagination"]["start"] == 0 and leads["additional_data"]["limit"] == 100
    api.patch(f"/v1/leads/{first['id']}", json={"is_archived": True})
    assert first["id"] not in [lead["id"] for lead in api.get("/v1/leads").json()["data"]]
    archived = api.get("/v1/leads/archived").json()["data"]
    assert [lead["id"] for lead in archived] == [first["id"]] and archived[0]["is_archived"] is True
    assert api.patch(f"/v1/leads/{first['id']}", json={"title": "edit"}).status_code == 400
    page = api.get("/v1/leads", params={"start": 1, "limit": 2}).json()
    assert len(page["data"]) == 2 and page["additional_data"]["more_items_in_collection"] is True
    owned = api.get("/v1/leads", params={"owner_id": 2}).json()["data"]
    assert owned and all(lead["owner_id"] == 2 for lead in owned)


def test_lead_labels_crud_and_sources(api: Api) -> None:
    labels = api.get("/v1/leadLabels").json()["data"]
    assert {(label["name"], label["color"]) for label in labels} >= {
        ("Hot", "red"),
        ("Warm", "yellow"),
        ("Cold", "blue"),
    }
    created = api.post("/v1/leadLabels", json={"name": "VIP", "color": "purple"}).json()["data"]
    uuid.UUID(created["id"])
    assert (
        api.patch(f"/v1/leadLabels/{created['id']}", json={"color": "green"}).json()["data"]["color"]
        == "green"
    )
    assert api.post("/v1/leadLabels", json={"name": "Bad", "color": "teal"}).status_code == 400
    assert api.delete(f"/v1/leadLabels/{created['id']}").json()["data"] == {"id": created["id"]}
    assert api.delete(f"/v1/leadLabels/{created['id']}").status_code == 404
    sources = [source["name"] for source in api.get("/v1/leadSources").json()["data"]]
    assert "API" in sources and "Manually created" in sources


def test_pipelines_and_stages_v2_crud_and_v1_lists(api: Api) -> None:
    pipelines = api.get("/api/v2/pipelines").json()["data"]
    assert [p["name"] for p in pipelines] == ["Sales", "Partnerships"]
    created = api.post(
        "/api/v2/pipelines", json={"name": "Renewals", "is_deal_probability_enabled": True}
    ).json()
    pipeline_id = created["data"]["id"]
    stage = api.post(
        "/api/v2/stages", json={"name": "Due", "pipeline_id": pipeline_id, "deal_probability": 50}
    ).json()
    assert stage["data"]["pipeline_id"] == pipeline_id and stage["data"]["order_nr"] == 1
    listed = api.get("/api/v2/stages", params={"pipeline_id": pipeline_id}).json()["data"]
    assert [s["name"] for s in listed] == ["Due"]
    deal = api.post("/api/v2/deals", json={"title": "Renewal", "pipeline_id": pipeline_id}).json()["data"]
    assert deal["stage_id"] == stage["data"]["id"]
    renamed = api.patch(f"/api/v2/stages/{stage['data']['id']}", json={"name": "Due soon"}).json()["data"]
    assert renamed["name"] == "Due soon"
    assert api.post("/api/v2/stages", json={"name": "X", "pipeline_id": 999}).status_code == 400
    assert api.post("/api/v2/stages", json={"name": "X"}).status_code == 400
    v1_pipelines = api.get("/v1/pipelines").json()["data"]
    assert {"url_title", "active", "deal_probability", "selected"} <= set(v1_pipelines[0])
    v1_stages = api.get("/v1/stages", params={"pipeline_id": 1}).json()
    assert v1_stages["data"][0]["pipeline_name"] == "Sales" and "pagination" in v1_stages["additional_data"]
    assert api.delete(f"/api/v2/pipelines/{pipeline_id}").json()["data"] == {"id": pipeline_id}
    assert api.get(f"/api/v2/pipelines/{pipeline_id}").json()["data"]["is_deleted"] is True


def test_filters_currencies(api: Api) -> None:
    filters = api.get("/v1/filters").json()["data"]
    assert any(f["name"] == "All open deals" and f["type"] == "deals" for f in filters)
    assert "conditions" not in filters[0]
    detail = api.get(f"/v1/filters/{filters[0]['id']}").json()["data"]
    assert detail["conditions"]["glue"] == "and"
    assert api.get("/v1/filters", params={"type": "bogus"}).status_code == 400
    codes = [c["code"] for c in api.get("/v1/currencies").json()["data"]]
    assert {"EUR", "USD"} <= set(codes)
    dollars = api.get("/v1/currencies", params={"term": "dollar"}).json()["data"]
    assert dollars and all("dollar" in c["name"].lower() for c in dollars)


def test_deal_fields_paginate_and_a_new_custom_field_works_on_deals(api: Api) -> None:
    first = api.get("/v1/dealFields", params={"limit": 5}).json()
    assert (
        len(first["data"]) == 5 and first["additional_data"]["pagination"]["more_items_in_collection"] is True
    )
    everything = api.get("/v1/dealFields", params={"limit": 500}).json()["data"]
    names = {f["name"]: f for f in everything}
    assert {"Budget", "Region", "Renewal date", "Source note", "Score"} <= set(names)
    assert names["Budget"]["field_type"] == "monetary" and names["Region"]["field_type"] == "enum"
    assert [o["label"] for o in names["Region"]["options"]] == ["EMEA", "AMER", "APAC"]
    created = api.post(
        "/v1/dealFields",
        json={"name": "Priority", "field_type": "set", "options": [{"label": "P1"}, {"label": "P2"}]},
    ).json()["data"]
    assert re.fullmatch(r"[0-9a-f]{40}", created["key"]) and created["edit_flag"] is True
    assert api.get(f"/v1/dealFields/{created['id']}").json()["data"]["key"] == created["key"]
    option_ids = [o["id"] for o in created["options"]]
    deal = api.post(
        "/api/v2/deals", json={"title": "Prioritised", "custom_fields": {created["key"]: option_ids}}
    ).json()
    assert deal["data"]["custom_fields"][created["key"]] == option_ids
    legacy = api.get(f"/v1/deals/{deal['data']['id']}").json()["data"]
    assert legacy[created["key"]] == ",".join(str(i) for i in option_ids)
    assert api.post("/v1/dealFields", json={"name": "Broken", "field_type": "enum"}).status_code == 400
    assert api.post("/v1/dealFields", json={"name": "Broken", "field_type": "blob"}).status_code == 400
    activity_fields = [f["key"] for f in api.get("/v1/activityFields").json()["data"]]
    assert {"subject", "type", "due_date", "done"} <= set(activity_fields)
    person_fields = api.get("/v1/personFields").json()["data"]
    assert any(f["name"] == "LinkedIn profile" for f in person_fields)
    assert api.delete(f"/v1/dealFields/{created['id']}").json()["data"] == {"id": created["id"]}
    assert api.delete(f"/v1/dealFields/{created['id']}").status_code == 410


def test_archived_deals_users_find_lead_fields_and_v2_field_definitions(api: Api) -> None:
    api.patch("/api/v2/deals/2", json={"is_archived": True})
    assert [d["id"] for d in api.get("/api/v2/deals/archived").json()["data"]] == [2]
    assert 2 not in [d["id"] for d in api.get("/api/v2/deals", params={"limit": 500}).json()["data"]]
    assert 2 not in [d["id"] for d in api.get("/v1/deals", params={"limit": 500}).json()["data"]]
    found = api.get("/v1/users/find", params={"term": "riley.rep@", "search_by_email": 1}).json()["data"]
    assert [u["id"] for u in found] == [3]
    assert api.get("/v1/users/find").status_code == 400
    lead_fields = [f["name"] for f in api.get("/v1/leadFields").json()["data"]]
    assert "Title" in lead_fields and "Budget" in lead_fields
    v2_fields = api.get("/api/v2/dealFields", params={"limit": 500}).json()["data"]
    region = next(f for f in v2_fields if f["field_name"] == "Region")
    assert region["is_custom_field"] is True and [o["label"] for o in region["options"]] == [
        "EMEA",
        "AMER",
        "APAC",
    ]
    one = api.get(f"/api/v2/dealFields/{region['field_code']}").json()["data"]
    assert one == region
    assert api.get("/api/v2/dealFields/nope").status_code == 404


def test_pipeline_and_stage_deal_lists_use_plain_ids(api: Api) -> None:
    deals = api.get("/v1/pipelines/1/deals", params={"stage_id": 3}).json()["data"]
    assert deals and all(d["stage_id"] == 3 and d["status"] == "open" for d in deals)
    assert isinstance(deals[0]["user_id"], int) and isinstance(deals[0]["person_id"], int)
    in_stage = api.get("/v1/stages/3/deals").json()
    assert [d["id"] for d in in_stage["data"]] == [d["id"] for d in deals]
    assert in_stage["additional_data"]["pagination"]["start"] == 0
    assert api.get("/v1/stages/999/deals").status_code == 404


def test_filters_can_be_added_updated_and_drive_filter_id(api: Api) -> None:
    value_field = next(f for f in api.get("/v1/dealFields").json()["data"] if f["key"] == "value")
    conditions = {
        "glue": "and",
        "conditions": [
            {"glue": "and", "conditions": [
                {"object": "deal", "field_id": str(value_field["id"]), "operator": "<", "value": "10000"}
            ]},
            {"glue": "or", "conditions": []},
        ],
    }  # fmt: skip
    created = api.post("/v1/filters", json={"name": "Small deals", "type": "deals", "conditions": conditions})
    filter_id = created.json()["data"]["id"]
    small = api.get("/api/v2/deals", params={"filter_id": filter_id, "limit": 500}).json()["data"]
    assert small and all(d["value"] < 10000 for d in small)
    conditions["conditions"][0]["conditions"][0]["operator"] = ">="
    updated = api.put(f"/v1/filters/{filter_id}", json={"conditions": conditions}).json()["data"]
    assert updated["name"] == "Small deals"
    large = api.get("/api/v2/deals", params={"filter_id": filter_id, "limit": 500}).json()["data"]
    assert large and all(d["value"] >= 10000 for d in large)
    assert not {d["id"] for d in small} & {d["id"] for d in large}
    assert api.put(f"/v1/filters/{filter_id}", json={"conditions": {"glue": "and"}}).status_code == 400
    assert api.get("/v1/persons", params={"filter_id": filter_id}).status_code == 400  # a deals filter


def test_lead_to_deal_and_deal_to_lead_conversions(api: Api) -> None:
    lead = api.get("/v1/leads").json()["data"][0]
    started = api.post(f"/api/v2/leads/{lead['id']}/convert/deal", json={"stage_id": 7})
    assert started.status_code == 200
    conversion_id = started.json()["data"]["conversion_id"]
    uuid.UUID(conversion_id)
    status = api.get(f"/api/v2/leads/{lead['id']}/convert/status/{conversion_id}").json()["data"]
    assert status["status"] == "completed"
    deal = api.get(f"/api/v2/deals/{status['deal_id']}").json()["data"]
    assert deal["title"] == lead["title"] and deal["stage_id"] == 7 and deal["pipeline_id"] == 2
    assert deal["source_lead_id"] == lead["id"] and deal["value"] == lead["value"]["amount"]
    assert api.get(f"/v1/leads/{lead['id']}").status_code == 404
    back = api.post(f"/api/v2/deals/{deal['id']}/convert/lead").json()["data"]
    lead_id = api.get(f"/api/v2/deals/{deal['id']}/convert/status/{back['conversion_id']}").json()["data"][
        "lead_id"
    ]
    assert api.get(f"/v1/leads/{lead_id}").json()["data"]["title"] == lead["title"]
    assert api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["is_deleted"] is True
    assert api.get(f"/api/v2/leads/{lead['id']}/convert/status/{uuid.uuid4()}").status_code == 404
    assert api.post("/api/v2/deals/2/convert/lead").status_code == 400  # a won deal
