"""Several processes on one PostgreSQL state: receivers and dispatchers as separate `pipedrive
triggers serve --role ...` processes, every event handled exactly once (counted from the sinks),
and a dispatcher SIGKILLed inside a handler whose event another dispatcher then handles."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from test_receiver import deal_created
from triggers_helpers import basic, free_port, wait_for

from pipedrive_connector.triggers import parse_webhook
from pipedrive_connector.triggers.store_postgres import PostgresTriggerStore

pytestmark = pytest.mark.slow


def cli_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("PIPEDRIVE_")}


def serve(state: str, role: str, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pipedrive_connector.cli.main", "triggers", "serve"]
    command += ["--state", state, "--role", role, "--no-catch-up", *args]
    return subprocess.Popen(command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_healthy(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("receiver did not start")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def sink_keys(paths: list[Path]) -> list[str]:
    keys = []
    for path in paths:
        if path.exists():
            keys += [json.loads(line)["event_key"] for line in path.read_text().splitlines()]
    return keys


def test_two_receivers_and_two_dispatchers_handle_every_event_exactly_once(
    pg_state: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    store = PostgresTriggerStore(pg_state)
    sub, password = store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    ports = [free_port(), free_port()]
    sinks = [tmp_path / "sink-a.jsonl", tmp_path / "sink-b.jsonl"]
    for port in ports:
        processes.append(serve(pg_state, "receiver", "--port", str(port)))
    for sink in sinks:
        processes.append(serve(pg_state, "dispatcher", "--out", str(sink)))
    for process, port in zip(processes, ports, strict=False):
        wait_healthy(process, port)
    auth = basic(sub.auth_user, password)
    count = 300

    def deliver(number: int) -> list[bool]:
        # Every event goes to one replica and is redelivered to the other (a lost acknowledgement).
        order = ports if number % 2 else ports[::-1]
        answers = []
        with httpx.Client(timeout=30) as client:
            for port in order:
                response = client.post(
                    f"http://127.0.0.1:{port}/webhooks/{sub.id}",
                    json=deal_created(number, f"mp-{number}"),
                    headers=auth,
                )
                assert response.status_code == 200, response.text
                answers.append(response.json()["duplicate"])
        return answers

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(deliver, range(1, count + 1)))
    assert all(pair == [False, True] for pair in answers)
    wait_for(lambda: len(sink_keys(sinks)) >= count, timeout=90, interval=0.2)
    wait_for(lambda: store.counts() == {"done": count}, timeout=30, interval=0.2)
    time.sleep(1.0)  # room for a (wrong) second handling to show up
    keys = sink_keys(sinks)
    assert len(keys) == count and set(keys) == {f"v2:mp-{n}" for n in range(1, count + 1)}
    print(f"\nhandled per dispatcher: {[len(sink_keys([sink])) for sink in sinks]}")
    store.close()


_WORKER = """
import os, signal, sys, time
from pathlib import Path
from pipedrive_connector.triggers import TriggerApp
from pipedrive_connector.triggers.sinks import append_line

state, sink, started = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
app = TriggerApp(state_path=state, lease_seconds=1.0)

def handler(event):
    append_line(started, f"{os.getpid()} {event.event_key}".encode())
    if event.event_key == "v2:slow-7" and started.read_text().count("v2:slow-7") == 1:
        time.sleep(60)  # the first taker of this event hangs in its handler (and is killed)
    append_line(sink, event.event_key.encode())

app.add_handler("sink", handler)
signal.signal(signal.SIGTERM, lambda *_: (app.close(), sys.exit(0)))
app.dispatcher.idle_wait = 0.1
app.dispatcher.start()
while True:
    time.sleep(1)
"""


def test_a_dispatcher_killed_inside_a_handler_hands_its_event_over_when_the_lease_expires(
    pg_state: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    store = PostgresTriggerStore(pg_state)
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "")
    sink, started = tmp_path / "sink.txt", tmp_path / "started.txt"
    for _ in range(2):
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, pg_state, str(sink), str(started)], env=cli_env()
            )
        )
    events = [deal_created(n, f"e-{n}") for n in range(1, 21)]
    events.insert(7, deal_created(7, "slow-7"))
    for body in events:
        store.insert_event(sub, parse_webhook(body), None)

    def takers() -> list[str]:
        lines = started.read_text().splitlines() if started.exists() else []
        return [line.split()[0] for line in lines if line.endswith("v2:slow-7")]

    first = wait_for(takers, timeout=30)[0]
    # Alive and renewing its 1 s lease, the hung dispatcher keeps the event: nobody else takes it.
    time.sleep(2.5)
    assert takers() == [first]
    victim = next(process for process in processes if str(process.pid) == first)
    victim.send_signal(signal.SIGKILL)
    victim.wait(5)
    second = wait_for(lambda: takers()[1:], timeout=15)[0]
    assert second != first
    wait_for(lambda: store.counts() == {"done": len(events)}, timeout=30)
    handled = Counter(sink.read_text().split())
    assert handled["v2:slow-7"] == 1
    assert set(handled.values()) == {1} and len(handled) == len(events)
    row = next(row for row in store.events(limit=100) if row.event_key == "v2:slow-7")
    assert row.attempts == 2
    store.close()
