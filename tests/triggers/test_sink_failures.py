"""Sinks and the dispatcher when things fail: a full disk, a hung command, a failing database; file modes."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from triggers_helpers import wait_for

from pipedrive_connector.triggers import Event, TriggerApp, parse_webhook
from pipedrive_connector.triggers.sinks import ExecSink, JsonlSink, SinkError, event_document


def person_created(person_id: int) -> dict[str, Any]:
    return {
        "meta": {
            "action": "create",
            "entity": "person",
            "entity_id": str(person_id),
            "id": f"evt-{person_id}",
            "version": "2.0",
        },
        "data": {"id": person_id, "name": f"Person {person_id}"},
        "previous": None,
    }


_FILE_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from pipedrive_connector.triggers import parse_webhook
from pipedrive_connector.triggers.sinks import JsonlSink, event_document

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of being killed
out = Path(sys.argv[1])
def event(n):
    meta = {"action": "create", "entity": "person", "entity_id": str(n), "id": f"evt-{n}", "version": "2.0"}
    return parse_webhook({"meta": meta, "data": {"id": n, "name": "x" * 200}, "previous": None})
sink = JsonlSink(out, event_document)
sink(event(1))
size = out.stat().st_size
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, hard))  # room for part of the next line only
try:
    sink(event(2))
    print("written")
except Exception as exc:
    print("failed:", type(exc).__name__, exc)
print("size unchanged" if out.stat().st_size == size else f"size {out.stat().st_size}")
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
sink(event(2))  # the dispatcher's retry
"""


def test_jsonl_sink_cuts_a_failed_write_back_so_the_retry_is_a_whole_line(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    result = subprocess.run(
        [sys.executable, "-c", _FILE_SIZE_LIMIT, str(out)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("failed: SinkError") and "too large" in first, first
    assert second == "size unchanged"
    lines = out.read_text().splitlines()
    assert [json.loads(line)["entity_id"] for line in lines] == [1, 2]


def test_jsonl_sink_ends_a_partial_line_left_by_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    JsonlSink(out, event_document)(parse_webhook(person_created(1)))
    with out.open("a") as handle:
        handle.write('{"trigger": "newPerson", "event_ke')  # a crash in the middle of a write
    JsonlSink(out, event_document)(parse_webhook(person_created(2)))
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["entity_id"] == 1 and json.loads(lines[2])["entity_id"] == 2
    assert len(lines) == 3


def _running_with_argument(argument: str) -> list[int]:
    """Live (not zombie) processes whose command line has ``argument``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if argument.encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to find processes")
def test_exec_sink_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = f"{100 + os.getpid() % 1000 / 1000:.3f}"  # an unusual sleep length names our processes
    sink = ExecSink(f"sh -c 'sleep {marker} & sleep {marker}'", event_document, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(SinkError, match=r"timed out after 0\.5 s"):
        sink(parse_webhook(person_created(3)))
    assert time.monotonic() - started < 10
    wait_for(lambda: not _running_with_argument(marker), timeout=5)


def test_failing_database_backs_off_and_logs_once_per_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "t.db"
    app = TriggerApp(state_path=state)
    app.dispatcher.backoff = (0.01, 0.2)
    seen: list[Event] = []
    app.add_handler("collect", seen.append)
    sub, _ = app.store.create_subscription("newPerson", {}, "2.0", "")
    app.store.insert_event(sub, parse_webhook(person_created(4)), None)
    # Another connection makes every claim fail (reads keep working, as with a full disk).
    other = sqlite3.connect(state, isolation_level=None)
    other.execute(
        "CREATE TRIGGER fail_claims BEFORE UPDATE ON inbox BEGIN SELECT RAISE(ABORT, 'disk is failing'); END"
    )
    caplog.set_level(logging.DEBUG, logger="pipedrive_connector.triggers")
    app.dispatcher.start()
    time.sleep(1.5)

    def dispatcher_logs() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "pipedrive_connector.triggers.dispatch"]

    [failing] = dispatcher_logs()
    assert failing.levelno == logging.ERROR and "disk is failing" in failing.getMessage()
    other.execute("DROP TRIGGER fail_claims")
    wait_for(lambda: seen)
    # The recovery is logged once the event's bookkeeping is committed, just after its handler ran.
    wait_for(lambda: len(dispatcher_logs()) == 2)
    _failed, recovered = dispatcher_logs()
    assert recovered.levelno == logging.WARNING and "works again" in recovered.getMessage()
    attempts = int(recovered.getMessage().split("after ")[1].split()[0])
    assert 3 <= attempts <= 20, attempts  # 0.01 s doubling to 0.2 s over 1.5 s; not one every 5 ms
    other.close()
    app.close()


def test_state_files_and_outputs_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        app = TriggerApp(state_path=tmp_path / "t.db")
        sink = JsonlSink(tmp_path / "out.jsonl", app.document)
        app.add_handler(sink.name, sink)
        sub, _ = app.store.create_subscription("newPerson", {}, "2.0", "")
        app.store.insert_event(sub, parse_webhook(person_created(5)), None)
        app.dispatcher.drain()
        names = ["t.db", "t.db-wal", "t.db-shm", "t.db.lock", "out.jsonl"]
        modes = {name: stat.S_IMODE((tmp_path / name).stat().st_mode) for name in names}
        app.close()
    finally:
        os.umask(previous)
    assert modes == dict.fromkeys(names, 0o600)
