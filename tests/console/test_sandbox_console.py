"""The sandbox console in a real browser (headless Chromium through Playwright) against a sandbox
served over a socket: every page, moving a deal (webhook delivered), resending a delivery, hostile
titles shown as text, and 10,000 deals paged."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from _extras_fixtures import ExtrasSandbox, Receiver
from browser_helpers import screenshot

UI = "/_sandbox/ui"
PAGES = [
    ("board", "/board", "Board · Sales"),
    ("deals", "/list/deal", "Deals"),
    ("persons", "/list/person", "Persons"),
    ("organizations", "/list/organization", "Organizations"),
    ("leads", "/list/lead", "Leads"),
    ("activities", "/list/activity", "Activities"),
    ("notes", "/list/note", "Notes"),
    ("products", "/list/product", "Products"),
    ("record", "/record/deal/1", "Deal: "),
    ("deliveries", "/deliveries", "Webhook deliveries"),
    ("rate-limit", "/rate-limit", "Rate limits"),
    ("controls", "/controls", "Faults & clock"),
    ("oauth", "/oauth", "OAuth apps and tokens"),
]


def _heading(page: Any) -> str:
    return str(page.locator("h1").inner_text())


def _wait_for_delivery(extras: ExtrasSandbox, event: str, entity_id: int) -> dict[str, Any]:
    for entry in reversed(extras.deliveries()):
        if entry["event"] == event and entry["entity_id"] == entity_id:
            return entry
    raise AssertionError(f"no {event} delivery about {entity_id}: {extras.deliveries()}")


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_loads(
    page: Any, extras: ExtrasSandbox, receiver: Receiver, name: str, path: str, heading: str
) -> None:
    extras.add_webhook(receiver.url, event_action="change", event_object="deal")
    extras.api.patch("/api/v2/deals/1", json={"value": 4321})  # a changelog entry and a delivery
    extras.cp.post("/_sandbox/rate-limit", json={"plan": "lite"})
    for minute in range(8):  # a few minutes of traffic for the rate-limit chart
        for _ in range(minute % 4 + 1):
            extras.api.get("/api/v2/deals")
        extras.advance(60)
    extras.flush()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(extras.base_url + UI + path)
    assert response is not None and response.status == 200
    assert _heading(page).startswith(heading)
    assert page.locator("header a.active").count() == 1
    assert errors == []
    screenshot(page, f"sandbox-{name}")


def test_the_console_root_opens_the_board(page: Any, extras: ExtrasSandbox) -> None:
    page.goto(extras.base_url + UI)
    assert page.url.endswith(f"{UI}/board")
    stages = extras.state.store.query("stage", where={"pipeline_id": 1, "is_deleted": False})
    assert page.locator(".stage").count() == len(stages) > 0
    assert page.locator(".card").count() > 0


def test_dragging_a_deal_to_another_stage_patches_it_and_the_webhook_is_delivered(
    page: Any, extras: ExtrasSandbox, receiver: Receiver
) -> None:
    hook = extras.add_webhook(receiver.url, event_action="change", event_object="deal")
    deal = extras.api.get("/api/v2/deals/1").json()["data"]
    stages = extras.api.get("/api/v2/stages", params={"pipeline_id": deal["pipeline_id"]}).json()["data"]
    target = next(stage for stage in stages if stage["id"] != deal["stage_id"])

    page.goto(f"{extras.base_url}{UI}/board?pipeline_id={deal['pipeline_id']}")
    card = page.locator(f'.card[data-deal-id="{deal["id"]}"]')
    assert card.locator("form.move").is_hidden()  # with JavaScript the card is moved by dragging
    card.drag_to(page.locator(f'.stage[data-stage-id="{target["id"]}"]'))
    page.wait_for_url(re.compile(r"msg="))
    assert f"Deal 1 moved to {target['name']}." in page.locator(".flash").inner_text()
    moved = page.locator(f'.stage[data-stage-id="{target["id"]}"] .card[data-deal-id="1"]')
    assert moved.count() == 1

    assert extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"] == target["id"]
    extras.flush()
    entry = _wait_for_delivery(extras, "change.deal", 1)
    assert entry["webhook_id"] == hook["id"] and entry["status_code"] == 200
    assert receiver.bodies()[-1]["data"]["stage_id"] == target["id"]

    page.goto(f"{extras.base_url}{UI}/deliveries")
    row = page.locator("tbody tr", has_text="change.deal").first
    assert row.locator(".ok").inner_text() == "200"
    assert re.search(r"\d ms", row.inner_text())
    row.locator("td a").first.click()
    assert _heading(page) == f"Delivery {entry['id']}"
    sent = json.loads(page.locator("pre").inner_text())
    assert sent["data"]["stage_id"] == target["id"]
    screenshot(page, "sandbox-delivery")

    page.goto(f"{extras.base_url}{UI}/record/deal/1")
    history = page.locator("table", has=page.locator("th", has_text="Field")).inner_text()
    assert "stage_id" in history


def test_moving_a_deal_works_without_javascript(browser: Any, extras: ExtrasSandbox) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{extras.base_url}{UI}/board")
        card = page.locator('.card[data-deal-id="1"]')
        current = card.locator("select").input_value()
        options = [option.get_attribute("value") for option in card.locator("option").all()]
        other = next(value for value in options if value != current)
        card.locator("select").select_option(other)
        card.get_by_role("button", name="Move").click()
        page.wait_for_url(re.compile(r"msg="))
        assert "Deal 1 moved to" in page.locator(".flash").inner_text()
    finally:
        context.close()
    assert str(extras.api.get("/api/v2/deals/1").json()["data"]["stage_id"]) == other


def test_resend_posts_the_same_body_again_and_logs_a_new_attempt(
    page: Any, extras: ExtrasSandbox, receiver: Receiver
) -> None:
    extras.add_webhook(receiver.url, event_action="change", event_object="deal")
    assert extras.api.patch("/api/v2/deals/2", json={"title": "Resend me"}).status_code == 200
    extras.flush()
    first = _wait_for_delivery(extras, "change.deal", 2)
    assert len(receiver.bodies()) == 1

    page.goto(f"{extras.base_url}{UI}/deliveries")
    page.locator("tbody tr", has_text="change.deal").first.get_by_role("button", name="Resend").click()
    page.wait_for_url(re.compile(r"msg="))
    flash = page.locator(".flash").inner_text()
    assert re.fullmatch(rf"Delivery {first['id']} resent as delivery \d+: 200", flash), flash

    bodies = receiver.bodies()
    assert len(bodies) == 2 and bodies[1] == bodies[0]
    resent = extras.deliveries()[-1]
    assert resent["resent_from"] == first["id"] and resent["ok"] is True
    assert page.locator("tbody tr", has_text="change.deal").count() == 2


def test_a_hostile_title_is_shown_as_text_everywhere(page: Any, extras: ExtrasSandbox) -> None:
    hostile = "<script>alert(1)</script>"
    created = extras.api.post("/api/v2/deals", json={"title": hostile, "value": 1}).json()["data"]
    extras.api.post("/api/v2/persons", json={"name": f'"><img src=x onerror=alert(2)>{hostile}'})
    for path in ("/board", "/list/deal", f"/record/deal/{created['id']}", "/list/person"):
        page.goto(extras.base_url + UI + path)
        assert page.get_by_text(hostile).first.is_visible(), path
    page.goto(f"{extras.base_url}{UI}/list/deal?q={hostile}")
    assert page.locator("input[name=q]").input_value() == hostile
    assert page.locator("tbody tr").count() == 1
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0


def test_ten_thousand_deals_are_listed_a_page_at_a_time(page: Any, extras: ExtrasSandbox) -> None:
    lines = "\n".join(
        json.dumps({"kind": "deal", "title": f"Bulk deal {n}", "value": n}) for n in range(10_000)
    )
    loaded = extras.cp.post("/_sandbox/bulk", content=lines.encode(), timeout=120)
    assert loaded.status_code == 200, loaded.text
    total = extras.api.get("/api/v2/deals", params={"limit": 1}).json()  # sanity: the API sees them
    assert total["data"]
    existing = extras.state.store.count("deal", where={"is_deleted": False})
    assert existing >= 10_000

    page.goto(f"{extras.base_url}{UI}/list/deal")
    assert page.locator("tbody tr").count() == 50
    pages = -(-existing // 50)
    assert f"Page 1 of {pages} · {existing} in all" in page.locator(".pager").first.inner_text()
    page.locator("a[rel=next]").first.click()
    assert "Page 2 of" in page.locator(".pager").first.inner_text()
    assert page.locator("tbody tr").count() == 50

    page.goto(f"{extras.base_url}{UI}/list/deal?q=Bulk+deal+9999")
    assert page.locator("tbody tr").count() == 1

    page.goto(f"{extras.base_url}{UI}/board")
    assert page.locator(".card").count() <= 30 * page.locator(".stage").count()
    more = page.locator("a", has_text="more in this stage")
    assert more.count() >= 1
    more.first.click()
    assert page.locator("tbody tr").count() == 50
    assert "Only stage_id" in page.locator("main").inner_text()


def test_fault_and_clock_forms_reach_the_control_plane(page: Any, extras: ExtrasSandbox) -> None:
    page.goto(f"{extras.base_url}{UI}/controls")
    page.fill("input[name=error_rate]", "0.25")
    page.fill("input[name=statuses]", "503")
    page.get_by_role("button", name="Apply faults").click()
    page.wait_for_url(re.compile(r"msg="))
    assert page.locator(".flash").inner_text() == "Faults changed."
    faults = extras.cp.get("/_sandbox/faults").json()["data"]
    assert faults["error_rate"] == 0.25 and faults["statuses"] == [503]

    page.fill("input[name=error_rate]", "lots")
    page.get_by_role("button", name="Apply faults").click()
    page.wait_for_url(re.compile(r"msg="))
    assert "error_rate must be a number, not 'lots'" in page.locator(".flash").inner_text()

    page.get_by_role("button", name="Turn faults off").click()
    page.wait_for_url(re.compile(r"msg="))
    assert extras.cp.get("/_sandbox/faults").json()["data"]["active"] is False

    before = extras.state.clock.offset_seconds
    page.fill("input[name=advance_seconds]", "7200")
    page.get_by_role("button", name="Advance the clock").click()
    page.wait_for_url(re.compile(r"msg="))
    assert "Sandbox time is now" in page.locator(".flash").inner_text()
    assert extras.state.clock.offset_seconds == pytest.approx(before + 7200, abs=1)
