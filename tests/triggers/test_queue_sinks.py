"""Queue sinks against the real Redis and NATS JetStream: an event handled again (a replay, a
dispatcher that died before recording its success) lands in the queue once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from test_receiver import deal_created
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli
from pipedrive_connector.triggers import TriggerApp, parse_webhook
from pipedrive_connector.triggers.queue_sinks import NatsSink, RedisStreamSink
from pipedrive_connector.triggers.sinks import SinkError


def event(number: int, trigger: str = "newDeal") -> Any:
    parsed = parse_webhook(deal_created(number, f"q-{number}"))
    return parsed.__class__(**{**parsed.__dict__, "trigger": trigger})


def document(item: Any) -> dict[str, Any]:
    return {"trigger": item.trigger, "event_key": item.event_key, "entity_id": item.entity_id}


@pytest.fixture
def stream(redis_url: str) -> Iterator[tuple[str, str]]:
    name = f"pdt-{uuid.uuid4().hex[:10]}"
    yield redis_url, name
    client = redis.Redis.from_url(redis_url)
    client.delete(name, *client.keys(f"{name}:*"))
    client.close()


def entries(url: str, name: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url)
    found = [
        {"id": fields[b"id"].decode(), **json.loads(fields[b"document"])} for _, fields in client.xrange(name)
    ]
    client.close()
    return found


def test_redis_stream_adds_each_event_once(stream: tuple[str, str]) -> None:
    url, name = stream
    sink = RedisStreamSink(f"{url}#{name}", document)
    sink(event(1))
    sink(event(1))  # handled again: nothing added
    sink(event(2))
    sink(event(1, trigger="updatedDeal"))  # the same change for another trigger does land
    sink.close()
    again = RedisStreamSink(f"{url}#{name}", document)  # a new process: the markers are in Redis
    again(event(2))
    again.close()
    assert [entry["id"] for entry in entries(url, name)] == [
        "newDeal:v2:q-1",
        "newDeal:v2:q-2",
        "updatedDeal:v2:q-1",
    ]
    assert entries(url, name)[0]["entity_id"] == 1


def test_redis_stream_replay_through_the_cli_adds_nothing_twice(
    stream: tuple[str, str], tmp_path: Path
) -> None:
    url, name = stream
    state = str(tmp_path / "t.db")
    app = TriggerApp(state_path=state)
    sub, _ = app.store.create_subscription("newDeal", {}, "2.0", "")
    app.store.insert_event(sub, parse_webhook(deal_created(5, "q-5")), None)
    app.add_handler("redis", RedisStreamSink(f"{url}#{name}", app.document))
    app.dispatcher.drain()
    app.close()
    # Replaying event 1 forgets every handler's success and runs the given sink again now.
    result = CliRunner().invoke(
        cli, ["triggers", "replay", "1", "--state", state, "--redis-stream", f"{url}#{name}"]
    )
    assert result.exit_code == 0, result.output
    assert [entry["event_key"] for entry in entries(url, name)] == ["v2:q-5"]


def test_redis_stream_errors_name_the_target_without_the_password() -> None:
    with pytest.raises(ValueError, match="needs the target after '#'"):
        RedisStreamSink("redis://127.0.0.1:6379/0", document)
    with pytest.raises(ValueError, match="redis"):
        RedisStreamSink("http://127.0.0.1:6379#x", document)
    sink = RedisStreamSink("redis://user:s3cret@127.0.0.1:1/0#s", document, timeout=1)
    with pytest.raises(SinkError) as caught:
        sink(event(1))
    assert "127.0.0.1:1" in str(caught.value) and "s3cret" not in str(caught.value)
    assert "s3cret" not in sink.name


async def _jetstream(url: str, action: str, stream_name: str, subject: str = "") -> int:
    import nats

    connection = await nats.connect(url)
    try:
        js = connection.jetstream()
        if action == "create":
            await js.add_stream(name=stream_name, subjects=[subject])
            return 0
        if action == "count":
            info = await js.stream_info(stream_name)
            return int(info.state.messages)
        await js.delete_stream(stream_name)
        return 0
    finally:
        await connection.close()


@pytest.fixture
def jetstream(nats_url: str) -> Iterator[tuple[str, str, str]]:
    name = f"PDT_{uuid.uuid4().hex[:10]}"
    subject = f"pdt.{name.lower()}"
    asyncio.run(_jetstream(nats_url, "create", name, subject))
    yield nats_url, name, subject
    asyncio.run(_jetstream(nats_url, "delete", name))


def test_nats_jetstream_deduplicates_a_redelivered_event(jetstream: tuple[str, str, str]) -> None:
    url, name, subject = jetstream
    sink = NatsSink(f"{url}#{subject}", document)
    sink(event(1))
    sink(event(1))
    sink(event(2))
    sink.close()
    again = NatsSink(f"{url}#{subject}", document)  # another process, same event
    again(event(2))
    again.close()
    assert asyncio.run(_jetstream(url, "count", name)) == 2


def test_nats_publish_to_a_subject_without_a_stream_fails_as_a_sink_error(nats_url: str) -> None:
    sink = NatsSink(f"{nats_url}#pdt.nowhere.{uuid.uuid4().hex[:8]}", document, timeout=2)
    with pytest.raises(SinkError, match="publish to nats://"):
        sink(event(1))
    sink.close()
