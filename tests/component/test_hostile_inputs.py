"""Inputs JSON cannot carry or Pipedrive cannot store are input errors naming the property.

Before the fix NaN and Infinity passed validation (and failed later, inside the client, with a
message about JSON), and a 5,000-digit integer made the error message itself raise ``ValueError``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from component_helpers import CountingTransport

from pipedrive_connector.component import Component, Connection, ValidationError


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


HOSTILE = [
    ("addDeal", {"deal": {"title": "A", "value": math.nan}}, "deal.value", "finite number"),
    ("addDeal", {"deal": {"title": "A", "value": math.inf}}, "deal.value", "finite number"),
    ("addDeal", {"title": "A", "value": -math.inf}, "deal.value", "finite number"),
    (
        "addLead",
        {"lead": {"title": "L", "value": {"amount": math.nan, "currency": "EUR"}}},
        "lead.value.amount",
        "finite number",
    ),
    (
        "addDeal",
        {"deal": {"title": "A", "custom_fields": {"Budget": math.inf}}},
        "deal.custom_fields.Budget",
        "finite",
    ),
    (
        "addDeal",
        {"deal": {"title": "A", "custom_fields": {"Score": [1.0, math.nan]}}},
        "deal.custom_fields.Score[1]",
        "finite",
    ),
    (
        "addDeal",
        {"deal": {"title": "A", "custom_fields": {"Source note": deep(40)}}},
        "deal.custom_fields",
        "deeper",
    ),
    ("getDeals", {"limit": 10**5000}, "limit", "fits in 64 bits"),
    ("deleteDeal", {"id": 2**63}, "id", "fits in 64 bits"),
    ("deleteDeal", {"id": 1e300}, "id", "fits in 64 bits"),
    ("addDeal", {"deal": {"title": "A", "value": 10**30}}, "deal.value", "fits in 64 bits"),
    ("getDeals", {"": 1}, "''", "unknown property"),
    ("getDeals", {"sort": " "}, "sort", "must be one of id"),
    ("getPersons", {"sort": ", id ASC"}, "sort", "must be one of id"),
    ("addDeal", {"deal": {"title": "\ud800"}}, "deal.title", "unpaired surrogates"),
    ("searchDeals", {"term": "ab\udfff"}, "term", "unpaired surrogates"),
    (
        "addDeal",
        {"deal": {"title": "A", "custom_fields": {"Source note": "\ud800"}}},
        "deal.custom_fields",
        "UTF-8",
    ),
    ("getDeals", {5: 1}, "5", "unknown property"),
]


@pytest.mark.parametrize(
    ("action", "inputs", "prop", "expected"), HOSTILE, ids=[f"{a}-{p}" for a, _, p, _ in HOSTILE]
)
def test_hostile_values_are_input_errors_that_send_nothing(
    pipedrive_sandbox: Any, counter: CountingTransport, action: str, inputs: dict, prop: str, expected: str
) -> None:
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, transport=counter
    )
    with pytest.raises(ValidationError) as caught:
        Component().run(action, inputs, connection)
    assert caught.value.property.startswith(prop), caught.value
    assert expected in str(caught.value)
    assert len(str(caught.value)) < 300
    assert counter.requests == []


def test_finite_numbers_and_plain_custom_field_values_still_pass() -> None:
    cleaned = Component().validate(
        "addDeal", {"deal": {"title": "A", "value": 1.5e6, "custom_fields": {"Score": 2.5, "Region": "EMEA"}}}
    )
    assert cleaned["deal"]["value"] == 1.5e6
    assert cleaned["deal"]["custom_fields"] == {"Score": 2.5, "Region": "EMEA"}
