"""Hostile inputs for every action: ``Component.validate``/``run`` raise only their documented errors.

Documented: the component's own errors (``ValidationError`` naming the property, ``UnknownActionError``,
``ConnectionConfigError``) and the client's ``PipedriveError`` family. Anything else (a ``TypeError``,
a ``RecursionError``, a 5xx from the sandbox) is a bug. The inputs are built from each action's
property definitions, valid and hostile values mixed (NaN, huge integers, traversal ids, deep
nesting, wrong types, unknown keys), and run against the sandbox in-process (Starlette's TestClient).

The unit suite runs 300 examples with a fixed seed. The big run (the issue asks for 20,000):

    PIPEDRIVE_FUZZ_EXAMPLES=20000 python -m pytest -p no:cacheprovider -s --timeout 0 \
        tests/component/test_fuzz_component.py

prints how many inputs ran and how each ended.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_connector.client import errors as client_errors
from pipedrive_connector.client._ratelimit import reset_limiters
from pipedrive_connector.component import Component, Connection
from pipedrive_connector.component.errors import ComponentError, ValidationError
from pipedrive_connector.component.model import Action, Property, PropertyType
from pipedrive_connector.sandbox import SandboxSettings, create_app

EXAMPLES = int(os.environ.get("PIPEDRIVE_FUZZ_EXAMPLES", "300"))
COMPONENT = Component()
ACTIONS = {action.name: action for action in COMPONENT.actions}
LEAD_IDS = ["398aaec8-02a2-5848-945b-a66f9fe1fb41", "953a68df-ede1-5aaf-87c9-c1372f53048c"]
TRAVERSALS = [
    "../../api/v2/deals/3",
    "1/../../../../v1/users/me",
    "%2e%2e/%2e%2e/v1/users/me",
    "..\\..\\v1\\users",
    "3?x=1",
    "3#frag",
    "\x00",
    "",
    " ",
]
CUSTOM_FIELD_NAMES = ["Budget", "Region", "Renewal date", "Source note", "Score", "nope", ""]
outcomes: Counter[str] = Counter()

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
hostile = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        10**30,
        -(10**30),
        2**63,
        10**5000,
        1e308,
        -0.0,
        True,
        "",
        "²",
        "9" * 400,
        "\ud800",
        "NaN",
        "Infinity",
        *TRAVERSALS,
        [],
        {},
        [[[[[[[[[[]]]]]]]]]],
    ]
)


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def typed(prop: Property) -> st.SearchStrategy[Any]:
    """A value of the property's type (maybe out of range), or one of its options."""
    if prop.options:
        return st.sampled_from([option.value for option in prop.options]) | st.text(max_size=10)
    kind = prop.type
    if prop.name == "id":
        ids = st.sampled_from(LEAD_IDS) if kind is PropertyType.STRING else st.integers(1, 30)
        others = [st.sampled_from(TRAVERSALS), st.sampled_from(LEAD_IDS), st.integers()]
        return st.integers(0, 9).flatmap(lambda roll: others[roll - 7] if roll >= 7 else ids)
    if kind is PropertyType.STRING:
        return st.text(max_size=30)
    if kind is PropertyType.INTEGER:
        return st.integers(0, 9).flatmap(
            lambda roll: (st.integers(), st.floats())[roll - 8] if roll >= 8 else st.integers(0, 600)
        )
    if kind is PropertyType.NUMBER:
        return st.floats() | st.integers()
    if kind is PropertyType.BOOLEAN:
        return st.booleans() | st.sampled_from([0, 1, "true"])
    if kind is PropertyType.DATE:
        return st.dates().map(lambda d: d.isoformat()) | st.text(max_size=12)
    if kind is PropertyType.DATE_TIME:
        return st.datetimes().map(lambda d: d.isoformat()) | st.text(max_size=25)
    if kind is PropertyType.TIME:
        return st.times().map(lambda t: t.strftime("%H:%M")) | st.text(max_size=8)
    if kind is PropertyType.ARRAY:
        item = typed(prop.items) if prop.items is not None else json_values
        return st.lists(item | hostile, max_size=3)
    if prop.additional_properties and not prop.properties:  # custom fields by name
        names = st.sampled_from(CUSTOM_FIELD_NAMES) | st.text(max_size=10)
        values = json_values | hostile | st.sampled_from(["EMEA", "2026-01-31", 5000, deep(60)])
        return st.dictionaries(names, values, max_size=3)
    return object_of(prop.properties)


