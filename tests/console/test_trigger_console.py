"""The trigger console (`triggers serve --ui`) over a socket: the token sign-in and CSRF check over
HTTP, then in headless Chromium: an event whose handler failed is moved to the dead letters and
replayed until it is done, and a hostile payload shows as text."""

from __future__ import annotations

import html
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_helpers import screenshot
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli
from pipedrive_connector.serving import serve_in_thread
from pipedrive_connector.triggers import Event, TriggerApp, parse_webhook
from pipedrive_connector.triggers.console import with_console

TOKEN = "console-token-for-tests-0123456789"


@dataclass
class Console:
    url: str
    app: TriggerApp
    hook: str  # the subscription's receiver URL
    auth: tuple[str, str]
    failing: threading.Event = field(default_factory=threading.Event)

    def deliver(self, person_id: int, name: str) -> None:
        meta = {
            "action": "create",
            "entity": "person",
            "entity_id": str(person_id),
            "id": f"evt-{person_id}",
            "version": "2.0",
        }
        body = {"meta": meta, "data": {"id": person_id, "name": name}, "previous": None}
        response = httpx.post(self.hook, json=body, auth=self.auth, timeout=10)
        assert response.status_code == 200, response.text

    def wait_status(self, entity_id: int, status: str) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for row in self.app.events(limit=100):
                if row.event.entity_id == entity_id and row.status == status:
                    return row.seq
            time.sleep(0.05)
        raise AssertionError(f"person {entity_id} never reached {status}: {self.app.events()}")


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    # A failed handler is retried in an hour: the event stays pending until the console acts.
    app = TriggerApp(state_path=str(tmp_path / "triggers.db"), retry_delays=(3600.0,))
    failing = threading.Event()

    def downstream(event: Event) -> None:
        if failing.is_set():
            raise RuntimeError("downstream is down")

    app.add_handler("downstream", downstream)
    sub, password = app.store.create_subscription("newPerson", {}, "2.0", "http://127.0.0.1")
    with serve_in_thread(with_console(app, TOKEN)) as url:
        yield Console(url, app, f"{url}/webhooks/{sub.id}", (sub.auth_user, password), failing)
    app.close()


def sign_in(page: Any, console: Console) -> None:
    page.goto(f"{console.url}/ui/")
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("input[name=token]", TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console.url}/ui/")


def test_every_page_needs_the_token_and_every_form_its_csrf_field(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=10) as http:
        for path in ("/ui", "/ui/", "/ui/events", "/ui/events/1"):
            answer = http.get(path)
            assert answer.status_code == 401 and "Sign in" in answer.text, path
            assert TOKEN not in answer.text
        wrong = http.post("/ui/login", data={"token": "not-it"})
        assert wrong.status_code == 303 and "not+the+console+token" in wrong.headers["location"]
        assert http.post("/ui/replay-dead", data={}).status_code == 401

        right = http.post("/ui/login", data={"token": TOKEN})
        assert right.status_code == 303
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        assert http.get("/ui/").status_code == 200
        assert http.post("/ui/replay-dead", data={}).status_code == 403  # no CSRF field
        assert http.get("/ui/events?status=lost").status_code == 400
        assert http.get("/ui/events/999").status_code == 404
    assert httpx.get(f"{console.url}/healthz").status_code == 200  # the receiver still answers


def test_a_failed_event_is_dead_lettered_then_replayed_until_done(page: Any, console: Console) -> None:
    console.deliver(1, "Ada")
    console.wait_status(1, "done")
    console.failing.set()
    console.deliver(2, "Grace")
    seq = console.wait_status(2, "pending")

    sign_in(page, console)
    assert page.locator(".tile", has_text="pending").locator(".big").inner_text() == "1"
    screenshot(page, "triggers-overview")

    page.goto(f"{console.url}/ui/events?status=pending")
    row = page.locator("tbody tr")
    assert row.count() == 1 and "downstream is down" in row.inner_text()
    screenshot(page, "triggers-events")
    row.locator("a").first.click()
    assert page.locator("h1").inner_text() == f"Event {seq}"
    assert '"name": "Grace"' in page.locator("pre").inner_text()
    page.accept_dialogs = True  # the buttons ask before they act
    page.get_by_role("button", name="Move to dead letters").click()
    page.wait_for_url(re.compile(r"msg="))
    assert page.locator(".flash").inner_text() == f"Event {seq} moved to the dead letters."
    assert console.app.store.event(seq).status == "dead"  # type: ignore[union-attr]
    screenshot(page, "triggers-event")

    console.failing.clear()
    page.goto(f"{console.url}/ui/")
    page.get_by_role("button", name=re.compile("Replay all 1 dead")).click()
    page.wait_for_url(re.compile(r"msg="))
    assert page.locator(".flash").inner_text() == "1 dead event(s) queued again."
    assert page.dialogs == ["Stop retrying this event?", "Replay every dead event?"]
    console.wait_status(2, "done")
    page.goto(f"{console.url}/ui/events/{seq}")
    assert page.locator("td .ok").inner_text() == "done"
    assert page.locator("tr", has_text="downstream").locator("td").nth(1).inner_text() == "succeeded"


