"""Users (add, (de)activate, permissions, role data), roles and permission sets over HTTP (v1)."""

from __future__ import annotations

from typing import Any

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.seed import permission_set_id

SALES_ADMIN = permission_set_id("sales", True)
SALES_REGULAR = permission_set_id("sales", False)


def _delete_with_body(api: Api, path: str, body: dict[str, Any]) -> Any:
    return api.client.request("DELETE", path, json=body, headers=api.headers)


def _data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def test_add_user_defaults_to_a_regular_sales_user_and_shows_in_lists(api: Api) -> None:
    user = _data(api.post("/v1/users", json={"email": "dana.scully@sandbox.example"}))
    assert set(spec_data.response_keys("POST /v1/users")) <= set(user)
    assert user["email"] == "dana.scully@sandbox.example" and user["name"] == "Dana Scully"
    assert user["access"] == [{"app": "sales", "admin": False, "permission_set_id": SALES_REGULAR}]
    assert user["active_flag"] is True and user["activated"] is False and user["is_you"] is False
    assert user["id"] in [u["id"] for u in _data(api.get("/v1/users"))]
    assert _data(api.get(f"/v1/users/{user['id']}"))["email"] == user["email"]
    admin = _data(
        api.post(
            "/v1/users",
            data={"email": "boss@sandbox.example", "active_flag": "0"},
        )
    )
    assert admin["active_flag"] is False
    with_set = _data(
        api.post(
            "/v1/users",
            json={
                "email": "a@sandbox.example",
                "access": [{"app": "sales", "admin": True}, {"app": "global"}],
            },
        )
    )
    assert with_set["access"][0]["permission_set_id"] == SALES_ADMIN


def test_add_user_errors_name_the_field(api: Api) -> None:
    missing = api.post("/v1/users", json={})
    assert missing.status_code == 400 and "email" in missing.json()["error"]
    bad = api.post("/v1/users", json={"email": "not-an-email"})
    assert bad.status_code == 400 and "email" in bad.json()["error"]
    taken = api.post("/v1/users", json={"email": "ALEX.ADMIN@sandbox.example"})
    assert taken.status_code == 400 and "already exists" in taken.json()["error"]
    app = api.post("/v1/users", json={"email": "x@y.io", "access": [{"app": "crm"}]})
    assert app.status_code == 400 and "access" in app.json()["error"]
    wrong_set = api.post(
        "/v1/users", json={"email": "x@y.io", "access": [{"app": "global", "permission_set_id": SALES_ADMIN}]}
    )
    assert wrong_set.status_code == 400 and "permission set" in wrong_set.json()["error"]


def test_update_user_activates_and_deactivates(api: Api) -> None:
    off = _data(api.put("/v1/users/2", json={"active_flag": False}))
    assert off["active_flag"] is False and off["id"] == 2
    assert _data(api.get("/v1/users/2"))["active_flag"] is False
    assert _data(api.put("/v1/users/2", data={"active_flag": "true"}))["active_flag"] is True
    required = api.put("/v1/users/2", json={})
    assert required.status_code == 400 and "active_flag" in required.json()["error"]
    myself = api.put("/v1/users/1", json={"active_flag": False})
    assert myself.status_code == 400 and "yourself" in myself.json()["error"]
    assert api.put("/v1/users/999", json={"active_flag": True}).status_code == 404


def test_permissions_depend_on_admin_access(api: Api) -> None:
    keys = set(spec_data.response_keys("GET /v1/users/{id}/permissions"))
    admin = _data(api.get("/v1/users/1/permissions"))
    regular = _data(api.get("/v1/users/2/permissions"))
    assert set(admin) == keys == set(regular)
    assert all(admin.values())
    assert regular["can_add_products"] is True and regular["can_add_custom_fields"] is False
    assert api.get("/v1/users/999/permissions").status_code == 404


