"""The sandbox console over HTTP (no browser needed): escaping in the markup itself, the answers to
bad form input, the delivery log's ids, latency and resend errors, and the pages' headers."""

from __future__ import annotations

import re

from _extras_fixtures import ExtrasSandbox, Receiver

UI = "/_sandbox/ui"


def test_hostile_strings_are_escaped_in_the_markup(extras: ExtrasSandbox) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    deal = extras.api.post("/api/v2/deals", json={"title": hostile}).json()["data"]
    for path in ("/board", "/list/deal", f"/record/deal/{deal['id']}", f"/list/deal?q={hostile}"):
        html = extras.cp.get(UI + path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x" in html, path
    flash = extras.cp.get(f"{UI}/board", params={"msg": hostile}).text
    assert "<script>alert" not in flash and "&lt;script&gt;" in flash


def test_pages_load_only_their_own_script_and_style(extras: ExtrasSandbox) -> None:
    answer = extras.cp.get(f"{UI}/list/person")
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert re.findall(r'(?:src|href)="(/[^"]*\.(?:js|css))"', answer.text) == [
        f"{UI}/static/console.css",
        f"{UI}/static/console.js",
    ]
    assert extras.cp.get(f"{UI}/static/console.js").headers["content-type"].startswith("text/javascript")
    assert extras.cp.get(f"{UI}/static/../app.py").status_code == 404
    assert "http://" not in extras.cp.get(f"{UI}/static/console.js").text


def test_bad_input_is_named_and_nothing_changes(extras: ExtrasSandbox) -> None:
    before = extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"]
    moved = extras.cp.post(f"{UI}/deals/1/move", data={"stage_id": "soon"}, follow_redirects=False)
    assert moved.status_code == 303 and "Pick+a+stage" in moved.headers["location"]
    unknown = extras.cp.post(f"{UI}/deals/1/move", data={"stage_id": "999"}, follow_redirects=True)
    assert "Deal 1 was not moved: HTTP 400" in unknown.text
    assert extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"] == before
    missing = extras.cp.post(f"{UI}/deals/424242/move", data={"stage_id": "1"}, follow_redirects=True)
    assert "Deal 424242 was not moved: HTTP 404" in missing.text

    faults = extras.cp.post(f"{UI}/controls/faults", data={"error_rate": "2"}, follow_redirects=True)
    assert "error_rate" in faults.text and extras.cp.get("/_sandbox/faults").json()["data"]["active"] is False
    clock = extras.cp.post(f"{UI}/controls/clock", data={"advance_seconds": "-5"}, follow_redirects=True)
    assert "the clock only moves forward" in clock.text
    plan = extras.cp.post(f"{UI}/rate-limit", data={"plan": "gold"}, follow_redirects=True)
    assert "plan must be one of" in plan.text

    assert extras.cp.get(f"{UI}/list/stage").status_code == 404
    assert extras.cp.get(f"{UI}/record/deal/424242").status_code == 404
    assert extras.cp.get(f"{UI}/deliveries/424242").status_code == 404
    assert extras.cp.get(f"{UI}/list/deal?page=-3").status_code == 200


def test_a_form_posted_from_another_site_is_refused(extras: ExtrasSandbox) -> None:
    before = extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"]
    foreign = extras.cp.post(
        f"{UI}/deals/1/move", data={"stage_id": "2"}, headers={"origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    blank = extras.cp.post(f"{UI}/deals/1/move", data={"stage_id": "2"}, headers={"origin": "null"})
    assert blank.status_code == 403
    assert extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"] == before
    # The console's own pages send their origin (their referrer policy keeps it from being "null").
    assert extras.cp.get(f"{UI}/board").headers["referrer-policy"] == "same-origin"
    own = extras.cp.post(f"{UI}/deals/1/move", data={"stage_id": "2"}, headers={"origin": extras.base_url})
    assert own.status_code == 303
    assert extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"] == 2


def test_deliveries_carry_ids_and_latency_and_resend_says_why_not(
    extras: ExtrasSandbox, receiver: Receiver
) -> None:
    hook = extras.add_webhook(receiver.url, event_action="change", event_object="deal")
    extras.api.patch("/api/v2/deals/1", json={"value": 10})
    extras.api.patch("/api/v2/deals/1", json={"value": 20})
    entries = extras.deliveries()
    assert [entry["id"] for entry in entries] == sorted(entry["id"] for entry in entries)
    assert all(entry["latency_ms"] >= 0 for entry in entries)

    gone = extras.cp.post(f"{UI}/deliveries/424242/resend", follow_redirects=True)
    assert "Not resent: delivery 424242 is not in the log" in gone.text
    assert extras.api.delete(f"/v1/webhooks/{hook['id']}").status_code == 200
    deleted = extras.cp.post(f"{UI}/deliveries/{entries[0]['id']}/resend", follow_redirects=True)
    assert f"webhook {hook['id']} of delivery {entries[0]['id']} was deleted" in deleted.text
    assert len(receiver.bodies()) == len(entries)


def test_lists_search_and_narrow_in_sql(extras: ExtrasSandbox) -> None:
    people = extras.cp.get(f"{UI}/list/person", params={"q": "zzz-nobody"}).text
    assert "Nothing here." in people and "0 in all" in people
    stage_one = extras.state.store.count("deal", where={"stage_id": 1, "is_deleted": False})
    listed = extras.cp.get(f"{UI}/list/deal", params={"stage_id": 1}).text
    assert f"{stage_one} in all" in listed and "Only stage_id = 1." in listed


def test_records_with_uuid_ids_open_and_link_back(extras: ExtrasSandbox) -> None:
    lead = extras.state.store.query("lead", limit=1)[0]
    listed = extras.cp.get(f"{UI}/list/lead").text
    assert f'href="{UI}/record/lead/{lead["id"]}"' in listed
    page = extras.cp.get(f"{UI}/record/lead/{lead['id']}")
    assert page.status_code == 200 and lead["title"] in page.text
    assert "Change history" not in page.text  # Pipedrive logs changes of deals, persons, organizations