def test_a_hostile_payload_is_shown_as_text(page: Any, console: Console) -> None:
    hostile = "<script>alert(1)</script>"
    console.deliver(7, hostile)
    seq = console.wait_status(7, "done")
    sign_in(page, console)
    page.goto(f"{console.url}/ui/events/{seq}")
    assert hostile in page.locator("pre").inner_text()
    page.goto(f"{console.url}/ui/events?trigger={hostile}")
    assert page.locator("input[name=trigger]").input_value() == hostile
    assert page.dialogs == []


def insert_people(app: TriggerApp, count: int) -> None:
    """``count`` person events through the store's public submit path (one group commit)."""
    sub, _ = app.store.create_subscription("newPerson", {"bulk": True}, "2.0", "http://127.0.0.1")
    answered = threading.Semaphore(0)
    for n in range(1, count + 1):
        meta = {"action": "create", "entity": "person", "entity_id": str(n), "id": f"b-{n}", "version": "2.0"}
        event = parse_webhook({"meta": meta, "data": {"id": n}, "previous": None})
        app.store.submit_event(sub, event, None, lambda item: answered.release())
    for _ in range(count):
        assert answered.acquire(timeout=60)


def test_events_page_through_ten_thousand_by_seq_and_the_chart_counts_them_all(
    tmp_path: Path,
) -> None:
    app = TriggerApp(state_path=str(tmp_path / "triggers.db"))
    insert_people(app, 10_000)
    newest = app.events(limit=1)[0].seq
    with serve_in_thread(with_console(app, TOKEN)) as base, httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/ui/login", data={"token": TOKEN}).status_code == 303
        first = http.get("/ui/events")
        assert first.status_code == 200 and "10000 in all" in first.text
        seqs = [int(seq) for seq in re.findall(r'href="/ui/events/(\d+)"', first.text)]
        assert len(seqs) == 50 and seqs[0] == newest and seqs == sorted(seqs, reverse=True)
        assert 'rel="prev"' not in first.text  # nothing newer than page 1

        pages, answer = 1, first
        while older := re.search(r'<a href="([^"]+)" rel="next">', answer.text):
            answer = http.get(html.unescape(older.group(1)))
            assert answer.status_code == 200
            pages += 1
            seqs += [int(seq) for seq in re.findall(r'href="/ui/events/(\d+)"', answer.text)]
        assert pages == 200 and len(set(seqs)) == 10_000 and seqs[-1] == newest - 9_999
        assert seqs == sorted(seqs, reverse=True)
        newer = re.search(r'<a href="([^"]+)" rel="prev">', answer.text)
        assert newer is not None and "after=" in newer.group(1)
        back = re.findall(r'href="/ui/events/(\d+)"', http.get(html.unescape(newer.group(1))).text)
        assert [int(seq) for seq in back] == seqs[-100:-50]  # the page before the oldest one

        filtered = http.get("/ui/events", params={"trigger": "newPerson", "status": "dead"})
        assert filtered.status_code == 200 and "0 in all" in filtered.text
        assert http.get("/ui/events", params={"before": "-3"}).status_code == 400
        assert http.get("/ui/events", params={"after": "x"}).status_code == 400

        overview = http.get("/ui/")
        assert overview.status_code == 200
        received = overview.text.split("Events received per minute", 2)[2].split("</figure>")[0]
        bars = [int(n) for n in re.findall(r"<title>\d\d:\d\d: (\d+)</title>", received)]
        assert len(bars) == 60 and sum(bars) == 10_000
    app.close()


def test_ui_is_refused_for_a_dispatcher_without_a_port(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["triggers", "serve", "--ui", "--role", "dispatcher", "--state", str(tmp_path / "t.db")]
    )
    assert result.exit_code == 2
    assert "--ui needs an HTTP port" in result.output


def _printed(stream: Any, pattern: re.Pattern[bytes], seconds: float = 20) -> re.Match[bytes]:
    """The first match of ``pattern`` in what the process prints on ``stream``."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    buffer = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and selector.select(timeout=deadline - time.monotonic()):
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            if match := pattern.search(buffer):
                return match
    finally:
        selector.close()
    raise AssertionError(f"{pattern.pattern!r} never printed; output so far: {buffer!r}")


def test_serve_ui_prints_a_fresh_token_that_signs_in(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pipedrive_connector.cli.main",
        "triggers",
        "serve",
        "--port",
        "0",
        "--state",
        str(tmp_path / "t.db"),
        "--no-catch-up",
        "--ui",
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPEDRIVE_")}
    env["PIPEDRIVE_CONFIG_DIR"] = str(tmp_path)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        pattern = re.compile(rb"console on (http://127\.0\.0\.1:\d+)/ui\n.*token.*: ([A-Za-z0-9_-]{32})\n")
        match = _printed(process.stderr, pattern)
        base, token = match.group(1).decode(), match.group(2).decode()
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.get("/ui/").status_code == 401
            assert http.get("/ui/", headers={"authorization": f"Bearer {token}"}).status_code == 200
            assert http.post("/ui/login", data={"token": token}).status_code == 303
            assert "Trigger inbox" in http.get("/ui/").text
            assert http.get("/healthz").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