def test_role_crud_levels_and_counts(api: Api) -> None:
    roles = _data(api.get("/v1/roles"))
    assert roles[0]["id"] == 1 and roles[0]["level"] == 1 and roles[0]["assignment_count"] == "3"
    emea = _data(api.post("/v1/roles", json={"name": "EMEA", "parent_role_id": 1}))["id"]
    nordics = _data(api.post("/v1/roles", data={"name": "Nordics", "parent_role_id": str(emea)}))["id"]
    listed = {role["id"]: role for role in _data(api.get("/v1/roles"))}
    assert listed[nordics]["level"] == 3 and listed[emea]["sub_role_count"] == "1"
    one = api.get(f"/v1/roles/{nordics}").json()
    assert (
        one["data"]["name"] == "Nordics"
        and one["additional_data"]["settings"]["deal_default_visibility"] == 3
    )
    assert _data(api.put(f"/v1/roles/{nordics}", json={"name": "Nordic countries"})) == {"id": nordics}
    assert _data(api.get(f"/v1/roles/{nordics}"))["name"] == "Nordic countries"
    cycle = api.put(f"/v1/roles/{emea}", json={"parent_role_id": nordics})
    assert cycle.status_code == 400 and "parent_role_id" in cycle.json()["error"]
    has_children = api.delete(f"/v1/roles/{emea}")
    assert has_children.status_code == 400 and "sub-roles" in has_children.json()["error"]
    assert _data(api.delete(f"/v1/roles/{nordics}")) == {"id": nordics}
    assert api.get(f"/v1/roles/{nordics}").status_code == 404
    assert api.delete("/v1/roles/1").status_code == 400
    assert api.post("/v1/roles", json={"name": " "}).status_code == 400
    unknown_parent = api.post("/v1/roles", json={"name": "X", "parent_role_id": 999})
    assert unknown_parent.status_code == 400 and "parent_role_id" in unknown_parent.json()["error"]
    paged = api.get("/v1/roles", params={"limit": 1}).json()
    assert (
        len(paged["data"]) == 1 and paged["additional_data"]["pagination"]["more_items_in_collection"] is True
    )


def test_role_assignments_move_users(api: Api) -> None:
    role = _data(api.post("/v1/roles", json={"name": "Support"}))["id"]
    assert _data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": 2})) == {
        "user_id": 2,
        "role_id": role,
    }
    assigned = _data(api.get(f"/v1/roles/{role}/assignments"))
    assert [(a["user_id"], a["role_id"], a["type"]) for a in assigned] == [(2, role, "user")]
    assert _data(api.get("/v1/users/2"))["role_id"] == role
    mine = _data(api.get("/v1/users/2/roleAssignments"))
    assert mine[0]["role_id"] == role and mine[0]["name"] == "Support"
    in_use = api.delete(f"/v1/roles/{role}")
    assert in_use.status_code == 400 and "assigned users" in in_use.json()["error"]
    assert _data(_delete_with_body(api, f"/v1/roles/{role}/assignments", {"user_id": 2})) == {"id": role}
    assert _data(api.get("/v1/users/2"))["role_id"] == 1
    not_there = _delete_with_body(api, f"/v1/roles/{role}/assignments", {"user_id": 2})
    assert not_there.status_code == 400 and "not assigned" in not_there.json()["error"]
    unknown = api.post(f"/v1/roles/{role}/assignments", json={"user_id": 999})
    assert unknown.status_code == 400 and "user_id" in unknown.json()["error"]
    assert api.post("/v1/roles/999/assignments", json={"user_id": 2}).status_code == 404


def test_role_settings_and_the_users_role_settings(api: Api) -> None:
    role = _data(api.post("/v1/roles", json={"name": "Interns"}))["id"]
    settings = _data(api.get(f"/v1/roles/{role}/settings"))
    assert set(settings) == set(spec_data.response_keys("GET /v1/roles/{id}/settings"))
    changed = _data(
        api.post(f"/v1/roles/{role}/settings", json={"setting_key": "deal_default_visibility", "value": 1})
    )
    assert changed == {"id": role, "deal_default_visibility": 1}
    api.post(f"/v1/roles/{role}/assignments", json={"user_id": 3})
    assert _data(api.get("/v1/users/3/roleSettings"))["deal_default_visibility"] == 1
    assert _data(api.get("/v1/users/2/roleSettings"))["deal_default_visibility"] == 3
    bad_key = api.post(f"/v1/roles/{role}/settings", json={"setting_key": "deal_access_level", "value": 1})
    assert bad_key.status_code == 400 and "setting_key" in bad_key.json()["error"]
    bad_value = api.post(
        f"/v1/roles/{role}/settings", json={"setting_key": "lead_default_visibility", "value": 2}
    )
    assert bad_value.status_code == 400 and "value" in bad_value.json()["error"]