@st.composite
def value_for(draw: st.DrawFn, prop: Property) -> Any:
    """Mostly a value of the right type, so that most calls get past validation to the sandbox."""
    roll = draw(st.integers(0, 9))  # hypothesis favours small numbers: the rare cases sit at the top
    if roll == 9:
        return draw(hostile)
    if roll == 8:
        return draw(json_values)
    return draw(typed(prop))


@st.composite
def object_of(draw: st.DrawFn, properties: tuple[Property, ...]) -> dict[str, Any]:
    """Required properties nearly always given, optional ones sometimes, an unknown key rarely."""
    chosen: dict[str, Any] = {}
    for prop in properties:
        if draw(st.integers(0, 19)) < (19 if prop.required else 8):
            chosen[prop.name] = draw(value_for(prop))
    if draw(st.integers(0, 9)) == 9:
        chosen[draw(st.text(max_size=8))] = draw(json_values)
    return chosen


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, Any, str]:
    known = draw(st.integers(0, 19)) < 19
    name = draw(st.sampled_from(sorted(ACTIONS)) if known else st.text(max_size=12))
    action: Action | None = ACTIONS.get(name)
    if action is None or draw(st.integers(0, 19)) == 19:
        inputs = draw(json_values | hostile)
    else:
        inputs = draw(object_of(action.properties))
        body = inputs.get(action.body_property) if action.body_property else None
        if isinstance(body, dict) and draw(st.booleans()):  # a flat body, folded back by validate
            inputs = {**{k: v for k, v in inputs.items() if k != action.body_property}, **body}
    return name, inputs, draw(st.sampled_from(["v2", "v1"]))


@pytest.fixture(scope="module")
def connections() -> Iterator[dict[str, Connection]]:
    settings_ = SandboxSettings(seed="demo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    with TestClient(create_app(settings_), base_url="http://sandbox.in-process") as http:
        yield {
            version: Connection.api_key(
                settings_.api_token,
                base_url="http://sandbox.in-process",
                api_version=version,  # type: ignore[arg-type]
                http_client=http,
                max_retries=0,
            )
            for version in ("v2", "v1")
        }
    if outcomes:
        total = sum(outcomes.values())
        summary = ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
        print(f"\ncomponent fuzz: {total} inputs: {summary}")


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(call=calls())
def test_validate_and_run_raise_only_documented_errors(
    connections: dict[str, Connection], call: tuple[str, Any, str]
) -> None:
    name, inputs, version = call
    reset_limiters()
    try:
        COMPONENT.validate(name, inputs, version)  # type: ignore[arg-type]
    except ComponentError as exc:
        if isinstance(exc, ValidationError):
            assert exc.property, f"{name}: a ValidationError must name the property: {exc}"
        str(exc).encode("utf-8")  # the CLI prints it: it must be printable text
        outcomes[f"invalid ({type(exc).__name__})"] += 1
        return
    try:
        COMPONENT.run(name, inputs, connections[version])
    except ComponentError as exc:
        str(exc).encode("utf-8")
        outcomes[f"run refused ({type(exc).__name__})"] += 1
        return
    except client_errors.PipedriveError as exc:
        assert not (exc.status_code or 0) >= 500, f"{name} {inputs!r}: the sandbox answered {exc}"
        str(exc).encode("utf-8")
        outcomes[f"API error ({type(exc).__name__})"] += 1
        return
    outcomes["ran"] += 1
