"""Whatever a user types, the CLI's input parsing answers with a value or an ``InputError`` (exit 2):
never another exception. Bounded, deterministic hypothesis runs."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_connector.cli._connect import ConnectionFlags, check_base_url
from pipedrive_connector.cli._inputs import parse_json, read_json_object, typed_pairs
from pipedrive_connector.cli._output import InputError
from pipedrive_connector.component import Component

FUZZ = settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DEAL_FIELDS = Component().action("addDeal").property("deal").properties  # type: ignore[union-attr]

json_like = st.one_of(
    st.text(max_size=60),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
        max_leaves=12,
    ).map(lambda value: json.dumps(value)),  # floats include NaN/Infinity: json.dumps writes them bare
    st.sampled_from(["[" * 3000, "{" * 3000 + "}" * 3000, "NaN", "-Infinity", "null", "\udcff", "1e999"]),
)


@FUZZ
@given(json_like)
def test_input_json_is_an_object_or_an_input_error(text: str) -> None:
    try:
        value = read_json_object(text, "--input")
    except InputError as error:
        assert str(error).startswith("--input")
        return
    assert isinstance(value, dict)
    assert "NaN" not in json.dumps(value) and "Infinity" not in json.dumps(value)


@FUZZ
@given(st.text(max_size=40))
def test_parse_json_raises_only_input_errors(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_json(text, "--data")


pair = st.tuples(
    st.sampled_from([p.name for p in DEAL_FIELDS] + ["custom_fields.Region", "a..b", "", "x.y.z"]),
    st.text(max_size=20),
).map(lambda kv: f"{kv[0]}={kv[1]}")


@FUZZ
@given(st.lists(pair | st.text(max_size=15), max_size=5))
def test_set_pairs_are_typed_or_refused_clearly(pairs: list[str]) -> None:
    try:
        body = typed_pairs(pairs, DEAL_FIELDS, "--set")
    except InputError as error:
        assert str(error).startswith("--set")
        return
    declared = {p.name: p for p in DEAL_FIELDS}
    for key, value in body.items():
        if key in declared and declared[key].type.value == "STRING":
            assert isinstance(value, str)  # text stays text, whatever it looks like


@FUZZ
@given(
    st.one_of(
        st.text(max_size=40),
        st.builds(lambda host, port: f"http://{host}:{port}", st.text(max_size=12), st.text(max_size=6)),
        st.builds(lambda rest: f"https://{rest}", st.text(max_size=30)),
    )
)
def test_base_urls_are_accepted_or_refused_clearly(url: str) -> None:
    try:
        check_base_url(url)
    except InputError as error:
        assert "--base-url" in str(error)
        return
    ConnectionFlags(api_token="t", base_url=url).client_options()