def test_role_pipeline_visibility(api: Api) -> None:
    pipelines = [p["id"] for p in _data(api.get("/v1/pipelines"))]
    assert len(pipelines) >= 2
    visible = _data(api.get("/v1/roles/1/pipelines"))
    assert visible == {"pipeline_ids": pipelines, "visible": True}
    hidden_one = pipelines[-1]
    changed = _data(
        api.put("/v1/roles/1/pipelines", json={"visible_pipeline_ids": {"remove": f"[{hidden_one}]"}})
    )
    assert changed == {"pipeline_ids": pipelines[:-1], "visible": True}
    hidden = _data(api.get("/v1/roles/1/pipelines", params={"visible": "false"}))
    assert hidden == {"pipeline_ids": [hidden_one], "visible": False}
    back = _data(api.put("/v1/roles/1/pipelines", json={"visible_pipeline_ids": {"add": [hidden_one]}}))
    assert back["pipeline_ids"] == pipelines
    missing = api.put("/v1/roles/1/pipelines", json={})
    assert missing.status_code == 400 and "visible_pipeline_ids" in missing.json()["error"]
    unknown = api.put("/v1/roles/1/pipelines", json={"visible_pipeline_ids": {"add": "[999]"}})
    assert unknown.status_code == 400 and "999" in unknown.json()["error"]


def test_permission_sets_and_their_assignments(api: Api) -> None:
    sets = _data(api.get("/v1/permissionSets"))
    by_id = {item["id"]: item for item in sets}
    assert by_id[SALES_ADMIN]["assignment_count"] == 1 and by_id[SALES_REGULAR]["assignment_count"] == 2
    assert {item["app"] for item in _data(api.get("/v1/permissionSets", params={"app": "sales"}))} == {
        "sales"
    }
    assert api.get("/v1/permissionSets", params={"app": "crm"}).status_code == 400
    one = api.get(f"/v1/permissionSets/{SALES_REGULAR}")
    assert (
        one.status_code == 200
        and one.json()["type"] == "regular"
        and "can_add_products" in one.json()["contents"]
    )
    assert "can_add_custom_fields" not in one.json()["contents"]
    assigned = _data(api.get(f"/v1/permissionSets/{SALES_ADMIN}/assignments"))
    assert assigned == [{"user_id": 1, "permission_set_id": SALES_ADMIN, "name": "Sales admin"}]
    api.post("/v1/users", json={"email": "new@sandbox.example"})
    assert len(_data(api.get(f"/v1/permissionSets/{SALES_REGULAR}/assignments"))) == 3
    assert api.get("/v1/permissionSets/nope").status_code == 404
    assert api.get("/v1/permissionSets/nope/assignments").status_code == 404


def test_user_webhooks_on_add_and_deactivate(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="*", event_object="user", version="1.0")
    extras.add_webhook(receiver.url, event_action="*", event_object="user", version="2.0")
    user = _data(extras.api.post("/v1/users", json={"email": "hooked@sandbox.example"}))
    assert extras.api.put(f"/v1/users/{user['id']}", json={"active_flag": False}).status_code == 200
    extras.flush()
    v1 = [b for b in receiver.bodies() if b.get("v") == 1]
    v2 = [b for b in receiver.bodies() if b.get("meta", {}).get("version") == "2.0"]
    assert [b["event"] for b in v1] == ["added.user", "updated.user"]
    assert v1[0]["current"][0]["email"] == "hooked@sandbox.example"  # user events carry lists
    assert v1[1]["previous"][0]["active_flag"] is True and v1[1]["current"][0]["active_flag"] is False
    assert [b["meta"]["action"] for b in v2] == ["create", "change"]
    assert v2[1]["data"]["active_flag"] is False and v2[1]["previous"]["active_flag"] is True


def test_only_admins_manage_users_and_roles(extras: ExtrasSandbox) -> None:
    with extras.user_client(2) as regular:  # user 2 is not an admin
        writes = [
            regular.post("/v1/users", json={"email": "sneaky@sandbox.example"}),
            regular.put("/v1/users/3", json={"active_flag": False}),
            regular.post("/v1/roles", json={"name": "Mine"}),
            regular.put("/v1/roles/1", json={"name": "Mine"}),
            regular.post("/v1/roles/1/settings", json={"setting_key": "deal_default_visibility", "value": 1}),
            regular.put("/v1/roles/1/pipelines", json={"visible_pipeline_ids": {"remove": "[1]"}}),
            regular.post("/v1/roles/1/assignments", json={"user_id": 2}),
        ]
        assert [r.status_code for r in writes] == [403] * len(writes)
        assert writes[0].json()["error"] == "Only admins can manage users and roles"
        assert regular.get("/v1/roles").status_code == 200  # reading is for everyone
    assert extras.api.get("/v1/users/3").json()["data"]["active_flag"] is True
