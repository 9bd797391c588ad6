"""A hypothesis fuzzer over ``parse_webhook`` (issue 10, item 2).

Every input must give either ``WebhookParseError`` or an ``Event`` the rest of the triggers can use
(stored, read back, keyed, matched, written by a sink): no other exception. Inputs are raw bytes,
text, mutated bytes of real payloads, and structured-but-hostile JSON built from Pipedrive's v1/v2
payload shapes with fields replaced, deleted or added (given as a dict and as bytes).

Bounded and deterministic (``derandomize``): 2,000 inputs in the unit suite. The long run:

    PIPEDRIVE_FUZZ_EXAMPLES=100000 python -m pytest -p no:cacheprovider -s tests/triggers/test_parse_fuzz.py

prints the counts (inputs, accepted, rejected, unexpected exceptions) at the end.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_samples import SET_FIELD, v1_merged_deal, v1_payload, v2_payload, v2_user_change

from pipedrive_connector.triggers import ALL_TRIGGERS, Event, WebhookParseError, parse_webhook
from pipedrive_connector.triggers.definitions import field_change_trigger
from pipedrive_connector.triggers.events import parse_time
from pipedrive_connector.triggers.sinks import event_document

# Integer ranges here span at most 128 values: hypothesis draws wider bounded ranges through a
# weighted sampler whose path depends on its random state, which it then reports as flaky data
# generation (FlakyStrategyDefinition) in long runs.
EXAMPLES = int(os.environ.get("PIPEDRIVE_FUZZ_EXAMPLES", "2000"))
OUTCOMES: Counter[str] = Counter()
# The suite's 120 s timeout fits the default count; long runs get about 50 ms per input.
pytestmark = pytest.mark.timeout(max(120, EXAMPLES // 20))

LEAD_ID = "adf21080-0e10-11eb-879b-05d71fb426ec"
BASES: list[Callable[[], dict[str, Any]]] = [
    lambda: v2_payload(),
    lambda: v2_payload(action="create", previous=None),
    lambda: v2_payload(action="delete", data=None, previous={"id": 8, "title": "Gone"}),
    lambda: v2_payload(
        action="create",
        entity="lead",
        data={"id": LEAD_ID},
        previous=None,
        meta={**v2_payload()["meta"], "entity": "lead", "entity_id": LEAD_ID},
    ),
    lambda: v2_user_change(7, "Ann", "An", "2026-11-27T10:00:00.000Z"),
    lambda: v1_payload(),
    lambda: v1_payload(action="added", obj="person"),
    lambda: v1_payload(action="deleted"),
    lambda: v1_payload(obj="user", current=[{"id": 5, "name": "A"}], previous=[{"id": 5, "name": "B"}]),
    lambda: v1_merged_deal(),
]
# Keys the parser reads, so that additions and replacements hit them often.
KEYS = [
    "meta", "data", "previous", "current", "event", "retry", "v", "id", "entity_id", "entity", "object",
    "action", "version", "timestamp", "timestamp_micro", "attempt", "webhook_id", "merged_from_id",
    "update_time", "custom_fields", "values", "value", SET_FIELD,
]  # fmt: skip
TRICKY_TEXT = [
    "", " ", "²", "٣", "0", "-1", "8", " 8 ", "8.0", "1e400", "NaN", "Infinity", "\ud800", "\x00",
    "1/../../../../v1/users/me", "../users/me", LEAD_ID, LEAD_ID.upper(), "not-a-uuid",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0000-00-00 00:00:00",
    "2022-11-24T13:18:56.089Z", "2018-04-11 09:50:13", "1523440213384700", "9" * 40,
    "added", "updated", "deleted", "merged", "create", "change", "delete", "added.deal", "merged.deal",
    "deal", "lead", "user", "person", "2.0", "1.0", "deal/../user",
]  # fmt: skip
# Spliced into serialized bodies where json.dumps cannot write them.
RAW_FRAGMENTS = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "9" * 5000, "-" + "9" * 4301, '"\\udfff"']

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.builds(
        lambda digits, sign: sign * (10**digits - 1),
        st.integers(0, 120).map(lambda n: n * 4),
        st.sampled_from([1, -1]),
    ),
    st.sampled_from([2**63, 2**63 - 1, 0, -1, 10**300, 10**301]),
    st.builds(pow, st.just(10), st.just(5000)),  # built, not listed: hypothesis cannot repr it
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(TRICKY_TEXT),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=10,
)
option_lists = st.lists(st.one_of(scalars, st.fixed_dictionaries({"id": scalars})), max_size=4)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


hostile_values = st.one_of(
    json_values,
    st.sampled_from([20, 31, 32, 33, 34, 100, 999, 1000, 1001, 3000]).map(nested),
    option_lists.map(lambda values: {"type": "set", "values": values}),
    # Python values JSON has none of (copied: mutations must not change the strategy's own values).
    st.sampled_from([(1, 2), {1: "x"}, {"a": object()}, b"bytes"]).map(copy.deepcopy),
)


def containers(value: Any) -> Iterator[Any]:
    """Every dict and list inside ``value`` (iteratively: values may be deep)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            yield item
            stack.extend(item.values() if isinstance(item, dict) else item)


