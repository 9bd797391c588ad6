"""The v1 webhooks management API over a socket: shapes, validation, limits, visibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, _extras_server, extras, receiver  # noqa: F401

NOT_FOUND = {"status": "error", "success": False, "errors": {"id": ["not found"]}}
BAD_URL = {
    "status": "error",
    "success": False,
    "errors": {"subscription_url": ["invalid or non-reachable URL"]},
}


@pytest.fixture(scope="module")
def webhook_properties(shared_dir: Path) -> set[str]:
    """The ``BaseWebhook`` property names of ``POST /webhooks`` 201 in the current v1 spec."""
    text = (shared_dir / "pipedrive" / "openapi-v1.yaml").read_text(encoding="utf-8")
    start = text.index("\n  /webhooks:\n")
    end = text.index("\n  '/webhooks/{id}':\n", start)
    paths = yaml.safe_load("paths:" + text[start:end])["paths"]
    schema = paths["/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    data = schema["allOf"][1]["properties"]["data"]
    return set(data["properties"])


def test_add_list_delete_follow_the_spec(extras: ExtrasSandbox, webhook_properties: set[str]) -> None:
    body = {
        "subscription_url": "http://127.0.0.1:9/hook",
        "event_action": "create",
        "event_object": "deal",
        "name": "New deals",
        "http_auth_user": "hook-user",
        "http_auth_password": "hook-pass",
    }
    created = extras.api.post("/v1/webhooks", json=body)
    assert created.status_code == 201
    envelope = created.json()
    assert envelope["status"] == "ok" and envelope["success"] is True
    hook = envelope["data"]
    assert set(hook) == webhook_properties
    assert hook["version"] == "2.0"  # the default since 2025-03-17
    assert hook["is_active"] == 1 and hook["type"] == "general" and hook["user_id"] == 1
    assert hook["event_action"] == "create" and hook["event_object"] == "deal" and hook["name"] == "New deals"
    assert hook["add_time"].endswith("Z") and hook["last_http_status"] is None

    listed = extras.api.get("/api/v1/webhooks").json()
    assert listed["status"] == "ok" and listed["success"] is True
    assert [w["id"] for w in listed["data"]] == [hook["id"]]
    assert listed["data"][0] == hook

    deleted = extras.api.delete(f"/v1/webhooks/{hook['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"status": "ok", "success": True}
    again = extras.api.delete(f"/v1/webhooks/{hook['id']}")
    assert again.status_code == 404 and again.json() == NOT_FOUND
    assert extras.api.get("/v1/webhooks").json()["data"] == []
    assert extras.api.delete("/v1/webhooks/not-a-number").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "ftp://example.org/x",
        "http://",
        "//example.org/hook",
        "http://exa mple.org",
        42,
        None,
    ],
)
def test_invalid_subscription_url_is_400_with_pipedrive_body(extras: ExtrasSandbox, url: Any) -> None:
    response = extras.api.post(
        "/v1/webhooks", json={"subscription_url": url, "event_action": "*", "event_object": "*", "name": "x"}
    )
    assert response.status_code == 400
    assert response.json() == BAD_URL


def test_each_invalid_field_is_named(extras: ExtrasSandbox) -> None:
    response = extras.api.post(
        "/v1/webhooks",
        json={
            "subscription_url": "https://example.org/hook",
            "event_action": "explode",
            "event_object": "planet",
            "version": "3.0",
            "user_id": "abc",
            "http_auth_user": 5,
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error" and body["success"] is False
    assert set(body["errors"]) == {
        "event_action",
        "event_object",
        "name",
        "version",
        "user_id",
        "http_auth_user",
    }


def test_v1_action_names_wildcards_and_form_bodies_are_accepted(extras: ExtrasSandbox) -> None:
    for action in ("added", "updated", "merged", "deleted", "*", "change"):
        hook = extras.add_webhook("http://localhost:8080/x", event_action=action, event_object="*")
        assert hook["event_action"] == action
    form = extras.api.post(
        "/v1/webhooks",
        data={
            "subscription_url": "https://example.org/h",
            "event_action": "delete",
            "event_object": "person",
            "name": "form",
            "version": "1.0",
        },
    )
    assert form.status_code == 201 and form.json()["data"]["version"] == "1.0"


def test_bad_json_and_wrong_content_type_are_clear_errors(extras: ExtrasSandbox) -> None:
    broken = extras.api.post("/v1/webhooks", content=b"{nope", headers={"content-type": "application/json"})
    assert (
        broken.status_code == 400 and broken.json()["success"] is False and "JSON" in broken.json()["error"]
    )
    xml = extras.api.post("/v1/webhooks", content=b"<x/>", headers={"content-type": "application/xml"})
    assert xml.status_code == 415 and xml.json()["success"] is False


def test_forty_webhooks_per_user_then_422(extras: ExtrasSandbox) -> None:
    for number in range(40):
        extras.add_webhook(f"http://127.0.0.1:9/hook/{number}")
    response = extras.api.post(
        "/v1/webhooks",
        json={
            "subscription_url": "http://127.0.0.1:9/41",
            "event_action": "*",
            "event_object": "*",
            "name": "41",
        },
    )
    assert response.status_code == 422
    assert response.json()["success"] is False and response.json()["error"] == "Webhooks limit reached"
    # Another user still has their own 40.
    with extras.user_client(2) as other:
        mine = other.post(
            "/v1/webhooks",
            json={
                "subscription_url": "http://127.0.0.1:9/u2",
                "event_action": "*",
                "event_object": "*",
                "name": "u2",
            },
        )
        assert mine.status_code == 201 and mine.json()["data"]["user_id"] == 2


def test_non_admins_see_and_delete_only_their_own(extras: ExtrasSandbox) -> None:
    admin_hook = extras.add_webhook("http://127.0.0.1:9/admin")
    with extras.user_client(2) as other:
        own = other.post(
            "/v1/webhooks",
            json={
                "subscription_url": "http://127.0.0.1:9/u2",
                "event_action": "*",
                "event_object": "*",
                "name": "u2",
            },
        ).json()["data"]
        assert [w["id"] for w in other.get("/v1/webhooks").json()["data"]] == [own["id"]]
        hidden = other.delete(f"/v1/webhooks/{admin_hook['id']}")
        assert hidden.status_code == 404 and hidden.json() == NOT_FOUND
        for_admin = other.post(
            "/v1/webhooks",
            json={
                "subscription_url": "http://127.0.0.1:9/x",
                "event_action": "*",
                "event_object": "*",
                "name": "x",
                "user_id": 1,
            },
        )
        assert for_admin.status_code == 400 and "user_id" in for_admin.json()["errors"]
    ids = {w["id"] for w in extras.api.get("/v1/webhooks").json()["data"]}
    assert ids == {admin_hook["id"], own["id"]}  # user 1 is the admin and sees everyone's
    assert extras.api.delete(f"/v1/webhooks/{own['id']}").status_code == 200


def test_webhooks_need_authentication(extras: ExtrasSandbox) -> None:
    response = extras.cp.get("/v1/webhooks")
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "unauthorized access", "errorCode": 401}


def _app_token(extras: ExtrasSandbox, scope: str) -> str:
    """An OAuth access token of the pre-registered sandbox app, through the consent flow."""
    decision = extras.cp.post(
        "/oauth/authorize",
        data={
            "client_id": "sandbox-client",
            "redirect_uri": "http://127.0.0.1:7/cb",
            "scope": scope,
            "decision": "allow",
        },
        follow_redirects=False,
    )
    code = decision.headers["location"].split("code=")[1].split("&")[0]
    tokens = extras.cp.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:7/cb",  # required: the authorize request carried it
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
    )
    token: str = tokens.json()["access_token"]
    return token


def test_oauth_apps_need_admin_scope_and_see_only_their_own(extras: ExtrasSandbox) -> None:
    token_hook = extras.add_webhook("http://127.0.0.1:9/token-made")
    without_admin = {"authorization": f"Bearer {_app_token(extras, 'deals:full')}"}
    denied = extras.cp.get("/v1/webhooks", headers=without_admin)
    assert denied.status_code == 403 and denied.json()["error"] == "Scope and URL mismatch"

    app = {"authorization": f"Bearer {_app_token(extras, 'admin')}"}
    assert extras.cp.get("/v1/webhooks", headers=app).json()["data"] == []  # not the API-token webhook
    made = extras.cp.post(
        "/v1/webhooks",
        json={
            "subscription_url": "http://127.0.0.1:9/app",
            "event_action": "*",
            "event_object": "*",
            "name": "app",
        },
        headers=app,
    )
    assert made.status_code == 201 and made.json()["data"]["type"] == "application"
    assert [w["id"] for w in extras.cp.get("/v1/webhooks", headers=app).json()["data"]] == [
        made.json()["data"]["id"]
    ]
    # An app's webhook can be deleted only by the app.
    assert extras.api.delete(f"/v1/webhooks/{made.json()['data']['id']}").status_code == 403
    assert extras.cp.delete(f"/v1/webhooks/{token_hook['id']}", headers=app).status_code == 404
    assert extras.cp.delete(f"/v1/webhooks/{made.json()['data']['id']}", headers=app).status_code == 200


def test_admin_may_subscribe_as_another_existing_user(extras: ExtrasSandbox) -> None:
    as_user_two = extras.add_webhook("http://127.0.0.1:9/as-two", user_id=2)
    assert as_user_two["user_id"] == 2 and as_user_two["owner_id"] == 1
    with extras.user_client(2) as other:  # user 2 sees the webhook authorised as them
        assert [w["id"] for w in other.get("/v1/webhooks").json()["data"]] == [as_user_two["id"]]
    missing = extras.api.post(
        "/v1/webhooks",
        json={
            "subscription_url": "http://127.0.0.1:9/x",
            "event_action": "*",
            "event_object": "*",
            "name": "x",
            "user_id": 999,
        },
    )
    assert missing.status_code == 400 and missing.json()["errors"]["user_id"] == ["user 999 not found"]


@pytest.mark.parametrize("raw_id", ["9223372036854775808", "99999999999999999999999999"])
def test_ids_beyond_sqlite_integers_are_404_not_500(extras: ExtrasSandbox, raw_id: str) -> None:
    response = extras.api.delete(f"/v1/webhooks/{raw_id}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_user_id_beyond_sqlite_integers_is_a_named_400(extras: ExtrasSandbox, receiver: Any) -> None:
    response = extras.api.post(
        "/v1/webhooks",
        json={
            "subscription_url": receiver.url,
            "event_action": "create",
            "event_object": "deal",
            "name": "huge user",
            "user_id": 10**30,
        },
    )
    assert response.status_code == 400
    assert "user_id" in response.json()["errors"]
