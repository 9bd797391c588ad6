"""The *Fields resources over HTTP: v2 CRUD and options per kind, v1 CRUD and bulk delete, a created field
used on its records at once (v2 custom_fields and v1 hash keys), and errors."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_testkit import Api

from pipedrive_connector.sandbox.seed import custom_field_key

V2_WRITABLE = ["dealFields", "personFields", "organizationFields", "productFields", "projectFields"]


def _create(api: Api, resource: str, **body: Any) -> dict[str, Any]:
    response = api.post(f"/api/v2/{resource}", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _delete_json(api: Api, path: str, json: Any) -> Any:
    return api.client.request("DELETE", path, json=json, headers=api.headers)


def _codes(api: Api, resource: str) -> list[str]:
    response = api.get(f"/api/v2/{resource}", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [field["field_code"] for field in response.json()["data"]]


@pytest.mark.parametrize("resource", V2_WRITABLE)
def test_v2_field_lifecycle_per_kind(api: Api, resource: str) -> None:
    field = _create(api, resource, field_name="Contract no", field_type="varchar")
    code = field["field_code"]
    assert len(code) == 40 and field["is_custom_field"] is True and field["options"] is None
    assert field["field_type"] == "varchar" and field["field_name"] == "Contract no"
    assert code in _codes(api, resource)
    assert api.get(f"/api/v2/{resource}/{code}").json()["data"]["field_name"] == "Contract no"

    renamed = api.patch(f"/api/v2/{resource}/{code}", json={"field_name": "Contract number"})
    assert renamed.status_code == 200, renamed.text
    assert api.get(f"/api/v2/{resource}/{code}").json()["data"]["field_name"] == "Contract number"

    deleted = api.delete(f"/api/v2/{resource}/{code}")
    assert deleted.status_code == 200 and deleted.json()["data"]["field_code"] == code
    assert code not in _codes(api, resource)
    assert api.get(f"/api/v2/{resource}/{code}").status_code == 404
    assert api.delete(f"/api/v2/{resource}/{code}").status_code == 404


def test_seeded_definitions_keep_their_facts(api: Api) -> None:
    budget = api.get(f"/api/v2/dealFields/{custom_field_key('deal', 'Budget')}").json()["data"]
    assert budget["field_type"] == "monetary" and budget["is_custom_field"] is True
    assert [s["field_code"] for s in budget["subfields"]] == ["value", "currency"]
    region = api.get(f"/api/v2/dealFields/{custom_field_key('deal', 'Region')}").json()["data"]
    assert [o["label"] for o in region["options"]] == ["EMEA", "AMER", "APAC"]
    title = api.get("/api/v2/dealFields/title").json()["data"]
    assert title["is_custom_field"] is False and title["subfields"] is None


def test_enum_field_created_in_v2_is_usable_on_deals_at_once_in_v2_and_v1(api: Api) -> None:
    tier = _create(
        api,
        "dealFields",
        field_name="Tier",
        field_type="enum",
        options=[{"label": "Gold"}, {"label": "Silver"}],
    )
    key = tier["field_code"]
    gold, silver = (option["id"] for option in tier["options"])
    deal = api.post("/api/v2/deals", json={"title": "Tiered"}).json()["data"]
    assert deal["custom_fields"][key] is None

    patched = api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {key: silver}})
    assert patched.status_code == 200, patched.text
    assert api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["custom_fields"][key] == silver
    assert api.get(f"/v1/deals/{deal['id']}").json()["data"][key] == str(silver)

    updated = api.put(f"/v1/deals/{deal['id']}", json={key: "Gold"})
    assert updated.status_code == 200, updated.text
    assert api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["custom_fields"][key] == gold

    assert api.delete(f"/api/v2/dealFields/{key}").status_code == 200
    assert key not in api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["custom_fields"]
    assert key not in api.get(f"/v1/deals/{deal['id']}").json()["data"]
    refused = api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {key: gold}})
    assert refused.status_code == 400 and key in refused.json()["error"]


def test_monetary_person_field_and_set_organization_field_take_values(api: Api) -> None:
    salary = _create(api, "personFields", field_name="Salary", field_type="monetary")["field_code"]
    person = api.post("/api/v2/persons", json={"name": "Ada"}).json()["data"]
    value = {"value": 5000, "currency": "EUR"}
    response = api.patch(f"/api/v2/persons/{person['id']}", json={"custom_fields": {salary: value}})
    assert response.status_code == 200, response.text
    assert api.get(f"/api/v2/persons/{person['id']}").json()["data"]["custom_fields"][salary] == value
    v1 = api.get(f"/v1/persons/{person['id']}").json()["data"]
    assert v1[salary] == 5000 and v1[f"{salary}_currency"] == "EUR"

    channels = _create(
        api, "organizationFields", field_name="Channels", field_type="set",
        options=[{"label": "Web"}, {"label": "Retail"}],
    )  # fmt: skip
    option_ids = [option["id"] for option in channels["options"]]
    org = api.post("/api/v2/organizations", json={"name": "Acme"}).json()["data"]
    response = api.patch(
        f"/api/v2/organizations/{org['id']}", json={"custom_fields": {channels["field_code"]: option_ids}}
    )
    assert response.status_code == 200, response.text
    stored = api.get(f"/api/v2/organizations/{org['id']}").json()["data"]["custom_fields"]
    assert stored[channels["field_code"]] == option_ids


def test_options_add_relabel_delete_answer_only_those_touched(api: Api) -> None:
    field = _create(api, "dealFields", field_name="Segment", field_type="set", options=[{"label": "SMB"}])
    code = field["field_code"]
    smb = field["options"][0]["id"]

    added = api.post(f"/api/v2/dealFields/{code}/options", json=[{"label": "Mid"}, {"label": "Ent"}])
    assert added.status_code == 200, added.text
    assert [o["label"] for o in added.json()["data"]] == ["Mid", "Ent"]
    mid, ent = (o["id"] for o in added.json()["data"])

    relabeled = api.patch(f"/api/v2/dealFields/{code}/options", json=[{"id": ent, "label": "Enterprise"}])
    assert relabeled.json()["data"] == [{"id": ent, "label": "Enterprise"}]

    deal = api.post("/api/v2/deals", json={"title": "Seg", "custom_fields": {code: [smb, mid]}}).json()[
        "data"
    ]
    removed = _delete_json(api, f"/api/v2/dealFields/{code}/options", json=[{"id": mid}])
    assert removed.status_code == 200 and removed.json()["data"] == [{"id": mid, "label": "Mid"}]

    options = api.get(f"/api/v2/dealFields/{code}").json()["data"]["options"]
    assert [(o["id"], o["label"]) for o in options] == [(smb, "SMB"), (ent, "Enterprise")]
    # A deleted option no longer reads as a value of the records that had it.
    assert api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["custom_fields"][code] == [smb]


def test_option_operations_are_atomic_and_refuse_bad_input(api: Api) -> None:
    field = _create(api, "productFields", field_name="Size", field_type="enum", options=[{"label": "S"}])
    code = field["field_code"]
    base = f"/api/v2/productFields/{code}/options"
    before = api.get(f"/api/v2/productFields/{code}").json()["data"]["options"]

    assert api.patch(base, json=[{"id": 999999, "label": "X"}]).status_code == 400
    unknown = _delete_json(api, base, json=[{"id": before[0]["id"]}, {"id": 999999}])
    assert unknown.status_code == 400 and "999999" in unknown.json()["error"]
    assert api.post(base, json=[{"label": "M"}, {"label": "S"}]).status_code == 400  # duplicate label
    assert api.post(base, json=[]).status_code == 400
    assert api.post(base, json={"label": "M"}).status_code == 400
    assert api.post(base, json=[{"label": ""}]).status_code == 400
    assert api.get(f"/api/v2/productFields/{code}").json()["data"]["options"] == before

    text = _create(api, "productFields", field_name="Notes", field_type="text")["field_code"]
    refused = api.post(f"/api/v2/productFields/{text}/options", json=[{"label": "A"}])
    assert refused.status_code == 400 and "enum and set" in refused.json()["error"]
    assert api.post("/api/v2/productFields/nope/options", json=[{"label": "A"}]).status_code == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"field_type": "varchar"}, "field_name"),
        ({"field_name": "X"}, "field_type"),
        ({"field_name": "X", "field_type": "visible_to"}, "field_type"),
        ({"field_name": "X", "field_type": "enum"}, "options"),
        ({"field_name": "X", "field_type": "varchar", "options": [{"label": "A"}]}, "options"),
        ({"field_name": "X", "field_type": "enum", "options": [{"label": "A"}, {"label": "A"}]}, "options"),
        ({"field_name": "", "field_type": "varchar"}, "field_name"),
        ({"field_name": "X", "field_type": "varchar", "colour": "red"}, "colour"),
        (
            {"field_name": "X", "field_type": "varchar", "ui_visibility": {"add_visible_flag": "yes"}},
            "add_visible",
        ),
        (
            {
                "field_name": "X",
                "field_type": "varchar",
                "important_fields": {"enabled": True, "stage_ids": [999]},
            },
            "999",
        ),
    ],
)
def test_v2_create_refuses_bad_bodies_naming_the_field(api: Api, body: dict[str, Any], named: str) -> None:
    response = api.post("/api/v2/dealFields", json=body)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]


def test_product_fields_take_no_important_fields(api: Api) -> None:
    body = {"field_name": "X", "field_type": "varchar", "important_fields": {"enabled": True}}
    response = api.post("/api/v2/productFields", json=body)
    assert response.status_code == 400 and "important_fields" in response.json()["error"]


def test_system_fields_cannot_be_deleted_or_renamed(api: Api) -> None:
    for resource, code in (("dealFields", "title"), ("personFields", "name"), ("projectFields", "title")):
        response = api.delete(f"/api/v2/{resource}/{code}")
        assert response.status_code == 403 and code in response.json()["error"]
        assert api.patch(f"/api/v2/{resource}/{code}", json={"field_name": "Name it"}).status_code == 403
        assert code in _codes(api, resource)
    assert api.post("/api/v2/dealFields/status/options", json=[{"label": "parked"}]).status_code == 403
    # Visibility of a system field may change; its name stays.
    response = api.patch("/api/v2/dealFields/title", json={"ui_visibility": {"details_visible_flag": False}})
    assert response.status_code == 200, response.text
    shown = api.get("/api/v2/dealFields/title", params={"include_fields": "ui_visibility"}).json()["data"]
    assert shown["ui_visibility"]["details_visible_flag"] is False and shown["field_name"] == "Title"


def test_patch_refuses_empty_body_and_unknown_code(api: Api) -> None:
    code = custom_field_key("deal", "Score")
    empty = api.patch(f"/api/v2/dealFields/{code}", json={})
    assert empty.status_code == 400
    assert api.patch("/api/v2/dealFields/no_such_field", json={"field_name": "X"}).status_code == 404
    assert api.patch(f"/api/v2/dealFields/{code}", json={"field_type": "text"}).status_code == 400


def test_include_fields_namespaces_and_settings_round_trip(api: Api) -> None:
    stage = api.get("/api/v2/stages").json()["data"][0]["id"]
    field = _create(
        api, "dealFields", field_name="Risk", field_type="double", description="Risk score",
        ui_visibility={"add_visible_flag": True, "show_in_pipelines": {"show_in_all": True}},
        important_fields={"enabled": True, "stage_ids": [stage]},
        required_fields={"enabled": False},
    )  # fmt: skip
    assert field["description"] == "Risk score"
    assert field["ui_visibility"]["add_visible_flag"] is True
    assert field["important_fields"] == {"enabled": True, "stage_ids": [stage]}
    plain = api.get(f"/api/v2/dealFields/{field['field_code']}").json()["data"]
    assert "ui_visibility" not in plain and "important_fields" not in plain
    asked = api.get(
        f"/api/v2/dealFields/{field['field_code']}",
        params={"include_fields": "important_fields,required_fields"},
    ).json()["data"]
    assert asked["important_fields"]["stage_ids"] == [stage] and asked["required_fields"]["enabled"] is False
    wrong = api.get("/api/v2/productFields", params={"include_fields": "important_fields"})
    assert wrong.status_code == 400 and "include_fields" in wrong.json()["error"]


def test_v2_lists_page_with_a_cursor(api: Api) -> None:
    first = api.get("/api/v2/personFields", params={"limit": 3}).json()
    assert len(first["data"]) == 3 and first["additional_data"]["next_cursor"]
    second = api.get(
        "/api/v2/personFields", params={"limit": 3, "cursor": first["additional_data"]["next_cursor"]}
    ).json()
    seen = [f["field_code"] for f in first["data"] + second["data"]]
    assert len(set(seen)) == 6 and seen[:6] == _codes(api, "personFields")[:6]


def test_activity_and_project_fields_are_served_as_definitions(api: Api) -> None:
    activity = _codes(api, "activityFields")
    assert "subject" in activity and "due_date" in activity
    assert api.get("/api/v2/activityFields/subject").json()["data"]["field_name"] == "Subject"
    assert api.get("/api/v2/activityFields/nope").status_code == 404
    assert api.post("/api/v2/activityFields", json={"field_name": "X", "field_type": "text"}).status_code in (
        404,
        405,
        501,
    )
    assert "subject" in [f["key"] for f in api.get("/v1/activityFields").json()["data"]]
    project = _codes(api, "projectFields")
    assert {"title", "status", "board_id", "phase_id"} <= set(project)


def test_project_field_created_in_v2_is_a_project_custom_field(api: Api) -> None:
    projects = api.get("/api/v2/projects")
    if projects.status_code != 200 or not projects.json()["data"]:
        pytest.skip("projects are not served by this sandbox build")
    field = _create(api, "projectFields", field_name="Budget code", field_type="varchar")["field_code"]
    project = projects.json()["data"][0]
    response = api.patch(f"/api/v2/projects/{project['id']}", json={"custom_fields": {field: "B-7"}})
    assert response.status_code == 200, response.text
    assert api.get(f"/api/v2/projects/{project['id']}").json()["data"]["custom_fields"][field] == "B-7"


@pytest.mark.parametrize("resource", ["dealFields", "personFields", "organizationFields", "productFields"])
def test_v1_field_crud_and_bulk_delete(api: Api, resource: str) -> None:
    created = []
    for name in ("One", "Two", "Three"):
        response = api.post(f"/v1/{resource}", json={"name": name, "field_type": "double"})
        assert response.status_code in (200, 201), response.text
        created.append(response.json()["data"])
    first = created[0]
    assert len(first["key"]) == 40 and first["edit_flag"] is True
    assert api.get(f"/v1/{resource}/{first['id']}").json()["data"]["name"] == "One"
    updated = api.put(f"/v1/{resource}/{first['id']}", json={"name": "Uno"})
    assert updated.status_code == 200 and updated.json()["data"]["name"] == "Uno"
    # The same definition in v2.
    assert api.get(f"/api/v2/{resource}/{first['key']}").json()["data"]["field_name"] == "Uno"

    ids = [field["id"] for field in created[1:]]
    bulk = api.delete(f"/v1/{resource}", params={"ids": ",".join(map(str, ids))})
    assert bulk.status_code == 200 and bulk.json()["data"] == {"id": ids}
    keys = {field["key"] for field in api.get(f"/v1/{resource}", params={"limit": 500}).json()["data"]}
    assert first["key"] in keys and not keys & {field["key"] for field in created[1:]}
    assert api.delete(f"/v1/{resource}/{first['id']}").status_code == 200
    assert api.get(f"/v1/{resource}/{first['id']}").status_code == 404


def test_v1_bulk_delete_refuses_unknown_system_and_malformed_ids(api: Api) -> None:
    custom = api.post("/v1/dealFields", json={"name": "Temp", "field_type": "text"}).json()["data"]["id"]
    title = next(f["id"] for f in api.get("/v1/dealFields").json()["data"] if f["key"] == "title")
    missing = api.delete("/v1/dealFields", params={"ids": f"{custom},999999"})
    assert missing.status_code == 404 and "999999" in missing.json()["error"]
    system = api.delete("/v1/dealFields", params={"ids": f"{custom},{title}"})
    assert system.status_code == 403 and str(title) in system.json()["error"]
    assert api.delete("/v1/dealFields", params={"ids": "1,x"}).status_code == 400
    assert api.delete("/v1/dealFields").status_code == 400
    # Nothing was deleted by the refused requests.
    assert api.get(f"/v1/dealFields/{custom}").status_code == 200


def test_v1_field_created_is_usable_as_a_hash_key_on_a_deal(api: Api) -> None:
    field = api.post(
        "/v1/dealFields", json={"name": "Stage gate", "field_type": "enum", "options": [{"label": "Pass"}]}
    ).json()["data"]
    key, option = field["key"], field["options"][0]["id"]
    deal = api.post("/v1/deals", json={"title": "Gate", key: option}).json()["data"]
    assert deal[key] == str(option)
    assert api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["custom_fields"][key] == option


def test_v2_only_settings_stay_out_of_v1_shapes(api: Api) -> None:
    stage = api.get("/api/v2/stages").json()["data"][0]["id"]
    field = _create(
        api, "dealFields", field_name="Gate", field_type="text",
        ui_visibility={"projects_detail_visible_flag": True},
        required_fields={"enabled": True, "stage_ids": [stage]},
    )  # fmt: skip
    v1 = next(
        f
        for f in api.get("/v1/dealFields", params={"limit": 500}).json()["data"]
        if f["key"] == field["field_code"]
    )
    assert v1["mandatory_flag"] is True and not [key for key in v1 if key.startswith("_")]
    assert api.get(f"/v1/dealFields/{v1['id']}").json()["data"] == v1
    leads = api.get("/v1/leadFields", params={"limit": 500}).json()["data"]
    assert next(f for f in leads if f["key"] == field["field_code"]) == v1