@st.composite
def hostile_payload(draw: st.DrawFn) -> dict[str, Any]:
    """A real v1/v2 payload with one to three fields replaced, deleted or added."""
    body = draw(st.sampled_from(BASES))()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        spots = [(c, k) for c in containers(body) for k in (c if isinstance(c, dict) else range(len(c)))]
        operation = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if operation == "add" or not spots:
            target = draw(st.sampled_from([c for c in containers(body) if isinstance(c, dict)] or [body]))
            target[draw(st.sampled_from(KEYS))] = draw(hostile_values)
            continue
        container, key = draw(st.sampled_from(spots))
        if operation == "delete":
            del container[key]
        else:
            container[key] = draw(hostile_values)
    return body


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    """A hostile payload serialized, sometimes with a raw JSON fragment spliced in."""
    body = draw(hostile_payload())
    marker = "@@fragment@@"
    if draw(st.booleans()):
        spots = [(c, k) for c in containers(body) if isinstance(c, dict) for k in c]
        if spots:
            container, key = draw(st.sampled_from(spots))
            container[key] = marker
    try:
        text = json.dumps(body)
    except (TypeError, ValueError, RecursionError):  # what json.dumps itself cannot write
        text = json.dumps(draw(st.sampled_from(BASES))())
    return text.replace(json.dumps(marker), draw(st.sampled_from(RAW_FRAGMENTS))).encode()


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """Bytes of a real payload, truncated, with bytes flipped or inserted."""
    raw = bytearray(json.dumps(draw(st.sampled_from(BASES))()).encode())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = len(raw) * draw(st.integers(min_value=0, max_value=100)) // 100
        kind = draw(st.sampled_from(["flip", "insert", "truncate"]))
        if kind == "truncate":
            del raw[position:]
        elif kind == "insert":
            raw[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif position < len(raw):
            raw[position] = draw(st.binary(min_size=1, max_size=1))[0]
    return bytes(raw)


inputs = st.one_of(
    st.tuples(st.just("raw bytes"), st.binary(max_size=300)),
    st.tuples(st.just("text"), st.text(max_size=200)),
    st.tuples(st.just("mutated bytes"), mutated_bytes()),
    st.tuples(st.just("hostile dict"), hostile_payload()),
    st.tuples(st.just("hostile bytes"), hostile_bytes()),
)

FIELD_TRIGGERS = [
    field_change_trigger("deal", "title"),
    field_change_trigger("deal", "title", from_value="Old", to_value="New"),
    field_change_trigger("deal", SET_FIELD, to_value=[13, "x"]),
    field_change_trigger("deal", "id", from_value=None),
    field_change_trigger("person", "name", to_value=None),
]


def reject_constant(name: str) -> Any:
    raise AssertionError(f"stored event holds {name}, which is not JSON")


def assert_usable(event: Event) -> None:
    """What the receiver, the inbox, the dispatcher, the triggers and the sinks do with an event."""
    if event.object == "lead":
        assert isinstance(event.entity_id, str) and str(uuid.UUID(event.entity_id)) == event.entity_id
    else:
        assert type(event.entity_id) is int and 0 < event.entity_id < 2**63
    for text in (event.object, event.event_key, event.content_key):
        text.encode("utf-8")
    stored = event.to_json()
    assert Event.from_dict(json.loads(stored, parse_constant=reject_constant)) is not None
    record = event.record or {}
    moment = parse_time(record.get("update_time")) or event.timestamp
    if moment is not None:
        moment.timestamp()
    for trigger in [*ALL_TRIGGERS.values(), *FIELD_TRIGGERS]:
        trigger.matches(event)
        json.dumps(event_document(event, trigger), default=str)


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    if OUTCOMES:
        total = sum(OUTCOMES[k] for k in ("accepted", "rejected", "unexpected"))
        kinds = {k: v for k, v in OUTCOMES.items() if k not in ("accepted", "rejected", "unexpected")}
        print(
            f"\nparse_webhook fuzz: {total} inputs, {OUTCOMES['accepted']} accepted, "
            f"{OUTCOMES['rejected']} rejected (WebhookParseError), "
            f"{OUTCOMES['unexpected']} unexpected exceptions; by source: {kinds}"
        )


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(inputs)
def test_parse_webhook_raises_only_webhook_parse_error(source_and_body: tuple[str, Any]) -> None:
    source, body = source_and_body
    OUTCOMES[source] += 1
    try:
        event = parse_webhook(body)
    except WebhookParseError as exc:
        assert str(exc)
        OUTCOMES["rejected"] += 1
        return
    except Exception:
        OUTCOMES["unexpected"] += 1
        raise
    assert_usable(event)
    OUTCOMES["accepted"] += 1


@settings(max_examples=max(EXAMPLES // 10, 100), derandomize=True, database=None, deadline=None)
@given(st.sampled_from(BASES), st.integers(min_value=0, max_value=3))
def test_real_payloads_stay_accepted(base: Callable[[], dict[str, Any]], retry: int) -> None:
    """The other side: the fuzzer's starting points are valid, as dicts and as bytes."""
    body = base()
    body["retry" if "v" in body else "meta"] = (
        retry if "v" in body else {**body["meta"], "attempt": retry + 1}
    )
    for form in (body, json.dumps(body).encode(), copy.deepcopy(body)):
        assert_usable(parse_webhook(form))
